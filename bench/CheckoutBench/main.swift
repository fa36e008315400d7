// The full checkout flow under load: each client loops create cart, 3 x AddCartLines, PATCH
// the address, Checkout (test connector), and records each step's latency.
//
//   CheckoutBench <base URL> <database: SQLite path or postgres:// URL> [clients] [seconds]
//
// Before the load it puts plenty of stock on the products it buys (through the channel
// database, as headquarters' data would), so no checkout fails for want of stock.
import ChannelDatabase
import Foundation
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
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

struct Failure: Error, CustomStringConvertible { let description: String }

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

let configuration = URLSessionConfiguration.ephemeral
configuration.httpMaximumConnectionsPerHost = clients
let session = URLSession(configuration: configuration)
let results = Results()

func send(_ step: Step, _ method: String, _ path: String, _ body: String, headers: [String: String] = [:]) async throws -> [String: Any] {
    guard let url = URL(string: base.absoluteString + path) else { throw Failure(description: "bad path \(path)") }
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.httpBody = Data(body.utf8)
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let start = ContinuousClock.now
    let (data, response) = try await session.data(for: request)
    let elapsed = ContinuousClock.now - start
    results.record(step, Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
    guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
        throw Failure(description: "\(step.rawValue): \((response as? HTTPURLResponse)?.statusCode ?? 0) \(String(decoding: data, as: UTF8.self))")
    }
    return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
}

func checkoutOnce() async throws {
    let cart = try await send(.create, "POST", "/Commerce/Carts", "{}")
    guard let id = cart["Id"] as? String, var version = cart["Version"] as? Int else { throw Failure(description: "no cart id") }
    for product in products {
        let added = try await send(.addLines, "POST", "/Commerce/Carts('\(id)')/AddCartLines", #"{"cartLines":[{"ProductId":\#(product),"Quantity":1}],"cartVersion":\#(version)}"#)
        version = added["Version"] as? Int ?? version + 1
    }
    let patched = try await send(
        .patch, "PATCH", "/Commerce/Carts('\(id)')",
        #"{"Version":\#(version),"ReceiptEmail":"bench@example.com","ShippingAddress":{"Name":"Bench","Street":"1 Main St","City":"Fresno","State":"CA","ZipCode":"93650","ThreeLetterISORegionName":"USA"}}"#
    )
    guard let due = patched["AmountDue"], let newVersion = patched["Version"] as? Int else { throw Failure(description: "no amount due") }
    _ = try await send(
        .checkout, "POST", "/Commerce/Carts('\(id)')/Checkout",
        #"{"receiptEmail":"bench@example.com","cartVersion":\#(newVersion),"cartTenderLines":[{"Amount":\#(due),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}"#,
        headers: ["Idempotency-Key": UUID().uuidString]
    )
    results.completed()
}

let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
let started = ContinuousClock.now
await withTaskGroup(of: Void.self) { group in
    for _ in 0..<clients {
        group.addTask {
            while ContinuousClock.now < deadline {
                do { try await checkoutOnce() } catch { results.failed("\(error)") }
            }
        }
    }
}
let elapsed = ContinuousClock.now - started
let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

func percentile(_ values: [Double], _ p: Double) -> Double {
    values.isEmpty ? 0 : values[min(values.count - 1, Int(Double(values.count) * p))]
}
print("clients: \(clients), duration: \(String(format: "%.1f", total)) s")
print(String(format: "checkouts/s: %.1f (%d completed)", Double(results.checkouts) / total, results.checkouts))
for step in Step.allCases {
    let values = results.sorted(step)
    print(String(format: "%@: n=%d p50=%.1f ms p99=%.1f ms", step.rawValue as NSString, values.count, percentile(values, 0.5), percentile(values, 0.99)))
}
for failure in results.failures { print("failure: \(failure)") }
exit(results.failures.isEmpty ? 0 : 1)
