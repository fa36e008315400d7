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
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
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

/// Triggers per request: the per-call cost is the difference divided by this.
let triggers = 10

enum Variant: String, CaseIterable {
    case none = "no trigger"
    case swift = "Swift pre-triggers"
    case abi = "extension pre-triggers (ABI)"
}

func runtime(_ variant: Variant) throws -> CommerceRuntime {
    var registry = HandlerRegistry.builtIn()
    registry.registerJSON(typeName: "BenchEcho", mode: .read, owner: "bench") { request, _, _ in request }
    switch variant {
    case .none:
        break
    case .swift:
        for _ in 0..<triggers {
            try registry.addJSONPreTrigger(typeName: "BenchEcho", owner: "bench") { request, _ in
                if request.first != UInt8(ascii: "{") { throw CommerceError.invalidRequest("not JSON") }
            }
        }
    case .abi:
        var model = EntityModel.retailServer()
        let setting = ExtensionConfiguration(path: library, configJSON: #"{"triggers": \#(triggers)}"#)
        _ = try ExtensionHost.load([setting], registry: &registry, model: &model, logger: logger)
    }
    return CommerceRuntime(database: database, registry: registry, logger: logger)
}

var runtimes: [(Variant, CommerceRuntime, ChannelRecord)] = []
for variant in Variant.allCases {
    let runtime = try runtime(variant)
    try await runtime.reloadChannels()
    runtimes.append((variant, runtime, try runtime.channel(orgUnitNumber: nil)))
}
let request = JSONRequest(typeName: "BenchEcho", body: body)
var best: [Variant: Double] = [:]
// Rounds alternate the variants and keep each one's best: the machine is shared, and the
// least disturbed round is the closest to the cost itself.
for round in 0..<5 {
    for (variant, runtime, channel) in runtimes {
        let count = round == 0 ? 10_000 : iterations
        let start = ContinuousClock.now
        for _ in 0..<count { _ = try await runtime.execute(request, channel: channel, caller: .anonymous) }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        if round > 0 { best[variant] = min(best[variant] ?? .infinity, nanoseconds / Double(count)) }
    }
}
for variant in Variant.allCases {
    print("\(variant.rawValue): \(Int(best[variant] ?? 0)) ns per request")
}
let none = best[.none] ?? 0
print("payload: \(body.count) bytes, \(triggers) triggers per request, \(iterations) requests per round (best of 4 rounds)")
print("one Swift pre-trigger call: \(Int(((best[.swift] ?? 0) - none) / Double(triggers))) ns")
print("one ABI pre-trigger call:   \(Int(((best[.abi] ?? 0) - none) / Double(triggers))) ns (goal: <= 2000 ns)")
await database.close()
