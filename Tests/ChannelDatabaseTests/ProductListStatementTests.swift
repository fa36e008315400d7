import CommerceQuery
import Foundation
import Testing

@testable import ChannelDatabase

/// The product list as one statement: its order, category ids and primary images, the source it
/// reads for a language (and the hint it starts from, when translations come and go), and the
/// cache of translated criteria; on both backends.
@Suite("Product list statement")
struct ProductListStatementTests {
    static let channel: Int64 = 7

    /// Five products in the channel's assortment: Anchor, Bucket, Candle, Drum, Easel (record
    /// ids 101-105, prices 10-50), one outside it; categories and media on some.
    private static func seeded(_ backend: Backend) async throws -> any ChannelDatabase {
        let database = try await TestDatabases.openWithChannel(backend, channel: Self.channel)
        try await database.withTransaction(.write) { tx in
            for (offset, name) in ["Anchor", "Bucket", "Candle", "Drum", "Easel", "Flute"].enumerated() {
                let id = Int64(101 + offset)
                try await tx.execute(
                    "INSERT INTO products (record_id, item_id, name, base_price, created_at, modified_at) VALUES (?, ?, ?, ?, 0, 0)",
                    [.integer(id), .text("I\(id)"), .text(name), .integer(Int64(offset + 1) * 10_000_000)]
                )
                // Flute is not in the assortment.
                if name != "Flute" {
                    try await tx.execute("INSERT INTO channel_products (channel_id, product_id) VALUES (?, ?)", [.integer(Self.channel), .integer(id)])
                }
            }
            for category in [3, 1, 2] as [Int64] {
                try await tx.execute("INSERT INTO categories (record_id, name, display_order) VALUES (?, ?, 0)", [.integer(category), .text("C\(category)")])
            }
            for (product, category) in [(101, 3), (101, 1), (103, 2)] as [(Int64, Int64)] {
                try await tx.execute(
                    "INSERT INTO product_categories (product_id, category_id) VALUES (?, ?)", [.integer(product), .integer(category)])
            }
            let store = CatalogStore(tx)
            // 101: the default is not the first; 102: no default, the first by display order; 103: none.
            try await store.replaceMediaLocations(
                productId: 101,
                [
                    MediaLocationRecord(uri: "a/1.png", displayOrder: 1), MediaLocationRecord(uri: "a/2.png", isDefault: true, displayOrder: 2),
                    MediaLocationRecord(uri: "a/3.png", displayOrder: 3),
                ])
            try await store.replaceMediaLocations(
                productId: 102, [MediaLocationRecord(uri: "b/9.png", displayOrder: 9), MediaLocationRecord(uri: "b/4.png", displayOrder: 4)])
        }
        return database
    }

    private static func page(
        _ database: any ChannelDatabase, skip: Int = 0, top: Int = 10, filter: String? = nil, orderBy: String? = nil, language: String? = nil
    ) async throws -> [ProductRecord] {
        let criteria = QueryCriteria(filter: try filter.map { try QueryParser.filter($0) }, orderBy: try orderBy.map { try QueryParser.orderBy($0) } ?? [])
        return try await database.withTransaction(.read) {
            try await CatalogStore($0).products(channelId: channel, skip: skip, top: top, criteria: criteria, language: language)
        }
    }

    private static func count(_ database: any ChannelDatabase, filter: String?, language: String?) async throws -> Int {
        let criteria = QueryCriteria(filter: try filter.map { try QueryParser.filter($0) })
        return try await database.withTransaction(.read) {
            try await CatalogStore($0).productCount(channelId: channel, criteria: criteria, language: language)
        }
    }

    /// A language id no other test uses, so the process-wide hint for it is this test's alone.
    private static func freshLanguage() -> String {
        "x-" + UUID().uuidString.prefix(8).lowercased()
    }

