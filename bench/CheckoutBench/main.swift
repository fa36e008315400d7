// The full checkout flow under load: each client loops create cart, 3 x AddCartLines, PATCH
// the address, Checkout (test connector), and records each step's latency.
//
//   CheckoutBench <base URL> <database: SQLite path or postgres:// URL> [clients] [seconds]
//
// Before the load it puts plenty of stock on the products it buys (through the channel
// database, as headquarters' data would), so no checkout fails for want of stock.
import BenchHTTP
import ChannelDatabase
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 3, let base = URL(string: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: CheckoutBench <base URL> <database> [clients] [seconds]\n".utf8))
    exit(2)
}
let clients = arguments.count > 3 ? Int(arguments[3]) ?? 32 : 32
let seconds = arguments.count > 4 ? Double(arguments[4]) ?? 20 : 20
let products = (1...3).map { DemoData.firstProductId + Int64($0) * 7 }

let logger = Logger(label: "bench")
let database = try await ChannelDatabaseFactory.open(try DatabaseLocation(parsing: arguments[2]), logger: logger)
try await database.withTransaction(.write) { transaction in
    for product in products {
        for warehouse in ["WH-EAST", "WH-WEST"] {
            try await InventoryStore(transaction).setOnHand(productId: product, warehouseId: warehouse, quantity: 10_000_000)
        }
    }
}
await database.close()

enum Step: String, CaseIterable {
    case create = "POST Carts"
    case addLines = "AddCartLines"
    case patch = "PATCH address"
    case checkout = "Checkout"
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Step: [Double]] = [:]
    private(set) var checkouts = 0
    private(set) var failures: [String] = []

    func record(_ step: Step, _ milliseconds: Double) { lock.withLock { latencies[step, default: []].append(milliseconds) } }
    func completed() { lock.withLock { checkouts += 1 } }
    func failed(_ message: String) { lock.withLock { if failures.count < 5 { failures.append(message) } } }
    func sorted(_ step: Step) -> [Double] { lock.withLock { (latencies[step] ?? []).sorted() } }
}

/// The checkout flow of one client; everything it shares with the other client threads is
/// immutable or locked.
struct Flow: Sendable {
    let results: Results
    let products: [Int64]

    /// The text of a top-level JSON member, found by scanning: the client reads three members and
    /// must not spend its CPU share on a full JSON parse.
    static func member(_ name: String, in body: [UInt8]) -> String? {
        let key = Array("\"\(name)\":".utf8)
        guard let start = find(key, in: body) else { return nil }
        var index = start + key.count
        let quoted = index < body.count && body[index] == UInt8(ascii: "\"")
        if quoted { index += 1 }
        let valueStart = index
        while index < body.count, quoted ? body[index] != UInt8(ascii: "\"") : (body[index] != UInt8(ascii: ",") && body[index] != UInt8(ascii: "}")) {
            index += 1
        }
        return String(decoding: body[valueStart..<index], as: UTF8.self)
    }

    func send(_ connection: HTTPConnection, _ step: Step, _ method: String, _ path: String, _ body: String, headers: String = "") throws -> [UInt8] {
        let start = ContinuousClock.now
        let (status, data) = try connection.send(method, path, body, headers: headers)
        let elapsed = ContinuousClock.now - start
        results.record(step, Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        guard (200..<300).contains(status) else {
            throw BenchFailure("\(step.rawValue): \(status) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    func checkoutOnce(_ connection: HTTPConnection) throws {
        let cart = try send(connection, .create, "POST", "/Commerce/Carts", "{}")
        guard let id = Self.member("Id", in: cart), var version = Self.member("Version", in: cart).flatMap({ Int($0) }) else {
            throw BenchFailure("no cart id")
        }
        for product in products {
            let added = try send(
                connection, .addLines, "POST", "/Commerce/Carts('\(id)')/AddCartLines",
                #"{"cartLines":[{"ProductId":\#(product),"Quantity":1}],"cartVersion":\#(version)}"#
            )
            version = Self.member("Version", in: added).flatMap { Int($0) } ?? version + 1
        }
        let patched = try send(
            connection, .patch, "PATCH", "/Commerce/Carts('\(id)')",
            #"{"Version":\#(version),"ReceiptEmail":"bench@example.com","ShippingAddress":{"Name":"Bench","Street":"1 Main St","City":"Fresno","State":"CA","ZipCode":"93650","ThreeLetterISORegionName":"USA"}}"#
        )
        guard let due = Self.member("AmountDue", in: patched), let newVersion = Self.member("Version", in: patched) else {
            throw BenchFailure("no amount due")
        }
        _ = try send(
            connection, .checkout, "POST", "/Commerce/Carts('\(id)')/Checkout",
            #"{"receiptEmail":"bench@example.com","cartVersion":\#(newVersion),"cartTenderLines":[{"Amount":\#(due),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}"#,
            headers: "Idempotency-Key: \(UUID().uuidString)\r\n"
        )
        results.completed()
    }
}

let results = Results()
let flow = Flow(results: results, products: products)

let total = runClients(base, clients: clients, seconds: seconds, failed: { results.failed("\($0)") }) { _, _, connection in
    try flow.checkoutOnce(connection)
}
print("clients: \(clients), duration: \(String(format: "%.1f", total)) s")
print(String(format: "checkouts/s: %.1f (%d completed)", Double(results.checkouts) / total, results.checkouts))
for step in Step.allCases {
    let values = results.sorted(step)
    print(String(format: "%@: n=%d p50=%.1f ms p99=%.1f ms", step.rawValue as NSString, values.count, percentile(values, 0.5), percentile(values, 0.99)))
}
for failure in results.failures { print("failure: \(failure)") }
exit(results.failures.isEmpty ? 0 : 1)
