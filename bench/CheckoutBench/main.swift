// The full checkout flow under load: each client loops create cart, 3 x AddCartLines, PATCH
// the address, Checkout (test connector), and records each step's latency.
//
//   CheckoutBench <base URL> <database: SQLite path or postgres:// URL> [clients] [seconds] [threads]
//
// The clients are multiplexed on `threads` threads (default 1) with epoll (BenchHTTP's
// runMultiplexed), so the load client takes as little as it can of the cores it shares with the
// server.
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
    FileHandle.standardError.write(Data("usage: CheckoutBench <base URL> <database> [clients] [seconds] [client threads]\n".utf8))
    exit(2)
}
let clients = arguments.count > 3 ? Int(arguments[3]) ?? 32 : 32
let seconds = arguments.count > 4 ? Double(arguments[4]) ?? 20 : 20
let clientThreads = arguments.count > 5 ? Int(arguments[5]) ?? 1 : 1
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

enum Step: Int, CaseIterable {
    case create, addLines, patch, checkout

    var name: String {
        switch self {
        case .create: "POST Carts"
        case .addLines: "AddCartLines"
        case .patch: "PATCH address"
        case .checkout: "Checkout"
        }
    }
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [[Double]] = Step.allCases.map { _ in [] }
    private(set) var checkouts = 0
    private(set) var failures: [String] = []

    func add(_ sessions: [CheckoutSession]) {
        lock.withLock {
            for session in sessions {
                checkouts += session.checkouts
                for step in Step.allCases { latencies[step.rawValue] += session.latencies[step.rawValue] }
            }
        }
    }
    func failed(_ message: String) { lock.withLock { if failures.count < 5 { failures.append(message) } } }
    func sorted(_ step: Step) -> [Double] { lock.withLock { latencies[step.rawValue].sorted() } }
}

/// One client's checkout flow, one request at a time: create the cart, add three products one
/// AddCartLines each, PATCH the address, Checkout. After a failed step it starts over with a new
/// cart.
struct CheckoutSession: LoadSession {
    let host: String
    let products: [Int64]
    /// 0: create; 1...3: add products[stage - 1]; 4: PATCH; 5: Checkout.
    private var stage = 0
    private var cartId = ""
    private var version = 0
    private var amountDue = ""
    private(set) var checkouts = 0
    private(set) var latencies: [[Double]] = Step.allCases.map { _ in [] }

    init(host: String, products: [Int64]) {
        self.host = host
        self.products = products
    }

    private var step: Step {
        switch stage {
        case 0: .create
        case 1...3: .addLines
        case 4: .patch
        default: .checkout
        }
    }

    /// The text of a top-level JSON member, found by scanning: the client reads three members and
    /// must not spend its CPU share on a full JSON parse.
    static func member(_ name: String, in body: ArraySlice<UInt8>) -> String? {
        let key = Array("\"\(name)\":".utf8)
        guard let start = find(key, in: body) else { return nil }
        var index = start + key.count
        let quoted = index < body.endIndex && body[index] == UInt8(ascii: "\"")
        if quoted { index += 1 }
        let valueStart = index
        while index < body.endIndex, quoted ? body[index] != UInt8(ascii: "\"") : (body[index] != UInt8(ascii: ",") && body[index] != UInt8(ascii: "}")) {
            index += 1
        }
        return String(decoding: body[valueStart..<index], as: UTF8.self)
    }

    private func request(_ method: String, _ path: String, _ body: String, headers: String = "") -> [UInt8] {
        httpRequest(method, path, host: host, body: body, headers: headers)
    }

    func nextRequest() -> [UInt8] {
        switch stage {
        case 0:
            return request("POST", "/Commerce/Carts", "{}")
        case 1...3:
            return request(
                "POST", "/Commerce/Carts('\(cartId)')/AddCartLines",
                #"{"cartLines":[{"ProductId":\#(products[stage - 1]),"Quantity":1}],"cartVersion":\#(version)}"#
            )
        case 4:
            return request(
                "PATCH", "/Commerce/Carts('\(cartId)')",
                #"{"Version":\#(version),"ReceiptEmail":"bench@example.com","ShippingAddress":{"Name":"Bench","Street":"1 Main St","City":"Fresno","State":"CA","ZipCode":"93650","ThreeLetterISORegionName":"USA"}}"#
            )
        default:
            return request(
                "POST", "/Commerce/Carts('\(cartId)')/Checkout",
                #"{"receiptEmail":"bench@example.com","cartVersion":\#(version),"cartTenderLines":[{"Amount":\#(amountDue),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}"#,
                headers: "Idempotency-Key: \(UUID().uuidString)\r\n"
            )
        }
    }

    mutating func received(status: Int, body: ArraySlice<UInt8>, elapsed: Duration) throws {
        let step = self.step
        latencies[step.rawValue].append(inSeconds(elapsed) * 1e3)
        do {
            guard (200..<300).contains(status) else {
                throw BenchFailure("\(step.name): \(status) \(String(decoding: body, as: UTF8.self))")
            }
            switch stage {
            case 0:
                guard let id = Self.member("Id", in: body), let first = Self.member("Version", in: body).flatMap({ Int($0) }) else {
                    throw BenchFailure("no cart id")
                }
                cartId = id
                version = first
            case 1...3:
                version = Self.member("Version", in: body).flatMap { Int($0) } ?? version + 1
            case 4:
                guard let due = Self.member("AmountDue", in: body), let patched = Self.member("Version", in: body).flatMap({ Int($0) }) else {
                    throw BenchFailure("no amount due")
                }
                amountDue = due
                version = patched
            default:
                checkouts += 1
            }
            stage = (stage + 1) % 6
        } catch {
            stage = 0
            throw error
        }
    }
}

let results = Results()
guard let port = base.port.flatMap(UInt16.init(exactly:)) else {
    FileHandle.standardError.write(Data("\(base) names no port\n".utf8))
    exit(2)
}
let host = "\(base.host ?? "127.0.0.1"):\(port)"
let clientCPUBefore = processCPUMicroseconds()
let total = runMultiplexed(
    port: port, sessions: clients, threads: clientThreads, seconds: seconds,
    failed: { results.failed("\($0)") },
    made: { _ in CheckoutSession(host: host, products: products) },
    finished: { results.add($0) }
)
print("clients: \(clients), duration: \(String(format: "%.1f", total)) s")
print(String(format: "checkouts/s: %.1f (%d completed)", Double(results.checkouts) / total, results.checkouts))
// The load client does the same work per checkout in every run, so its CPU per checkout shows
// how fast the machine itself ran (this VM's speed varies by a third between runs);
// bench/checkout.sh relates the server's CPU to it.
if results.checkouts > 0 {
    print(String(format: "load client CPU: %.3f ms per checkout", (processCPUMicroseconds() - clientCPUBefore) / 1_000 / Double(results.checkouts)))
}
for step in Step.allCases {
    let values = results.sorted(step)
    print(String(format: "%@: n=%d p50=%.1f ms p99=%.1f ms", step.name as NSString, values.count, percentile(values, 0.5), percentile(values, 0.99)))
}
for failure in results.failures { print("failure: \(failure)") }
exit(results.failures.isEmpty ? 0 : 1)
