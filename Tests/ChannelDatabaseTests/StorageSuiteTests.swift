@testable import ChannelDatabase
import Foundation
import Testing

/// The storage contract, run unchanged on SQLite and on a real PostgreSQL server.
@Suite("Channel database storage")
struct StorageSuiteTests {
    static let scratchTable = "CREATE TABLE scratch (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, amount BIGINT, data {blob})"

    private func withScratch(_ backend: Backend, _ body: (any ChannelDatabase) async throws -> Void) async throws {
        let database = try await TestDatabases.open(backend)
        do {
            try await database.withTransaction(.write) { try await $0.executeScript(SchemaText.render(Self.scratchTable, for: $0.dialect)) }
            try await body(database)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    @Test("values round-trip unchanged", arguments: Backend.allCases)
    func valuesRoundTrip(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            let amount = try #require(Decimal(string: "-12345.678901"))
            try await database.withTransaction(.write) { tx in
                try await tx.execute(
                    "INSERT INTO scratch (id, name, amount, data) VALUES (?, ?, ?, ?)",
                    [.integer(Int64.max), .text("naïve 'quoted' ? text"), try .decimal(amount), .blob([0, 1, 255])]
                )
                try await tx.execute("INSERT INTO scratch (id, name, amount, data) VALUES (?, ?, ?, ?)", [.integer(-1), .text("nulls"), .null, .null])
            }
            let rows = try await database.withTransaction(.read) { try await $0.query("SELECT id, name, amount, data FROM scratch ORDER BY id", []) }
            #expect(rows.count == 2)
            #expect(rows[0].int64("id") == -1)
            #expect(rows[0]["amount"] == .null)
            #expect(rows[0]["data"] == .null)
            #expect(rows[1].int64("id") == Int64.max)
            #expect(rows[1].string("name") == "naïve 'quoted' ? text")
            #expect(rows[1].decimal("amount") == amount)
            #expect(rows[1]["data"] == .blob([0, 1, 255]))
        }
    }

    @Test("text arguments bind as given: empty is not NULL; short, long and non-ASCII text round-trip", arguments: Backend.allCases)
    func textArgumentsRoundTrip(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            let texts = ["", "a", "😀 naïve €", String(repeating: "long text ", count: 500)]
            try await database.withTransaction(.write) { tx in
                for (index, text) in texts.enumerated() {
                    try await tx.execute("INSERT INTO scratch (id, name) VALUES (?, ?)", [.integer(Int64(index)), .text(text)])
                }
            }
            let rows = try await database.withTransaction(.read) { try await $0.query("SELECT id, name FROM scratch ORDER BY id", []) }
            #expect(rows.map { $0.string("name") } == texts)
            #expect(rows[0]["name"] == .text(""))
            let found = try await database.withTransaction(.read) { try await $0.query("SELECT id FROM scratch WHERE name = ?", [.text("")]) }
            #expect(found.map { $0.int64("id") } == [0])
        }
    }

