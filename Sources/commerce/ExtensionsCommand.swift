import ArgumentParser
import ConsumerAPI
import ExtensionHost
import Foundation

/// `commerce extensions list`: loads the configured extensions as `serve` would, without
/// opening the database, and shows what each registered.
struct Extensions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the configured extensions.",
        subcommands: [List.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load the configured extensions and list what each registered.")

        @OptionGroup var options: HostOptions

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() async throws {
            try await runReportingErrors {
                let configuration = try options.load()
                let logger = makeLogger(configuration.logLevel)
                let (host, _, _) = try Host(configuration: configuration, logger: logger).loadExtensions()
                if json {
                    print(String(decoding: ExtensionReport.json(host), as: UTF8.self))
                    return
                }
                print("host extension ABI \(HostABI.version)")
                if host.loaded.isEmpty && host.skipped.isEmpty { print("no extensions are configured and enabled") }
                for loaded in host.loaded {
                    print("\(loaded.name) \(loaded.version) (ABI \(loaded.abi)\(loaded.swiftToolchain.map { ", Swift \($0)" } ?? "")) from \(loaded.path)")
                    for (label, items) in loaded.registrationSummary { print("  \(label): \(items)") }
                }
                for refusal in host.skipped { print("skipped: \(refusal)") }
            }
        }
    }
}

/// The loaded extensions as JSON, for `/health` and `extensions list --json`.
enum ExtensionReport {
    static func json(_ host: ExtensionHost) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginArray()
        for loaded in host.loaded {
            writer.beginObject()
            writer.field("name", loaded.name)
            writer.field("version", loaded.version)
            writer.field("abi", loaded.abi)
            writer.field("path", loaded.path)
            writer.field("swiftToolchain", loaded.swiftToolchain)
            for (key, items) in [
                ("handlers", loaded.handlers), ("preTriggers", loaded.preTriggers), ("postTriggers", loaded.postTriggers),
                ("operations", loaded.operations), ("entitySets", loaded.entitySets), ("readsTables", loaded.readsTables),
            ] {
                writer.key(key)
                writer.beginArray()
                for item in items { writer.string(item) }
                writer.endArray()
            }
            writer.key("migrations")
            writer.beginArray()
            for version in loaded.migrations { writer.int(Int64(version)) }
            writer.endArray()
            writer.endObject()
        }
        for refusal in host.skipped {
            writer.beginObject()
            writer.field("path", refusal.path)
            writer.field("skipped", refusal.problem)
            writer.endObject()
        }
        writer.endArray()
        return writer.bytes
    }
}
