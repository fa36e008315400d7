import CommerceQuery
import Foundation
import Testing

@testable import ChannelDatabase

/// Core schema version 10 on both backends: it applies to a database at version 9 that holds
/// data, its search index takes translations in, and media URIs are checked.
@Suite("Catalog breadth storage")
struct CatalogBreadthStoreTests {
    static let channel: Int64 = 7
    static let product: Int64 = 101

    private static func count(_ database: any ChannelDatabase, _ text: String) async throws -> Int {
        try await database.withTransaction(.read) {
            try await CatalogStore($0).searchCount(channelId: channel, search: ProductSearchQuery(text: try QueryParser.search(text)))
        }
    }

    @Test("version 10 applies to a version 9 database with products; the rebuilt index finds old and translated text", arguments: Backend.allCases)
    func upgradeFromVersion9(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        let upToNine = MigrationSet(namespace: CoreSchema.namespace, migrations: CoreSchema.migrations.migrations.filter { $0.version <= 9 })
        try await Migrator.migrate(database, sets: [upToNine], logger: TestDatabases.logger)
        #expect(try await Migrator.version(of: "core", in: database) == 9)
        try await database.withTransaction(.write) { tx in
            try await tx.execute("INSERT INTO currencies (code, name, symbol, rounding_decimals) VALUES ('EUR', 'Euro', 'E', 2)", [])
            try await tx.execute(
                "INSERT INTO channels (record_id, org_unit_number, name, channel_type, currency_code, language_id) VALUES (?, 'B1', 'Berlin', 'store', 'EUR', 'DE-DE')",
                [.integer(Self.channel)]
            )
            try await tx.execute(
                "INSERT INTO products (record_id, item_id, name, description, base_price, created_at, modified_at) VALUES (?, 'BP1', 'Hiking backpack', 'Forty litres', 1, 0, 0)",
                [.integer(Self.product)]
            )
            try await tx.execute(
                "INSERT INTO channel_products (channel_id, product_id) VALUES (?, ?)", [.integer(Self.channel), .integer(Self.product)])
            try await tx.execute("INSERT INTO attributes (record_id, name, data_type, is_refinable) VALUES (1, 'Brand', 'Text', 1)", [])
            try await tx.execute(
                "INSERT INTO product_attribute_values (product_id, attribute_id, text_value) VALUES (?, 1, 'Northwind')", [.integer(Self.product)])
        }

        let reports = try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
        // Version 10 and every later one (12 rebuilds the index again, with prefixes).
        #expect(reports.first?.applied == CoreSchema.migrations.migrations.map(\.version).filter { $0 > 9 })
        #expect(try await Self.count(database, "backpack") == 1)
        #expect(try await Self.count(database, "northwind") == 1)
        #expect(try await Self.count(database, "rucksack") == 0)
        let languages = try await database.withTransaction(.read) { try await ChannelStore($0).channels().first?.languages }
        #expect(languages == ["de-de"])

        // Triggers on the translation table keep the index in sync: insert, update, delete.
        try await database.withTransaction(.write) {
            try await CatalogStore($0).addProductTranslations(language: "DE-de", [(Self.product, "Wanderrucksack", "Vierzig Liter")])
        }
        #expect(try await Self.count(database, "wanderruck") == 1)
        #expect(try await Self.count(database, "vierzig") == 1)
        #expect(try await Self.count(database, "backpack") == 1)
        _ = try await database.withTransaction(.write) {
            try await $0.execute("UPDATE product_translations SET name = 'Tagesrucksack' WHERE product_id = ?", [.integer(Self.product)])
        }
        #expect(try await Self.count(database, "wanderrucksack") == 0)
        #expect(try await Self.count(database, "tagesrucksack") == 1)
        _ = try await database.withTransaction(.write) { try await $0.execute("DELETE FROM product_translations", []) }
        #expect(try await Self.count(database, "tagesrucksack") == 0)
        #expect(try await Self.count(database, "backpack") == 1)

        // A product written after the upgrade is indexed with its translations.
        try await database.withTransaction(.write) { tx in
            try await tx.execute(
                "INSERT INTO products (record_id, item_id, name, base_price, created_at, modified_at) VALUES (102, 'BP2', 'Tent', 1, 0, 0)", []
            )
            try await tx.execute("INSERT INTO channel_products (channel_id, product_id) VALUES (?, 102)", [.integer(Self.channel)])
            try await CatalogStore(tx).addProductTranslations(language: "de-de", [(102, "Zelt", "")])
        }
        #expect(try await Self.count(database, "zelt") == 1)
        #expect(try await Self.count(database, "tent") == 1)
        await database.close()
    }

