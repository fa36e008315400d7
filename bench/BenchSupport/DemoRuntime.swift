public import ChannelDatabase
public import CommerceRuntime
import Foundation
import Logging

/// The runtime over a channel database with the demo data, as the in-process benchmarks
/// (PricingBench, CartBench) start from it.
public struct DemoRuntime: Sendable {
    public let database: any ChannelDatabase
    public let runtime: CommerceRuntime
    /// The demo's online store.
    public let channel: ChannelRecord

    /// Opens `location` (a SQLite path or a `postgres://` URL), or a fresh SQLite file in the
    /// temporary directory when it is nil; migrates it and seeds the demo data if it is empty.
    public static func open(_ location: String?, label: String) async throws -> DemoRuntime {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let parsed: DatabaseLocation
        if let location {
            parsed = try DatabaseLocation(parsing: location)
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            parsed = .sqlite(path: directory.appendingPathComponent("channel.sqlite").path)
        }
        let database = try await ChannelDatabaseFactory.open(parsed, logger: logger)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
        if try await database.withTransaction(.read, { try await DemoData.isEmpty($0) }) {
            try await database.withTransaction(.write) { try await DemoData.seed($0) }
        }
        let runtime = CommerceRuntime(database: database, registry: HandlerRegistry.builtIn(), logger: logger)
        try await runtime.reloadChannels()
        return DemoRuntime(database: database, runtime: runtime, channel: try runtime.channel(orgUnitNumber: DemoData.onlineStoreNumber))
    }
}
