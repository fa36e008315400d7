import ChannelDatabase
import Foundation
import Logging
import Testing

/// The two real backends every storage test runs on.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Opens a fresh, empty channel database on a backend.
///
/// SQLite: a new file in a temporary directory. PostgreSQL: a new database on the server named
/// by `COMMERCE_TEST_POSTGRES_URL` (the test script starts a throwaway cluster and sets it);
/// without it the test fails, it does not skip.
enum TestDatabases {
    static let logger = Logger(label: "test")
    /// Longer than the host's 10 s: the suite opens databases from many tests at once, and a
    /// server briefly at its connection limit is waited out rather than failing a test.
    static let connectTimeout: Duration = .seconds(60)

    static func open(_ backend: Backend) async throws -> any ChannelDatabase {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("commerce-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try SQLiteDatabase(path: directory.appendingPathComponent("channel.sqlite").path, logger: logger)
        case .postgres:
            return try await PostgresDatabase(configuration: try freshPostgresDatabase(), logger: logger, connectTimeout: connectTimeout)
        }
    }

    /// A new database with the core schema and one online channel `S1` (USD, en-us) of record
    /// id `channel`: what the store tests build their catalog on.
    static func openWithChannel(_ backend: Backend, channel: Int64) async throws -> any ChannelDatabase {
        let database = try await open(backend)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
        try await database.withTransaction(.write) { tx in
            try await tx.execute("INSERT INTO currencies (code, name, symbol, rounding_decimals) VALUES ('USD', 'Dollar', '$', 2)", [])
            try await tx.execute(
                "INSERT INTO channels (record_id, org_unit_number, name, channel_type, currency_code, language_id) VALUES (?, 'S1', 'Shop', 'online', 'USD', 'en-us')",
                [.integer(channel)]
            )
        }
        return database
    }

    /// Creates a new empty database on the test server and answers its configuration.
    static func freshPostgresDatabase() async throws -> PostgresConfiguration {
        guard let url = ProcessInfo.processInfo.environment["COMMERCE_TEST_POSTGRES_URL"] else {
            throw TestSetupError("COMMERCE_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
        }
        var admin = try PostgresConfiguration(url: url)
        admin.maximumConnections = 1
        let server = try await PostgresDatabase(configuration: admin, logger: logger, connectTimeout: connectTimeout)
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        do {
            try await server.createDatabase(named: name)
        } catch {
            await server.close()
            throw error
        }
        await server.close()
        var configuration = admin
        configuration.database = name
        configuration.maximumConnections = 8
        return configuration
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
