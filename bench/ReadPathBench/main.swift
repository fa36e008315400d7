// CPU of the consumer API's read path without the network (issues 2 and 3): the host's own
// responder answers requests built in memory, one after another on one task, so what is
// measured is our code (path, options, channel, auth, pipeline, SQLite, JSON) and not NIO,
// HTTP parsing or the kernel.
//
//   ReadPathBench [iterations] [database: SQLite path or postgres:// URL]
//
// Without a database it makes a fresh SQLite file with the demo data. Each request kind runs
// `iterations` times per round after a warm-up (READ_PATH_ROUNDS rounds, default 9); the
// figures are CPU time (user + system) per request.
import BenchHTTP
import BenchSupport
import ChannelDatabase
import CommerceRuntime
import ConsumerAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? max(Int(arguments[1]) ?? 5_000, 100) : 5_000
let rounds = max(Int(ProcessInfo.processInfo.environment["READ_PATH_ROUNDS"] ?? "9") ?? 9, 1)
let demo = try await DemoRuntime.open(arguments.count > 2 ? arguments[2] : nil, label: "read-path-bench")
let logger = {
    var logger = Logger(label: "read-path-bench")
    logger.logLevel = .warning
    return logger
}()
// The host's default request deadline (30 s); READ_PATH_TIMEOUT=0 measures without one.
let timeout = Int(ProcessInfo.processInfo.environment["READ_PATH_TIMEOUT"] ?? "30") ?? 30
// The demo's online store answers requests without an OUN header, as `commerce serve --demo` does.
let runtime = CommerceRuntime(database: demo.database, registry: HandlerRegistry.builtIn(), defaultChannel: DemoData.onlineStoreNumber, logger: logger)
try await runtime.reloadChannels()
let api = CommerceAPI(runtime: runtime, options: APIOptions(requestTimeout: timeout == 0 ? nil : .seconds(timeout)), logger: logger)
let responder = api.responder()

func request(_ target: String) -> Request {
    // What wrk sends (bench/products-by-key.sh): a Host header, which becomes the authority.
    let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost:8080", path: target, headerFields: HTTPFields())
    return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
}

func measure(_ label: String, _ target: String) async throws {
    let context = CommerceRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
    let first = try await responder.respond(to: request(target), context: context)
    guard first.status == .ok else { fatalError("\(target) answered \(first.status)") }
    for _ in 0..<max(iterations / 10, 50) { _ = try await responder.respond(to: request(target), context: context) }
    // Several rounds: on a shared machine the lowest round is the steadiest figure of what the
    // code costs; the median shows how much the rest moved it.
    var perRound: [Double] = []
    for _ in 0..<rounds {
        let start = processCPUMicroseconds()
        for _ in 0..<iterations { _ = try await responder.respond(to: request(target), context: context) }
        perRound.append((processCPUMicroseconds() - start) / Double(iterations))
    }
    perRound.sort()
    print(String(
        format: "%-50@ CPU per request: lowest %6.1f µs, median %6.1f µs (%d rounds of %d)",
        label as NSString, perRound[0], perRound[perRound.count / 2], rounds, iterations
    ))
}

let kinds = (ProcessInfo.processInfo.environment["READ_PATH_KINDS"] ?? "health,service,key,list").split(separator: ",")
for kind in kinds {
    switch kind {
    case "health": try await measure("GET /health", "/health")
    case "service": try await measure("GET /Commerce/ (service document)", "/Commerce/")
    case "key": try await measure("GET /Commerce/Products(<key>)", "/Commerce/Products(\(DemoData.firstProductId))")
    case "list": try await measure("GET /Commerce/Products?$filter&$orderby&$top=20", "/Commerce/Products?$filter=BasePrice%20gt%20100&$orderby=Name&$top=20")
    default: fatalError("unknown kind \(kind); known: health, service, key, list")
    }
}
await demo.database.close()
