public import Logging
import Foundation

/// Applies migration sets and refuses databases that are newer than this binary.
public enum Migrator {
    static let trackingTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            namespace TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, version)
        )
        """

    /// What a call to ``migrate(_:sets:logger:)`` did per namespace.
    public struct Report: Sendable, Equatable {
        public var namespace: String
        public var fromVersion: Int
        public var toVersion: Int
        public var applied: [Int]
    }

    /// Brings each namespace up to its latest migration, each namespace in one transaction.
    ///
    /// Idempotent: applied steps are skipped. Every step not recorded yet is applied, in version
    /// order, even one numbered below a step already applied: steps built on parallel branches
    /// (and so independent of each other) reach a database that one branch migrated first.
    /// Several hosts may call it at once: on PostgreSQL an advisory lock serializes them, on
    /// SQLite the write lock does.
    @discardableResult
    public static func migrate(_ database: any ChannelDatabase, sets: [MigrationSet], logger: Logger) async throws -> [Report] {
        var reports: [Report] = []
        for set in sets {
            let report = try await database.withTransaction(.write) { transaction in
                try await prepare(transaction, namespace: set.namespace)
                let current = try await appliedVersion(transaction, namespace: set.namespace)
                try refuseNewer(current: current, set: set)
                let done = try await appliedVersions(transaction, namespace: set.namespace)
                var applied: [Int] = []
                var schemaPolicy = set.guestPolicy
                schemaPolicy?.allowsSchemaChanges = true
                if let schemaPolicy {
                    try await GuestRoles.provision(schemaPolicy, in: transaction)
                    try await GuestRoles.allowSchemaChanges(schemaPolicy, true, in: transaction)
                }
                for migration in set.migrations where !done.contains(migration.version) {
                    do {
                        if let schemaPolicy {
                            try await transaction.executeScript(migration.script(transaction.dialect), policy: schemaPolicy)
                            let foreign = try await GuestRoles.foreignTables(of: schemaPolicy, in: transaction)
                            if let table = foreign.first { throw schemaPolicy.deniedSchemaChange(table) }
                        } else {
                            try await transaction.executeScript(migration.script(transaction.dialect))
                        }
                    } catch {
                        throw DatabaseError.migrationFailed(
                            "migration \(set.namespace) \(migration.version) (\(migration.name)) failed: \(error); nothing of it was applied"
                        )
                    }
                    try await transaction.execute(
                        "INSERT INTO schema_migrations (namespace, version, name, applied_at) VALUES (?, ?, ?, ?)",
                        [.text(set.namespace), .integer(Int64(migration.version)), .text(migration.name), .integer(Clock.nowMilliseconds())]
                    )
                    applied.append(migration.version)
                }
                if let schemaPolicy { try await GuestRoles.allowSchemaChanges(schemaPolicy, false, in: transaction) }
                return Report(namespace: set.namespace, fromVersion: current, toVersion: max(current, set.latestVersion), applied: applied)
            }
            if !report.applied.isEmpty {
                logger.info(
                    "migrated schema",
                    metadata: ["namespace": "\(set.namespace)", "from": "\(report.fromVersion)", "to": "\(report.toVersion)"]
                )
            }
            reports.append(report)
        }
        return reports
    }

    /// The version a namespace is at: 0 for a fresh database.
    public static func version(of namespace: String, in database: any ChannelDatabase) async throws -> Int {
        try await database.withTransaction(.write) { transaction in
            try await transaction.executeScript(trackingTable)
            return try await appliedVersion(transaction, namespace: namespace)
        }
    }

    /// Throws when the database holds migrations of `set` that this binary does not know.
    public static func check(_ database: any ChannelDatabase, set: MigrationSet) async throws {
        let current = try await version(of: set.namespace, in: database)
        try refuseNewer(current: current, set: set)
    }

    private static func prepare(_ transaction: any DatabaseTransaction, namespace: String) async throws {
        if transaction.dialect == .postgres {
            // Hosts starting together on one database take turns; the lock ends with the transaction.
            try await transaction.execute("SELECT pg_advisory_xact_lock(7242011)", [])
        }
        try await transaction.executeScript(trackingTable)
    }

    private static func appliedVersion(_ transaction: any DatabaseTransaction, namespace: String) async throws -> Int {
        let row = try await transaction.queryFirst(
            "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations WHERE namespace = ?",
            [.text(namespace)]
        )
        return row?.int("version") ?? 0
    }

    private static func appliedVersions(_ transaction: any DatabaseTransaction, namespace: String) async throws -> Set<Int> {
        Set(try await transaction.query("SELECT version FROM schema_migrations WHERE namespace = ?", [.text(namespace)]).compactMap { $0.int("version") })
    }

    private static func refuseNewer(current: Int, set: MigrationSet) throws {
        guard current <= set.latestVersion else {
            throw DatabaseError.schemaTooNew(
                "the channel database's \(set.namespace) schema is at version \(current), newer than this binary's "
                    + "\(set.latestVersion): run a newer commerce binary against it, or point this one at another database"
            )
        }
    }
}

enum Clock {
    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