    @Test("a transaction that throws leaves nothing behind", arguments: Backend.allCases)
    func rollbackOnThrow(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await database.withTransaction(.write) { tx in
                    try await tx.execute("INSERT INTO scratch (id, name) VALUES (1, 'first')", [])
                    try await tx.execute("UPDATE scratch SET name = 'changed' WHERE id = 1", [])
                    throw Abort()
                }
            }
            let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM scratch")?.int("n") }
            #expect(count == 0)
        }
    }

    @Test("writes run together all land, foreign keys between them hold, and one that fails fails them all", arguments: Backend.allCases)
    func writesTogether(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            try await database.withTransaction(.write) { tx in
                try await tx.executeScript("""
                    CREATE TABLE scratch_child (parent_id BIGINT NOT NULL REFERENCES scratch(id), n BIGINT NOT NULL);
                    CREATE TABLE scratch_gone (id BIGINT PRIMARY KEY);
                    INSERT INTO scratch_gone (id) VALUES (1), (2);
                    """)
            }
            func counts() async throws -> [Int] {
                try await database.withTransaction(.read) { tx in
                    var counts: [Int] = []
                    for table in ["scratch", "scratch_child", "scratch_gone"] {
                        counts.append(try await tx.queryFirst("SELECT COUNT(*) AS n FROM \(table)")?.int("n") ?? -1)
                    }
                    return counts
                }
            }
            try await database.withTransaction(.write) { tx in
                try await tx.executeTogether([
                    SQLFragment(sql: "INSERT INTO scratch (id, name) VALUES (?, ?)", arguments: [.integer(1), .text("one")]),
                    SQLFragment(sql: "INSERT INTO scratch_child (parent_id, n) VALUES (?, ?), (?, ?)", arguments: [.integer(1), .integer(10), .integer(1), .integer(11)]),
                    SQLFragment(sql: "DELETE FROM scratch_gone WHERE id = ?", arguments: [.integer(1)]),
                ])
            }
            #expect(try await counts() == [1, 2, 1])

            // A duplicate name: the other writes of the group roll back with it.
            await #expect {
                try await database.withTransaction(.write) { tx in
                    try await tx.executeTogether([
                        SQLFragment(sql: "DELETE FROM scratch_gone WHERE id = ?", arguments: [.integer(2)]),
                        SQLFragment(sql: "INSERT INTO scratch (id, name) VALUES (?, ?)", arguments: [.integer(2), .text("one")]),
                    ])
                }
            } throws: { ($0 as? DatabaseError)?.kind == .constraintViolation }
            // A child without its parent.
            await #expect {
                try await database.withTransaction(.write) { tx in
                    try await tx.executeTogether([
                        SQLFragment(sql: "DELETE FROM scratch_gone WHERE id = ?", arguments: [.integer(2)]),
                        SQLFragment(sql: "INSERT INTO scratch_child (parent_id, n) VALUES (?, ?)", arguments: [.integer(3), .integer(30)]),
                    ])
                }
            } throws: { ($0 as? DatabaseError)?.kind == .constraintViolation }
            #expect(try await counts() == [1, 2, 1])
        }
    }

    @Test("a write transaction of a cancelled task rolls back, and the next write starts clean", arguments: Backend.allCases)
    func rollbackOnCancel(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            // As a request stopped at its deadline: cancelled while its transaction is open.
            let started = AsyncStream<Void>.makeStream()
            let task = Task {
                try await database.withTransaction(.write) { tx in
                    try await tx.execute("INSERT INTO scratch (id, name) VALUES (1, 'abandoned')", [])
                    started.continuation.yield()
                    try await Task.sleep(for: .seconds(30))
                }
            }
            for await _ in started.stream { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            _ = try await database.withTransaction(.write) { tx in
                try await tx.execute("INSERT INTO scratch (id, name) VALUES (2, 'next')", [])
            }
            let names = try await database.withTransaction(.read) { try await $0.query("SELECT name FROM scratch ORDER BY id", []) }.compactMap { $0.string("name") }
            #expect(names == ["next"])
        }
    }

    @Test("constraint violations are reported as such and roll back the transaction", arguments: Backend.allCases)
    func constraintViolation(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            do {
                try await database.withTransaction(.write) { tx in
                    try await tx.execute("INSERT INTO scratch (id, name) VALUES (1, 'same')", [])
                    try await tx.execute("INSERT INTO scratch (id, name) VALUES (2, 'same')", [])
                }
                Issue.record("the duplicate insert did not fail")
            } catch let error as DatabaseError {
                #expect(error.kind == .constraintViolation)
            }
            let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM scratch")?.int("n") }
            #expect(count == 0)
        }
    }

    @Test("execute reports changed rows; aggregates come back as integers", arguments: Backend.allCases)
    func changedRowsAndAggregates(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            let changed = try await database.withTransaction(.write) { tx in
                for id in 1...5 {
                    try await tx.execute("INSERT INTO scratch (id, name, amount) VALUES (?, ?, ?)", [.integer(Int64(id)), .text("n\(id)"), try .decimal(Decimal(id) / 100)])
                }
                return try await tx.execute("UPDATE scratch SET amount = amount + ? WHERE id > ?", [try .decimal(1), .integer(2)])
            }
            #expect(changed == 3)
            let row = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT SUM(amount) AS total, COUNT(*) AS n FROM scratch") }
            #expect(row?.decimal("total") == Decimal(string: "3.15"))
            #expect(row?.int("n") == 5)
        }
    }

    @Test("readers see a consistent snapshot while a writer commits", arguments: Backend.allCases)
    func readSnapshot(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            _ = try await database.withTransaction(.write) { try await $0.execute("INSERT INTO scratch (id, name) VALUES (1, 'before')", []) }
            let (first, second) = try await database.withTransaction(.read) { tx in
                let first = try await tx.queryFirst("SELECT COUNT(*) AS n FROM scratch")?.int("n")
                _ = try await database.withTransaction(.write) { try await $0.execute("INSERT INTO scratch (id, name) VALUES (2, 'during')", []) }
                let second = try await tx.queryFirst("SELECT COUNT(*) AS n FROM scratch")?.int("n")
                return (first, second)
            }
            #expect(first == 1)
            #expect(second == 1)
            let after = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM scratch")?.int("n") }
            #expect(after == 2)
        }
    }

    @Test("many concurrent transactions all complete", arguments: Backend.allCases)
    func concurrentTransactions(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in 1...40 {
                    group.addTask {
                        _ = try await database.withTransaction(.write) { tx in
                            try await tx.execute("INSERT INTO scratch (id, name) VALUES (?, ?)", [.integer(Int64(id)), .text("row \(id)")])
                        }
                        _ = try await database.withTransaction(.read) { try await $0.query("SELECT id FROM scratch WHERE id <= ?", [.integer(Int64(id))]) }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM scratch")?.int("n") }
            #expect(count == 40)
        }
    }

    @Test("a statement error names the problem without the bound values", arguments: Backend.allCases)
    func statementErrors(_ backend: Backend) async throws {
        try await withScratch(backend) { database in
            do {
                _ = try await database.withTransaction(.read) { try await $0.query("SELECT no_such_column FROM scratch WHERE name = ?", [.text("secret-4111111111111111")]) }
                Issue.record("the bad statement did not fail")
            } catch let error as DatabaseError {
                #expect(error.kind == .statementFailed)
                #expect(error.message.contains("no_such_column"))
                #expect(!error.description.contains("4111111111111111"))
            }
        }
    }

    @Test("demo data reads the same on both backends", arguments: Backend.allCases)
    func demoCatalog(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
        try await database.withTransaction(.write) { try await DemoData.seed($0) }
        let (count, page, product, storeCount) = try await database.withTransaction(.read) { tx in
            let store = CatalogStore(tx)
            return (
                try await store.productCount(channelId: DemoData.onlineStoreId),
                try await store.products(channelId: DemoData.onlineStoreId, skip: 1_000, top: 3),
                try await store.product(recordId: DemoData.firstProductId + 1_006, channelId: DemoData.onlineStoreId),
                try await store.productCount(channelId: DemoData.physicalStoreId)
            )
        }
        #expect(count == DemoData.productCount)
        #expect(page.map(\.recordId) == [DemoData.firstProductId + 1_000, DemoData.firstProductId + 1_001, DemoData.firstProductId + 1_002])
        #expect(page[0].isMaster)
        #expect(page[1].masterProductId == page[0].recordId)
        #expect(page[1].color == "Black" && page[1].size == "M")
        #expect(product?.itemId == "M0001")
        #expect(product?.basePrice == Decimal(string: "22.95"))
        #expect(product?.categoryIds.count == 1)
        #expect(storeCount == 500 + DemoData.masterProducts * (1 + DemoData.variantsPerMaster))
        await database.close()
    }

    @Test("PostgreSQL: a server's refusal is named in the error, not reported as a timeout")
    func postgresRefusal() async throws {
        var configuration = try await TestDatabases.freshPostgresDatabase()
        configuration.database = "no_such_database_here"
        let error = await #expect(throws: DatabaseError.self) {
            _ = try await PostgresDatabase(configuration: configuration, logger: TestDatabases.logger, connectTimeout: .seconds(2))
        }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.message.contains(#"database "no_such_database_here" does not exist"#) == true, "\(String(describing: error))")
    }
}

