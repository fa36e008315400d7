// Price + discount + tax calculation of a 20-line cart (issue 5 goal: < 1 ms per cart).
//
//   PricingBench [iterations] [database: SQLite path or postgres:// URL]
//
// Without a database it makes a fresh SQLite file with the demo data. The cart has 20 lines
// from categories with every kind of demo discount (headphones, shoes x 3, a speaker and a
// cable, a tent, home goods over 200.00) plus the code SAVE10, so every stage of the engine works.
// It measures, one cart after another on one task:
//   - CalculateCartTotalsRequest: one write transaction that reads the cart, runs
//     CalculatePricesRequest, CalculateDiscountsRequest and CalculateTaxRequest through the
//     pipeline; the amounts come out as stored, so nothing is written;
//   - RemoveDiscountCodes and AddDiscountCode alternately: a change that moves all 20 lines'
//     amounts, so each stores all of them; what a real cart change costs;
//   - DiscountEngine.calculate alone on the same lines and offers (no database).
import BenchSupport
import ChannelDatabase
import CommerceRuntime
import Foundation

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? max(Int(arguments[1]) ?? 2_000, 10) : 2_000
let demo = try await DemoRuntime.open(arguments.count > 2 ? arguments[2] : nil, label: "pricing-bench")
let database = demo.database
let runtime = demo.runtime
let channel = demo.channel

// Standalone product i is filed under leaf category i % 20: 3 shoes, 5 headphones, 6 speakers,
// 9 cables, 10-14 home, 15 tents.
let picks: [(index: Int64, quantity: Decimal)] = [
    (3, 2), (23, 1), (5, 1), (25, 1), (6, 1), (9, 2), (15, 1), (10, 1), (11, 2), (12, 1),
    (13, 1), (14, 3), (30, 1), (31, 1), (0, 1), (1, 2), (2, 1), (4, 1), (7, 1), (8, 1),
]
var cart = try await runtime.execute(
    CreateCartRequest(cartLines: picks.map { CartLineInput(productId: DemoData.firstProductId + $0.index, quantity: $0.quantity) }),
    channel: channel, caller: .anonymous
)
cart = try await runtime.execute(AddDiscountCodeRequest(cartId: cart.id, discountCode: DemoData.discountCode), channel: channel, caller: .anonymous)
guard cart.cartLines.count == 20 else { fatalError("expected a 20-line cart, got \(cart.cartLines.count)") }
let discounted = cart.cartLines.filter { $0.discountAmount > 0 }.count
print("cart: 20 lines, subtotal \(cart.subtotalAmount), discount \(cart.discountAmount) on \(discounted) lines, tax \(cart.taxAmount), total \(cart.totalAmount)")

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

func measure(_ label: String, _ body: () async throws -> Void) async throws -> Double {
    for _ in 0..<max(iterations / 10, 20) { try await body() }
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    let clock = ContinuousClock()
    for _ in 0..<iterations {
        let start = clock.now
        try await body()
        let elapsed = clock.now - start
        samples.append(Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    let sorted = samples.sorted()
    let mean = samples.reduce(0, +) / Double(samples.count)
    print(String(format: "%@: mean %.3f ms, p50 %.3f ms, p99 %.3f ms over %d carts", label, mean, percentile(sorted, 0.5), percentile(sorted, 0.99), iterations))
    return mean
}

let cartId = cart.id
let full = try await measure("CalculateCartTotalsRequest (read cart, price, discount, tax; amounts unchanged, nothing to store)") {
    _ = try await runtime.execute(CalculateCartTotalsRequest(cartId: cartId), channel: channel, caller: .anonymous)
}
// A change that moves every line's amounts: the code off, then on again. Each is one write
// transaction that changes the cart's codes, recalculates it and stores all 20 lines.
var codeOn = true
_ = try await measure("Remove/AddDiscountCode alternately (change, recalculate, store 20 lines)") {
    if codeOn {
        _ = try await runtime.execute(RemoveDiscountCodesRequest(cartId: cartId, discountCodes: [DemoData.discountCode]), channel: channel, caller: .anonymous)
    } else {
        _ = try await runtime.execute(AddDiscountCodeRequest(cartId: cartId, discountCode: DemoData.discountCode), channel: channel, caller: .anonymous)
    }
    codeOn.toggle()
}

// PRICING_BENCH_ONLY_REQUEST=1 leaves out the engine-alone run, e.g. to profile the request.
if ProcessInfo.processInfo.environment["PRICING_BENCH_ONLY_REQUEST"] == "1" {
    print(String(format: "goal < 1 ms per cart: %@ (%.3f ms)", full < 1 ? "met" : "NOT met", full))
    await database.close()
    exit(0)
}

let (offers, scopes) = try await database.withTransaction(.read) { transaction in
    let store = PricingStore(transaction)
    return (
        try await store.discountOffers(channelId: channel.recordId, codes: [DemoData.discountCode], at: Int64(Date().timeIntervalSince1970 * 1_000)),
        try await store.discountScopes(productIds: cart.cartLines.map(\.productId))
    )
}
let lines = cart.cartLines.map { line in
    DiscountEngine.Line(
        lineId: line.lineId, productId: line.productId, masterId: scopes[line.productId]?.masterId,
        categoryIds: scopes[line.productId]?.categoryIds ?? [], quantity: line.quantity, price: line.price
    )
}
_ = try await measure("DiscountEngine.calculate alone (\(offers.count) offers)") {
    _ = DiscountEngine.calculate(lines: lines, offers: offers, currency: channel.currencyCode, decimals: channel.currencyDecimals)
}
print(String(format: "goal < 1 ms per cart: %@ (%.3f ms)", full < 1 ? "met" : "NOT met", full))
await database.close()