    @Test("a page keeps its order, paging and arguments, with category ids and the primary image of each row", arguments: Backend.allCases)
    func pageContents(_ backend: Backend) async throws {
        let database = try await Self.seeded(backend)
        let all = try await Self.page(database)
        #expect(all.map(\.name) == ["Anchor", "Bucket", "Candle", "Drum", "Easel"])
        #expect(all.map(\.categoryIds) == [[1, 3], [], [2], [], []])
        #expect(all.map(\.primaryImageUrl) == ["a/2.png", "b/4.png", nil, nil, nil])
        // Ordered by a descending name, paged; the outer query orders the page again.
        #expect(try await Self.page(database, skip: 1, top: 3, orderBy: "Name desc").map(\.name) == ["Drum", "Candle", "Bucket"])
        // Filter and order arguments both bound, the order's twice (inner and outer ORDER BY).
        let ordered = try await Self.page(database, filter: "BasePrice gt 15", orderBy: "indexof(Name,'u') desc,Name")
        #expect(ordered.map(\.name) == ["Drum", "Bucket", "Candle", "Easel"])
        #expect(ordered.first { $0.name == "Bucket" }?.primaryImageUrl == "b/4.png")
        // The same page in a language without translations reads the same.
        #expect(try await Self.page(database, language: Self.freshLanguage()) == all)
        // By key: the same primary image.
        let byKey = try await database.withTransaction(.read) { try await CatalogStore($0).product(recordId: 101, channelId: Self.channel) }
        #expect(byKey?.primaryImageUrl == "a/2.png")
        #expect(byKey?.categoryIds == [1, 3])
        await database.close()
    }

    @Test("a language's first translation and its last one's removal show in lists and counts at once, whatever the hint said", arguments: Backend.allCases)
    func translationHint(_ backend: Backend) async throws {
        let database = try await Self.seeded(backend)
        let language = Self.freshLanguage()
        let hints = ProductTranslationHints.shared
        // No translations: the untranslated source, and the hint says so.
        #expect(try await Self.page(database, filter: "contains(Name,'Anker')", language: language).isEmpty)
        #expect(hints.translated(language) == false)
        #expect(try await Self.page(database, language: language).first?.name == "Anchor")
        #expect(try await Self.count(database, filter: "contains(Name,'Anker')", language: language) == 0)

        try await database.withTransaction(.write) {
            try await CatalogStore($0).addProductTranslations(language: language, [(101, "Anker", "Schwer"), (105, "Aaa-Staffelei", "")])
        }
        // The hint still says untranslated. A filled page carries the check: read again, translated.
        #expect(hints.translated(language) == false)
        let translated = try await Self.page(database, orderBy: "Name", language: language)
        #expect(translated.map(\.name) == ["Aaa-Staffelei", "Anker", "Bucket", "Candle", "Drum"])
        #expect(translated[1].description == "Schwer")
        #expect(hints.translated(language) == true)

        // An empty page proves nothing: with a stale hint, the check runs as a statement.
        hints.record(language, translated: false)
        #expect(try await Self.page(database, filter: "contains(Name,'Anker')", language: language).map(\.recordId) == [101])
        #expect(hints.translated(language) == true)
        // A count always carries the check.
        hints.record(language, translated: false)
        #expect(try await Self.count(database, filter: "contains(Name,'Anker')", language: language) == 1)
        #expect(hints.translated(language) == true)

        // Translations removed: the translated source reads the master data text, and the hint flips.
        _ = try await database.withTransaction(.write) { try await $0.execute("DELETE FROM product_translations WHERE language_id = ?", [.text(language)]) }
        #expect(try await Self.page(database, orderBy: "Name", language: language).map(\.name) == ["Anchor", "Bucket", "Candle", "Drum", "Easel"])
        #expect(hints.translated(language) == false)
        #expect(try await Self.count(database, filter: "contains(Name,'Anker')", language: language) == 0)

        // No hint at all (a new process): the check runs first.
        let other = Self.freshLanguage()
        try await database.withTransaction(.write) { try await CatalogStore($0).addProductTranslations(language: other, [(102, "Eimer", "")]) }
        #expect(hints.translated(other) == nil)
        #expect(try await Self.page(database, filter: "Name eq 'Eimer'", language: other).map(\.recordId) == [102])
        #expect(hints.translated(other) == true)
        await database.close()
    }

