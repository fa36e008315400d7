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

/// One keep-alive HTTP/1.1 connection on a blocking socket. The load client shares the two
/// cores with the server, so it must cost little per request: URLSession (libcurl underneath)
/// took more CPU per checkout than the server itself.
final class Connection {
    private let descriptor: Int32
    private let host: String
    private var buffer: [UInt8] = []

    init(port: UInt16, host: String) throws {
        self.host = host
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect() failed: \(errno)") }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    /// Sends a request and returns the status code and the body.
    func send(_ method: String, _ path: String, _ body: String, headers: String) throws -> (Int, [UInt8]) {
        let bodyBytes = Array(body.utf8)
        var request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: \(bodyBytes.count)\r\n\(headers)\r\n".utf8)
        request += bodyBytes
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure(description: "write() failed: \(errno)") }
            sent += written
        }
        // Headers, then Content-Length bytes of body (the engine does not chunk these answers).
        var headerEnd: Int?
        while headerEnd == nil {
            if let end = find([13, 10, 13, 10], in: buffer) { headerEnd = end; break }
            try fill()
        }
        guard let end = headerEnd else { throw Failure(description: "no header end") }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        let statusLine = head.prefix { $0 != "\r" }
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let total = end + 4 + length
        while buffer.count < total { try fill() }
        let responseBody = Array(buffer[(end + 4)..<total])
        buffer.removeFirst(total)
        return (status, responseBody)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { throw Failure(description: "connection closed: \(errno)") }
        buffer += chunk[..<count]
    }
}

/// Where `needle` first starts in `haystack`.
func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
        return start
    }
    return nil
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

    func send(_ connection: Connection, _ step: Step, _ method: String, _ path: String, _ body: String, headers: String = "") throws -> [UInt8] {
        let start = ContinuousClock.now
        let (status, data) = try connection.send(method, path, body, headers: headers)
        let elapsed = ContinuousClock.now - start
        results.record(step, Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(step.rawValue): \(status) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    func checkoutOnce(_ connection: Connection) throws {
        let cart = try send(connection, .create, "POST", "/Commerce/Carts", "{}")
        guard let id = Self.member("Id", in: cart), var version = Self.member("Version", in: cart).flatMap({ Int($0) }) else {
            throw Failure(description: "no cart id")
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
            throw Failure(description: "no amount due")
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
guard let port = base.port.map(UInt16.init) else { fatalError("the base URL needs a port") }
let hostHeader = "\(base.host ?? "127.0.0.1"):\(port)"
let flow = Flow(results: results, products: products)

let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
let started = ContinuousClock.now
// One thread per client: blocking calls keep the client's own scheduling cost to a minimum.
let finished = DispatchGroup()
for _ in 0..<clients {
    finished.enter()
    Thread.detachNewThread {
        defer { finished.leave() }
        var connection: Connection?
        while ContinuousClock.now < deadline {
            do {
                if connection == nil { connection = try Connection(port: port, host: hostHeader) }
                if let connection { try flow.checkoutOnce(connection) }
            } catch {
                results.failed("\(error)")
                connection = nil
            }
        }
    }
}
finished.wait()
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