@Suite("Placeholders")
struct PlaceholderTests {
    @Test func rewritesOutsideQuotesOnly() {
        #expect(PostgresPlaceholders.rewrite("SELECT ? , '?' , \"a?\" , ?") == "SELECT $1 , '?' , \"a?\" , $2")
        #expect(PostgresPlaceholders.rewrite("SELECT 1") == "SELECT 1")
        #expect(PostgresPlaceholders.rewrite("SELECT 'Grüße?', ?, 'naïve' || ?") == "SELECT 'Grüße?', $1, 'naïve' || $2")
    }

    @Test func fixedPointIsExact() throws {
        #expect(try FixedPoint.encode(Decimal(string: "0.000001")!) == 1)
        #expect(FixedPoint.decode(try FixedPoint.encode(Decimal(string: "19.99")!)) == Decimal(string: "19.99"))
        #expect(throws: DatabaseError.self) { try FixedPoint.encode(Decimal(string: "0.0000001")!) }
        // Trailing zeros past the sixth digit, exponents, signs and both ends of the range.
        let cases: [(String, Int64?)] = [
            ("1.500000000", 1_500_000), ("-2.25", -2_250_000), ("0", 0), ("-0.000001", -1), ("1e3", 1_000_000_000),
            ("12.3400000001", nil), ("9223372036854.775807", Int64.max), ("-9223372036854.775808", Int64.min),
            ("9223372036854.775808", nil), ("1e13", nil), ("123456789012345678901234567890", nil), ("0.1000000", 100_000),
        ]
        for (text, expected) in cases {
            let value = try #require(Decimal(string: text))
            if let expected {
                #expect(try FixedPoint.encode(value) == expected, "\(text)")
            } else {
                #expect(throws: DatabaseError.self, "\(text)") { try FixedPoint.encode(value) }
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let micros = Int64.random(in: -4_000_000_000_000_000...4_000_000_000_000_000, using: &generator) / Int64.random(in: 1...1_000_000, using: &generator)
            #expect(try FixedPoint.encode(FixedPoint.decode(micros)) == micros)
            // The same value written with more digits, as arithmetic on decimals leaves it.
            let widened = FixedPoint.decode(micros) * Decimal(string: "1.000")!
            #expect(try FixedPoint.encode(widened) == micros)
        }
    }

    @Test func locations() throws {
        #expect(try DatabaseLocation(parsing: "data/channel.sqlite") == .sqlite(path: "data/channel.sqlite"))
        let postgres = try DatabaseLocation(parsing: "postgres://shop:secret@db.local:6543/channel?pool_max=4")
        #expect(postgres == .postgres(PostgresConfiguration(host: "db.local", port: 6543, username: "shop", password: "secret", database: "channel", maximumConnections: 4)))
        #expect(throws: DatabaseError.self) { try DatabaseLocation(parsing: "mysql://x/y") }
        #expect(throws: DatabaseError.self) { try DatabaseLocation(parsing: "postgres://host-only") }
        if case .postgres(let configuration) = postgres { #expect(!configuration.description.contains("secret")) }
    }
}