    @Test("category ids from their text: ascending, whatever the order or form of the text")
    func categoryIdText() {
        #expect(CatalogStore.categoryIds(nil) == [])
        #expect(CatalogStore.categoryIds("") == [])
        #expect(CatalogStore.categoryIds("5637145339") == [5637145339])
        #expect(CatalogStore.categoryIds("1,2,10") == [1, 2, 10])
        #expect(CatalogStore.categoryIds("10,2,1") == [1, 2, 10])
        #expect(CatalogStore.categoryIds("9223372036854775807,1") == [1, 9223372036854775807])
        #expect(CatalogStore.categoryIds("3,,1") == [1, 3])
        #expect(CatalogStore.categoryIds("3,x,1") == [1, 3])
        #expect(CatalogStore.categoryIds("99999999999999999999") == [])
    }

    @Test("translated criteria are cached by criteria, dialect, key and base; now() never is")
    func selectionCache() throws {
        let cache = SQLSelectionCache(table: CatalogStore.productTable)
        let cheap = QueryCriteria(filter: try QueryParser.filter("BasePrice gt 100"), orderBy: try QueryParser.orderBy("Name"))
        let first = try cache.selection(cheap, key: "p.record_id", base: "1 = 1", dialect: .sqlite)
        let again = try cache.selection(cheap, key: "p.record_id", base: "1 = 1", dialect: .sqlite)
        #expect(cache.count == 1)
        #expect(first.whereSQL == again.whereSQL && first.orderSQL == again.orderSQL && first.arguments == again.arguments)
        let direct = try CatalogStore.selection(cheap, table: CatalogStore.productTable, key: "p.record_id", base: "1 = 1", dialect: .sqlite)
        #expect(first.whereSQL == direct.whereSQL && first.orderSQL == direct.orderSQL && first.arguments == direct.arguments)

        // Another literal, dialect, key or base is another entry, with its own SQL or arguments.
        let dearer = QueryCriteria(filter: try QueryParser.filter("BasePrice gt 200"), orderBy: try QueryParser.orderBy("Name"))
        #expect(try cache.selection(dearer, key: "p.record_id", base: "1 = 1", dialect: .sqlite).arguments != first.arguments)
        #expect(try cache.selection(cheap, key: "p.record_id", base: "1 = 1", dialect: .postgres).orderSQL != first.orderSQL)
        #expect(try cache.selection(cheap, key: nil, base: "1 = 1", dialect: .sqlite).orderSQL != first.orderSQL)
        #expect(try cache.selection(cheap, key: "p.record_id", base: nil, dialect: .sqlite).whereSQL != first.whereSQL)
        #expect(cache.count == 5)

        // The order's own arguments, for a statement that orders twice.
        let indexed = QueryCriteria(filter: try QueryParser.filter("Name ne 'x'"), orderBy: try QueryParser.orderBy("indexof(Name,'u')"))
        let selection = try cache.selection(indexed, key: "p.record_id", dialect: .sqlite)
        #expect(selection.orderArguments == [.text("u")])
        #expect(selection.arguments == [.text("x"), .text("u")])

        // now() binds the clock: translated every time, never kept.
        let recent = QueryCriteria(filter: .binary(.lt, .property(["RecordId"]), .function(.year, [.function(.now, [])])))
        #expect(SQLSelectionCache.readsClock(recent))
        #expect(!SQLSelectionCache.readsClock(cheap))
        _ = try cache.selection(recent, key: "p.record_id", dialect: .sqlite)
        #expect(cache.count == 6)
        // Errors are thrown each time and not kept.
        let unknown = QueryCriteria(filter: try QueryParser.filter("Colour eq 'red'"))
        #expect(throws: QueryTranslationError.self) { try cache.selection(unknown, key: nil, dialect: .sqlite) }
        #expect(throws: QueryTranslationError.self) { try cache.selection(unknown, key: nil, dialect: .sqlite) }
        #expect(cache.count == 6)
    }
}
