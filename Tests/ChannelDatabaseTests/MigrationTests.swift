@testable import ChannelDatabase
import Testing

@Suite("Migrations")
struct MigrationTests {
    static let sample = MigrationSet(namespace: "ext_sample", migrations: [
        Migration(version: 1, name: "points table", portable: "CREATE TABLE ext_sample_points (id {pk}, points BIGINT NOT NULL)"),
        Migration(version: 2, name: "points index", portable: "CREATE INDEX ext_sample_points_by_points ON ext_sample_points(points)"),
    ])

    /// The core steps as recorded, so these tests follow the schema as versions are added.
    static let coreSteps = CoreSchema.migrations.migrations.map { "core \($0.version)" }

    @Test("fresh database: every step is applied and recorded", arguments: Backend.allCases)
    func fresh(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        let reports = try await Migrator.migrate(database, sets: [CoreSchema.migrations, Self.sample], logger: TestDatabases.logger)
        #expect(reports.map(\.applied) == [CoreSchema.migrations.migrations.map(\.version), [1, 2]])
        #expect(try await Migrator.version(of: "core", in: database) == CoreSchema.migrations.latestVersion)
        #expect(try await Migrator.version(of: "ext_sample", in: database) == 2)
        let tables = try await database.withTransaction(.read) { try await $0.query("SELECT COUNT(*) AS n FROM ext_sample_points", []) }
        #expect(tables.first?.int("n") == 0)
        await database.close()
    }

    @Test("repeating a migration changes nothing", arguments: Backend.allCases)
    func repeated(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations, Self.sample], logger: TestDatabases.logger)
        let again = try await Migrator.migrate(database, sets: [CoreSchema.migrations, Self.sample], logger: TestDatabases.logger)
        #expect(again.allSatisfy { $0.applied.isEmpty })
        let rows = try await database.withTransaction(.read) { try await $0.query("SELECT namespace, version FROM schema_migrations ORDER BY namespace, version", []) }
        #expect(rows.map { "\($0.string("namespace") ?? "") \($0.int("version") ?? 0)" } == Self.coreSteps + ["ext_sample 1", "ext_sample 2"])
        await database.close()
    }

    @Test("a step numbered below one already applied (merged from another branch) is still applied", arguments: Backend.allCases)
    func mergedLater(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        let table = { (version: Int) in
            Migration(version: version, name: "table \(version)", portable: "CREATE TABLE ext_branches_\(version) (id {pk})")
        }
        let first = MigrationSet(namespace: "ext_branches", migrations: [table(1), table(3)])
        let merged = MigrationSet(namespace: "ext_branches", migrations: [table(1), table(2), table(3)])
        #expect(try await Migrator.migrate(database, sets: [first], logger: TestDatabases.logger).map(\.applied) == [[1, 3]])
        #expect(try await Migrator.migrate(database, sets: [merged], logger: TestDatabases.logger).map(\.applied) == [[2]])
        #expect(try await Migrator.migrate(database, sets: [merged], logger: TestDatabases.logger).map(\.applied) == [[]])
        let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM ext_branches_2", [])?.int("n") }
        #expect(count == 0)
        await database.close()
    }

    @Test("a database newer than the binary is refused", arguments: Backend.allCases)
    func newerRefused(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
        _ = try await database.withTransaction(.write) { tx in
            try await tx.execute("INSERT INTO schema_migrations (namespace, version, name, applied_at) VALUES ('core', 99, 'from the future', 0)", [])
        }
        do {
            try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
            Issue.record("a newer database was accepted")
        } catch let error as DatabaseError {
            #expect(error.kind == .schemaTooNew)
            #expect(error.message.contains("version 99"))
        }
        await #expect(throws: DatabaseError.self) { try await Migrator.check(database, set: CoreSchema.migrations) }
        await database.close()
    }

    @Test("a failing step applies nothing of its set", arguments: Backend.allCases)
    func failingStep(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        let broken = MigrationSet(namespace: "ext_broken", migrations: [
            Migration(version: 1, name: "good", portable: "CREATE TABLE ext_broken_a (id {pk})"),
            Migration(version: 2, name: "bad", portable: "CREATE TABLE ext_broken_b (id {pk}); CREATE TABLE ext_broken_a (id {pk})"),
        ])
        do {
            try await Migrator.migrate(database, sets: [broken], logger: TestDatabases.logger)
            Issue.record("the broken migration succeeded")
        } catch let error as DatabaseError {
            #expect(error.kind == .migrationFailed)
            #expect(error.message.contains("ext_broken 2 (bad)"))
        }
        #expect(try await Migrator.version(of: "ext_broken", in: database) == 0)
        await #expect(throws: DatabaseError.self) {
            _ = try await database.withTransaction(.read) { try await $0.query("SELECT * FROM ext_broken_a", []) }
        }
        await database.close()
    }

    @Test("two migrators at once apply each step once", arguments: Backend.allCases)
    func concurrentMigrators(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        try await withThrowingTaskGroup(of: [Migrator.Report].self) { group in
            for _ in 0..<3 {
                group.addTask { try await Migrator.migrate(database, sets: [CoreSchema.migrations, Self.sample], logger: TestDatabases.logger) }
            }
            // Which migrator applies which namespace depends on who gets the lock first; what
            // matters is that every step is applied exactly once across all of them.
            var applied: [String] = []
            for try await reports in group {
                applied += reports.flatMap { report in report.applied.map { "\(report.namespace) \($0)" } }
            }
            #expect(applied.sorted() == (Self.coreSteps + ["ext_sample 1", "ext_sample 2"]).sorted())
        }
        await database.close()
    }
}
