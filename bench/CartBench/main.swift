// CPU per cart request inside the runtime, without HTTP: what the checkout flow (issue 6)
// costs the Commerce Runtime and the channel database, apart from the HTTP layer and the load
// client. It reports process CPU time (user + system, from getrusage) per request as well as
// wall time, because the shared benchmark machine is often busy and CPU time is the steadier
// figure there.
//
//   CartBench [iterations] [database: SQLite path or postgres:// URL]
//
// Without a database it makes a fresh SQLite file with the demo data. Each measurement runs
// one request after another on one task:
//   - CalculateCartTotalsRequest on a 3-line cart (prices, discounts, tax; nothing changes);
//   - AddCartLinesRequest raising a line's quantity (claim, change, recalculate, store);
//   - UpdateCartRequest setting the e-mail and the shipping address (the tax region changes);
//   - the whole flow of bench/checkout.sh: CreateCart, 3 x AddCartLines, UpdateCart, Checkout.
import BenchHTTP
import BenchSupport
import ChannelDatabase
import CommerceRuntime
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? max(Int(arguments[1]) ?? 2_000, 10) : 2_000
let demo = try await DemoRuntime.open(arguments.count > 2 ? arguments[2] : nil, label: "cart-bench")
let database = demo.database
let runtime = demo.runtime
let channel = demo.channel
// The three products bench/checkout.sh buys, with stock for every checkout.
let products = (1...3).map { DemoData.firstProductId + Int64($0) * 7 }
try await database.withTransaction(.write) { transaction in
    for product in products {
        for warehouse in ["WH-EAST", "WH-WEST"] {
            try await InventoryStore(transaction).setOnHand(productId: product, warehouseId: warehouse, quantity: 100_000_000)
        }
    }
}

/// Runs `body` off the main actor (top-level code is main-actor isolated, and a hop to it and
/// back per iteration would be measured too), a tenth of the iterations as warm-up first.
func measure(_ label: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let (cpu, wall) = try await Task.detached {
        for _ in 0..<max(iterations / 10, 10) { try await body() }
        let clock = ContinuousClock()
        let cpuStart = processCPUMicroseconds()
        let start = clock.now
        for _ in 0..<iterations { try await body() }
        let elapsed = clock.now - start
        let wall = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        return ((processCPUMicroseconds() - cpuStart) / Double(iterations), wall / Double(iterations))
    }.value
    print(String(format: "%@: CPU %.1f µs, wall %.1f µs per iteration (%d iterations)", label, cpu, wall, iterations))
}

let cart = try await runtime.execute(
    CreateCartRequest(cartLines: products.map { CartLineInput(productId: $0, quantity: 1) }), channel: channel, caller: .anonymous
)
let cartId = cart.id
let address = Address(name: "Bench", street: "1 Main St", city: "Fresno", state: "CA", zipCode: "93650", threeLetterISORegionName: "USA")

try await measure("CalculateCartTotalsRequest, 3 lines") {
    _ = try await runtime.execute(CalculateCartTotalsRequest(cartId: cartId), channel: channel, caller: .anonymous)
}
try await measure("AddCartLinesRequest, quantity + 1 on a 3-line cart") {
    _ = try await runtime.execute(
        AddCartLinesRequest(cartId: cartId, cartLines: [CartLineInput(productId: products[0], quantity: 1)]), channel: channel, caller: .anonymous
    )
}
try await measure("UpdateCartRequest, e-mail and shipping address") {
    _ = try await runtime.execute(
        UpdateCartRequest(cartId: cartId, receiptEmail: "bench@example.com", shippingAddress: address), channel: channel, caller: .anonymous
    )
}
try await measure("checkout flow (CreateCart, 3 x AddCartLines, UpdateCart, Checkout)") {
    var current = try await runtime.execute(CreateCartRequest(), channel: channel, caller: .anonymous)
    for product in products {
        current = try await runtime.execute(
            AddCartLinesRequest(cartId: current.id, cartLines: [CartLineInput(productId: product, quantity: 1)], cartVersion: current.version),
            channel: channel, caller: .anonymous
        )
    }
    current = try await runtime.execute(
        UpdateCartRequest(cartId: current.id, cartVersion: current.version, receiptEmail: "bench@example.com", shippingAddress: address),
        channel: channel, caller: .anonymous
    )
    let tender = CartTenderLine(
        amount: current.totalAmount, currency: "USD", tenderTypeId: "3",
        tokenizedPaymentCard: TokenizedPaymentCard(cardTokenInfo: CardTokenInfo(cardToken: "test-approve"))
    )
    _ = try await runtime.execute(
        CheckoutRequest(cartId: current.id, cartTenderLines: [tender], cartVersion: current.version, idempotencyKey: UUID().uuidString),
        channel: channel, caller: .anonymous
    )
}
await database.close()
