import ChannelDatabase
import CommerceQuery
import Foundation
import Testing

/// The same `$filter`/`$orderby`/`$search` on SQLite and on PostgreSQL must select the same rows
/// in the same order, and those rows must be the ones the filter means (checked against the
/// records themselves where the meaning is simple to state in Swift).
@Suite("Query translation on both backends")
struct QueryDifferentialTests {
    /// Filters with, where easy to state, what they mean over a product record.
    static let productFilters: [(String, (@Sendable (ProductRecord) -> Bool)?)] = [
        ("BasePrice gt 100", { $0.basePrice > 100 }),
        ("BasePrice ge 22.95 and BasePrice le 30", { $0.basePrice >= Decimal(string: "22.95")! && $0.basePrice <= 30 }),
        ("contains(Name,'Shirt')", { $0.name.contains("Shirt") }),
        ("startswith(ItemId,'M0')", { $0.itemId.hasPrefix("M0") }),
        ("endswith(Name,'7')", { $0.name.hasSuffix("7") }),
        ("not contains(Name,'Shirt') and IsMasterProduct", { !$0.name.contains("Shirt") && $0.isMaster }),
        ("MasterProductId eq null", { $0.masterProductId == nil }),
        ("MasterProductId ne null", { $0.masterProductId != nil }),
        ("not (MasterProductId eq 68719477737)", { $0.masterProductId != 68_719_477_737 }),
        ("RecordId in (68719476737, 68719476740, 1)", { [68_719_476_737, 68_719_476_740].contains($0.recordId) }),
        ("BasePrice mul 2 gt 200", { $0.basePrice * 2 > 200 }),
        ("BasePrice add 0.01 eq 6", { $0.basePrice + Decimal(string: "0.01")! == 6 }),
        ("BasePrice divby 2 lt 3", { $0.basePrice / 2 < 3 }),
        ("length(Name) gt 16", { $0.name.count > 16 }),
        ("tolower(Name) eq 'classic shirt 1'", { $0.name.lowercased() == "classic shirt 1" }),
        ("indexof(Name,'Shirt') eq 8", { product in
            guard let range = product.name.range(of: "Shirt") else { return false }
            return product.name.distance(from: product.name.startIndex, to: range.lowerBound) == 8
        }),
        ("substring(ItemId,1,3) eq '000'", { Array($0.itemId.dropFirst().prefix(3)) == Array("000") }),
        ("CategoryIds/any(c: c eq 5637145327)", { $0.categoryIds.contains(5_637_145_327) }),
        ("CategoryIds/all(c: c gt 5637145330)", { $0.categoryIds.allSatisfy { $0 > 5_637_145_330 } }),
        ("CategoryIds/any()", { !$0.categoryIds.isEmpty }),
        ("round(BasePrice) eq 6", nil),
        ("BasePrice mod 5 eq 0.99", nil),
        ("concat(ItemId, Name) eq 'P00001Classic Shirt 1'", nil),
        ("trim(Name) eq Name and year(2024-05-01T10:00:00Z) eq 2024", nil),
    ]

    @Test("filters select the same products on SQLite and PostgreSQL, the ones they mean")
    func filtersAgree() async throws {
        let sqlite = try await Self.seeded(.sqlite)
        let postgres = try await Self.seeded(.postgres)
        let everything = try await Self.products(sqlite, QueryCriteria())
        #expect(everything.count == DemoData.productCount)
        for (text, meaning) in Self.productFilters {
            let criteria = QueryCriteria(filter: try QueryParser.filter(text))
            let onSQLite = try await Self.products(sqlite, criteria).map(\.recordId)
            let onPostgres = try await Self.products(postgres, criteria).map(\.recordId)
            #expect(onSQLite == onPostgres, "\(text)")
            if let meaning {
                #expect(onSQLite == everything.filter(meaning).map(\.recordId), "\(text)")
            }
        }
        await sqlite.close()
        await postgres.close()
    }

    @Test("ordering, search and counts agree on both backends")
    func orderingAndSearchAgree() async throws {
        let sqlite = try await Self.seeded(.sqlite)
        let postgres = try await Self.seeded(.postgres)
        let cases: [QueryCriteria] = [
            QueryCriteria(orderBy: try QueryParser.orderBy("Name")),
            QueryCriteria(orderBy: try QueryParser.orderBy("BasePrice desc, Name")),
            QueryCriteria(orderBy: try QueryParser.orderBy("MasterProductId, RecordId desc")),
            QueryCriteria(filter: try QueryParser.filter("BasePrice lt 50"), orderBy: try QueryParser.orderBy("length(Name) desc")),
            QueryCriteria(search: try QueryParser.search("shirt")),
            QueryCriteria(search: try QueryParser.search("classic OR \"rain jacket\"")),
            QueryCriteria(search: try QueryParser.search("classic NOT shirt")),
        ]
        for criteria in cases {
            let onSQLite = try await Self.products(sqlite, criteria).map(\.recordId)
            let onPostgres = try await Self.products(postgres, criteria).map(\.recordId)
            #expect(!onSQLite.isEmpty)
            #expect(onSQLite == onPostgres, "\(criteria)")
            let counts = try await [sqlite, postgres].asyncMap { database in
                try await database.withTransaction(.read) { try await CatalogStore($0).productCount(channelId: DemoData.onlineStoreId, criteria: criteria) }
            }
            #expect(counts == [onSQLite.count, onSQLite.count])
        }
        // Ascending by name really is ascending by code point, the same on both.
        let byName = try await Self.products(postgres, QueryCriteria(orderBy: try QueryParser.orderBy("Name")))
        #expect(byName.map { Array($0.name.unicodeScalars.map(\.value)) }.elementsEqual(
            byName.map { Array($0.name.unicodeScalars.map(\.value)) }.sorted { $0.lexicographicallyPrecedes($1) }
        ))
        await sqlite.close()
        await postgres.close()
    }

    @Test("a filter that does not fit the table is refused before any SQL runs")
    func translationErrors() async throws {
        let sqlite = try await Self.seeded(.sqlite)
        for text in ["Nope eq 1", "Name gt 5", "contains(RecordId,'x')", "BasePrice eq 1.0000001"] {
            await #expect(throws: QueryTranslationError.self, "\(text)") {
                _ = try await Self.products(sqlite, QueryCriteria(filter: try QueryParser.filter(text)))
            }
        }
        // An injection attempt is just a string that matches nothing.
        let injected = try await Self.products(sqlite, QueryCriteria(filter: try QueryParser.filter("Name eq 'x'' OR 1=1 --'")))
        #expect(injected.isEmpty)
        await sqlite.close()
    }

    static func seeded(_ backend: Backend) async throws -> any ChannelDatabase {
        let database = try await TestDatabases.open(backend)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
        try await database.withTransaction(.write) { try await DemoData.seed($0) }
        return database
    }

    static func products(_ database: any ChannelDatabase, _ criteria: QueryCriteria) async throws -> [ProductRecord] {
        try await database.withTransaction(.read) {
            try await CatalogStore($0).products(channelId: DemoData.onlineStoreId, skip: 0, top: 10_000, criteria: criteria)
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
