import ChannelDatabase
import Foundation
import Testing

/// `masterDataVersion` tells cached catalog answers when to stop: it must change with every
/// commit that changes master data, and stay put for carts, orders and stock, or the cache
/// would be emptied by every checkout.
@Suite("Master data version")
struct MasterDataVersionTests {
    static let channel: Int64 = 5_637_144_576

    @Test("changes after a commit that changes master data, and only after the commit")
    func changesWithMasterData() async throws {
        let database = try await TestDatabases.openWithChannel(.sqlite, channel: Self.channel)
        let before = try #require(database.masterDataVersion)
        let during = try await database.withTransaction(.write) { transaction in
            try await transaction.execute(
                "INSERT INTO products (record_id, item_id, name, base_price, created_at, modified_at) VALUES (1, 'P1', 'Lamp', 1, 0, 0)", []
            )
            return database.masterDataVersion
        }
        #expect(during == before, "the version moved before the commit: a reader could store an answer from the old snapshot under it")
        let afterInsert = try #require(database.masterDataVersion)
        #expect(afterInsert != before)

        _ = try await database.withTransaction(.write) { transaction in
            try await transaction.execute("UPDATE products SET name = 'Desk lamp' WHERE record_id = 1", [])
        }
        #expect(database.masterDataVersion != afterInsert)
        await database.close()
    }

    @Test("stays put for carts, stock, reads, rolled-back writes and transactions that change nothing")
    func staysForTransactionalData() async throws {
        let database = try await TestDatabases.openWithChannel(.sqlite, channel: Self.channel)
        try await database.withTransaction(.write) { transaction in
            try await transaction.execute(
                "INSERT INTO products (record_id, item_id, name, base_price, created_at, modified_at) VALUES (1, 'P1', 'Lamp', 1, 0, 0)", []
            )
            try await transaction.execute("INSERT INTO warehouses (warehouse_id, name) VALUES ('WH', 'Main')", [])
        }
        let version = try #require(database.masterDataVersion)

        try await database.withTransaction(.write) { transaction in
            try await transaction.execute(
                "INSERT INTO carts (id, channel_id, created_at, modified_at) VALUES ('c1', ?, 0, 0)", [.integer(Self.channel)]
            )
            try await transaction.execute("INSERT INTO stock (product_id, warehouse_id, on_hand) VALUES (1, 'WH', 5)", [])
            try await transaction.execute("UPDATE stock SET reserved = 1 WHERE product_id = 1", [])
        }
        #expect(database.masterDataVersion == version)

        _ = try await database.withTransaction(.read) { try await $0.query("SELECT name FROM products", []) }
        _ = try await database.withTransaction(.write) { transaction in
            try await transaction.execute("UPDATE products SET name = 'Lamp' WHERE record_id = 999", [])
        }
        #expect(database.masterDataVersion == version)

        struct Abandon: Error {}
        await #expect(throws: Abandon.self) {
            try await database.withTransaction(.write) { transaction in
                try await transaction.execute("UPDATE products SET name = 'Never' WHERE record_id = 1", [])
                throw Abandon()
            }
        }
        #expect(database.masterDataVersion == version)

        // What the rollback left uncounted must not leak into the next commit's count.
        _ = try await database.withTransaction(.write) { transaction in
            try await transaction.execute("DELETE FROM carts", [])
        }
        #expect(database.masterDataVersion == version)
        await database.close()
    }

    @Test("changes when a whole table is emptied (rows SQLite's update hook does not report)")
    func changesOnTruncate() async throws {
        let database = try await TestDatabases.openWithChannel(.sqlite, channel: Self.channel)
        try await database.withTransaction(.write) { transaction in
            try await transaction.execute("INSERT INTO tax_codes (tax_code, name) VALUES ('VAT', 'Value added')", [])
            try await transaction.execute("INSERT INTO tax_rates (tax_code, rate_percent) VALUES ('VAT', 20000000)", [])
        }
        let version = try #require(database.masterDataVersion)
        _ = try await database.withTransaction(.write) { transaction in
            try await transaction.execute("DELETE FROM tax_rates", [])
        }
        #expect(database.masterDataVersion != version)
        await database.close()
    }

    @Test("PostgreSQL cannot tell: other hosts write the same database")
    func postgresHasNone() async throws {
        let database = try await TestDatabases.open(.postgres)
        #expect(database.masterDataVersion == nil)
        await database.close()
    }
}
