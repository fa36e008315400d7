// The cost of one extension trigger call through the ABI.
//
// Runs the same CRT request (a JSON request type with a 1 KB body, answered by an echo handler)
// with no trigger, with a pre-trigger written in Swift, and with the pre-trigger of an extension
// loaded through the real loader; the difference is what the ABI call adds. Usage:
//   ExtensionBench <libbench_trigger.so> [iterations]
import ChannelDatabase
import CommerceRuntime
import ConsumerAPI
import ExtensionHost
import Foundation
import Logging

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: ExtensionBench <libbench_trigger.so> [iterations]\n".utf8))
    exit(2)
}
let library = arguments[1]
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000
let logger = Logger(label: "bench")

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("extension-bench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let database = try SQLiteDatabase(path: directory + "/channel.sqlite", logger: logger)
try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
try await database.withTransaction(.write) { try await DemoData.seed($0, standaloneProducts: 10) }

// A 1 KB JSON body, shaped like the cart requests extensions see.
var payload = #"{"CartId":"bench","CartLines":["#
var index = 0
while payload.utf8.count < 1_000 {
    payload += (index == 0 ? "" : ",") + #"{"ProductId":\#(68_719_476_737 + index),"Quantity":1}"#
    index += 1
}
payload += "]}"
let body = Array(payload.utf8)

enum Variant: String, CaseIterable {
    case none = "no trigger"
    case swift = "Swift pre-trigger"
    case abi = "extension pre-trigger (ABI)"
}

func runtime(_ variant: Variant) throws -> CommerceRuntime {
    var registry = HandlerRegistry.builtIn()
    registry.registerJSON(typeName: "BenchEcho", mode: .read, owner: "bench") { request, _, _ in request }
    switch variant {
    case .none:
        break
    case .swift:
        try registry.addJSONPreTrigger(typeName: "BenchEcho", owner: "bench") { request, _ in
            if request.first != UInt8(ascii: "{") { throw CommerceError.invalidRequest("not JSON") }
        }
    case .abi:
        var model = EntityModel.retailServer()
        _ = try ExtensionHost.load([ExtensionConfiguration(path: library)], registry: &registry, model: &model, logger: logger)
    }
    return CommerceRuntime(database: database, registry: registry, logger: logger)
}

var results: [Variant: Double] = [:]
for variant in Variant.allCases {
    let runtime = try runtime(variant)
    try await runtime.reloadChannels()
    let channel = try runtime.channel(orgUnitNumber: nil)
    let request = JSONRequest(typeName: "BenchEcho", body: body)
    for _ in 0..<10_000 { _ = try await runtime.execute(request, channel: channel, caller: .anonymous) }
    var best = Double.infinity
    // Best of three rounds: the machine is shared, the minimum is the least disturbed.
    for _ in 0..<3 {
        let start = ContinuousClock.now
        for _ in 0..<iterations { _ = try await runtime.execute(request, channel: channel, caller: .anonymous) }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, nanoseconds / Double(iterations))
    }
    results[variant] = best
    print(String(format: "%-30@ %8.0f ns per request", variant.rawValue as NSString, best))
}
let none = results[.none] ?? 0
print("payload: \(body.count) bytes, iterations: \(iterations) (best of 3)")
print(String(format: "Swift pre-trigger adds     %6.0f ns", (results[.swift] ?? 0) - none))
print(String(format: "ABI pre-trigger adds       %6.0f ns (goal: <= 2000 ns)", (results[.abi] ?? 0) - none))
await database.close()