    @Test("media URIs: absolute http(s) or relative paths; one default; a refused list writes nothing", arguments: Backend.allCases)
    func mediaValidation(_ backend: Backend) async throws {
        let database = try await TestDatabases.openWithChannel(backend, channel: Self.channel)
        try await database.withTransaction(.write) { tx in
            try await tx.execute(
                "INSERT INTO products (record_id, item_id, name, base_price, created_at, modified_at) VALUES (?, 'P1', 'Lamp', 1, 0, 0)",
                [.integer(Self.product)]
            )
            try await tx.execute(
                "INSERT INTO channel_products (channel_id, product_id) VALUES (?, ?)", [.integer(Self.channel), .integer(Self.product)])
        }
        let good = [
            MediaLocationRecord(uri: "Products/P1_000_002.png", altText: "Back", displayOrder: 2),
            MediaLocationRecord(uri: "https://cdn.example.com/p1.png?w=200", altText: "Front", isDefault: true, displayOrder: 1),
            MediaLocationRecord(uri: "/images/p1-detail.jpg", displayOrder: 3),
        ]
        try await database.withTransaction(.write) { try await CatalogStore($0).replaceMediaLocations(productId: Self.product, good) }

        for bad in [
            "javascript:alert(1)", "data:image/png;base64,AAAA", "//evil.example/x.png", "Products/a b.png", "", "HTTP://upper.example/x",
            "https:///x",
            "Products\\x.png",
        ] {
            await #expect(throws: DatabaseError.self, "\(bad)") {
                try await database.withTransaction(.write) {
                    try await CatalogStore($0).replaceMediaLocations(productId: Self.product, [MediaLocationRecord(uri: bad, displayOrder: 1)])
                }
            }
        }
        await #expect(throws: DatabaseError.self) {
            try await database.withTransaction(.write) {
                try await CatalogStore($0).replaceMediaLocations(
                    productId: Self.product,
                    [
                        MediaLocationRecord(uri: "a.png", isDefault: true, displayOrder: 1),
                        MediaLocationRecord(uri: "b.png", isDefault: true, displayOrder: 2),
                    ])
            }
        }
        // Writers that bypass the store meet the table's CHECK and the unique default.
        await #expect(throws: DatabaseError.self) {
            try await database.withTransaction(.write) {
                try await $0.execute(
                    "INSERT INTO product_media (product_id, display_order, uri) VALUES (?, 9, 'javascript:x')", [.integer(Self.product)])
            }
        }
        await #expect(throws: DatabaseError.self) {
            try await database.withTransaction(.write) {
                try await $0.execute(
                    "INSERT INTO product_media (product_id, display_order, uri, is_default) VALUES (?, 9, 'c.png', 1)", [.integer(Self.product)])
            }
        }

        let (stored, record) = try await database.withTransaction(.read) { tx in
            (
                try await CatalogStore(tx).mediaLocations(productId: Self.product, channelId: Self.channel, skip: 0, top: 10),
                try await CatalogStore(tx).product(recordId: Self.product, channelId: Self.channel)
            )
        }
        #expect(stored?.map(\.uri) == ["https://cdn.example.com/p1.png?w=200", "Products/P1_000_002.png", "/images/p1-detail.jpg"])
        #expect(stored?.map(\.isDefault) == [true, false, false])
        #expect(record?.primaryImageUrl == "https://cdn.example.com/p1.png?w=200")
        let unknown = try await database.withTransaction(.read) {
            try await CatalogStore($0).mediaLocations(productId: 999, channelId: Self.channel, skip: 0, top: 10)
        }
        #expect(unknown == nil)
        await database.close()
    }

    @Test("media URI rules")
    func mediaURIRules() {
        for good in ["Products/P00001_000_001.png", "/img/x.png", "http://a.example/x", "https://a.example", "x.png?v=2#top"] {
            #expect(MediaLocationURI.problem(good) == nil, "\(good)")
        }
        for bad in ["", " x.png", "ftp://a.example/x", "mailto:x@example.com", "//a.example/x", "https://", "a\tb"] {
            #expect(MediaLocationURI.problem(bad) != nil, "\(bad)")
        }
    }
}
