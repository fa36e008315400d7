@testable import ChannelDatabase
import CommerceQuery
import Foundation
import Testing

/// Full-text product search, category subtrees, refiners and paging, on SQLite (FTS5) and on a
/// real PostgreSQL server (tsvector). Expected results come from independent queries over the
/// plain tables, never from the search index.
@Suite("Product search")
struct ProductSearchTests {
    static let online = DemoData.onlineStoreId
    static let store = DemoData.physicalStoreId

    /// A migrated database with a small demo catalog (300 standalone products, 20 masters with
    /// variants, 24 categories, Brand and Material attributes).
    private func withCatalog(_ backend: Backend, _ body: (any ChannelDatabase) async throws -> Void) async throws {
        let database = try await TestDatabases.open(backend)
        do {
            try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
            try await database.withTransaction(.write) { try await DemoData.seed($0, standaloneProducts: 300) }
            try await body(database)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    private func search(_ database: any ChannelDatabase, _ query: ProductSearchQuery, channel: Int64 = ProductSearchTests.online, skip: Int = 0, top: Int = 100_000) async throws -> [ProductRecord] {
        try await database.withTransaction(.read) { try await CatalogStore($0).searchProducts(channelId: channel, skip: skip, top: top, search: query) }
    }

    private func words(_ text: String) throws -> SearchExpression { try QueryParser.search(text) }

    private func addProduct(
        _ tx: any DatabaseTransaction, id: Int64, name: String, description: String, price: Decimal = 10, category: Int64,
        channels: [Int64] = [ProductSearchTests.online], attributes: [(Int64, String)] = []
    ) async throws {
        try await tx.execute(
            """
            INSERT INTO products (record_id, item_id, name, description, base_price, created_at, modified_at)
            VALUES (?, ?, ?, ?, ?, 0, 0)
            """,
            [.integer(id), .text("T\(id)"), .text(name), .text(description), try .decimal(price)]
        )
        try await tx.execute("INSERT INTO product_categories (product_id, category_id) VALUES (?, ?)", [.integer(id), .integer(category)])
        for channel in channels {
            try await tx.execute("INSERT INTO channel_products (channel_id, product_id) VALUES (?, ?)", [.integer(channel), .integer(id)])
        }
        for (attribute, value) in attributes {
            try await tx.execute(
                "INSERT INTO product_attribute_values (product_id, attribute_id, text_value) VALUES (?, ?, ?)",
                [.integer(id), .integer(attribute), .text(value)]
            )
        }
    }

    @Test("a word in the name ranks above the same word only in the description; only the channel's products are found", arguments: Backend.allCases)
    func relevance(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let leaf = DemoData.firstCategoryId + 1
            try await database.withTransaction(.write) { tx in
                // The description-only product comes first by record id, so only ranking can put the other first.
                try await addProduct(tx, id: 1, name: "Desk Lamp", description: "Brighter than any aurora in the north", category: leaf)
                try await addProduct(tx, id: 2, name: "Aurora Lantern", description: "A lamp for camping", category: leaf)
                try await addProduct(tx, id: 3, name: "Aurora Tent", description: "Sleeps two", category: leaf, channels: [Self.store])
                try await addProduct(tx, id: 4, name: "Plain Mug", description: "Holds coffee", category: leaf, attributes: [(1, "Aurora Works")])
            }
            let found = try await search(database, ProductSearchQuery(text: try words("aurora")))
            // Name first, then attribute text, then description (the weights of the index).
            #expect(found.map(\.recordId) == [2, 4, 1])
            // The last token is a prefix: search as you type.
            #expect(Set(try await search(database, ProductSearchQuery(text: try words("auro"))).map(\.recordId)) == [1, 2, 4])
            #expect(try await search(database, ProductSearchQuery(text: try words("aurora lantern"))).map(\.recordId) == [2])
            #expect(try await search(database, ProductSearchQuery(text: try words("aurora NOT lamp"))).map(\.recordId) == [4])
            #expect(Set(try await search(database, ProductSearchQuery(text: try words("lantern OR mug"))).map(\.recordId)) == [2, 4])
            #expect(try await search(database, ProductSearchQuery(text: try words("aurora")), channel: Self.store).map(\.recordId) == [3])
            // The item id is searchable too.
            #expect(try await search(database, ProductSearchQuery(text: try words("T2"))).map(\.recordId) == [2])
            await #expect(throws: QueryTranslationError.self) {
                _ = try await search(database, ProductSearchQuery(text: try words("NOT aurora")))
            }
        }
    }

    @Test(
        "relevance tiers: all words in a name, then the item id, then attribute text, then the rest; by record id within a tier; pages cross tiers",
        arguments: Backend.allCases
    )
    func relevanceTiers(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let leaf = DemoData.firstCategoryId + 1
            try await database.withTransaction(.write) { tx in
                try await addProduct(tx, id: 5, name: "Granite Bowl", description: "Heavy", category: leaf)
                try await addProduct(tx, id: 6, name: "Plain Cup", description: "A granite look", category: leaf)
                try await addProduct(tx, id: 7, name: "Slate Plate", description: "granite", category: leaf, attributes: [(1, "Granite Co")])
                try await addProduct(tx, id: 8, name: "Granite Jar", description: "", category: leaf)
                try await addProduct(tx, id: 9, name: "Mixed Tile", description: "speckled", category: leaf, attributes: [(1, "Granite")])
                try await addProduct(tx, id: 10, name: "Speckled Granite Mug", description: "", category: leaf)
                try await addProduct(tx, id: 11, name: "Lamp T12", description: "", category: leaf)
                try await addProduct(tx, id: 12, name: "Fan", description: "", category: leaf)
                try await addProduct(tx, id: 13, name: "Fan Belt", description: "Replaces T12", category: leaf)
                try await addProduct(tx, id: 14, name: "Granite Sink", description: "", category: leaf, channels: [Self.store])
            }
            // Names 5, 8, 10; attribute text 7, 9; the description only 6. Lower record ids in a
            // worse tier come after higher ones in a better tier; 14 is another channel's.
            let granite = ProductSearchQuery(text: try words("granite"))
            #expect(try await search(database, granite).map(\.recordId) == [5, 8, 10, 7, 9, 6])
            for size in 1...4 {
                for skip in 0...7 {
                    #expect(
                        try await search(database, granite, skip: skip, top: size).map(\.recordId) == Array([5, 8, 10, 7, 9, 6].dropFirst(skip).prefix(size)),
                        "skip \(skip) top \(size)"
                    )
                }
            }
            // Both words in the name beat one in the attributes and one in the description.
            #expect(try await search(database, ProductSearchQuery(text: try words("speckled granite"))).map(\.recordId) == [10, 9])
            // A negated word is excluded from every field, whatever the tier.
            #expect(try await search(database, ProductSearchQuery(text: try words("granite NOT heavy"))).map(\.recordId) == [8, 10, 7, 9, 6])
            #expect(try await search(database, ProductSearchQuery(text: try words("granite OR fan"))).map(\.recordId) == [5, 8, 10, 12, 13, 7, 9, 6])
            // The name, then the item id, then the description.
            #expect(try await search(database, ProductSearchQuery(text: try words("t12"))).map(\.recordId) == [11, 12, 13])
            // A translated name is a name.
            _ = try await database.withTransaction(.write) { tx in
                try await tx.execute("INSERT INTO product_translations (product_id, language_id, name) VALUES (6, 'de-de', 'Granite-Becher')", [])
            }
            #expect(try await search(database, granite).map(\.recordId) == [5, 6, 8, 10, 7, 9])
            // $orderby replaces relevance; the words still select.
            let byName = ProductSearchQuery(text: try words("granite"), criteria: QueryCriteria(orderBy: [OrderByItem(.property(["Name"]))]))
            #expect(try await search(database, byName).map(\.recordId) == [5, 8, 9, 6, 7, 10])
            if backend == .sqlite {
                // Core schema 14: prefixes of up to 12 letters (`gran`, `granit` above) are index
                // entries of their own, in every index the tiers read.
                for table in ["product_search", "product_search_names", "product_search_items", "product_search_attributes"] {
                    let definition = try await database.withTransaction(.read) { tx in
                        try await tx.queryFirst("SELECT sql FROM sqlite_master WHERE name = ?", [.text(table)])?.string("sql")
                    }
                    #expect(definition?.contains("prefix = '2 3 4 5 6 7 8 9 10 11 12'") == true, "\(table)")
                }
                #expect(try await search(database, ProductSearchQuery(text: try words("gran"))).map(\.recordId) == [5, 6, 8, 10, 7, 9])
                #expect(try await search(database, ProductSearchQuery(text: try words("granit"))).map(\.recordId) == [5, 6, 8, 10, 7, 9])
            }
        }
    }

    @Test("writes after the migration are searchable: new products, attribute values, renames, deletes", arguments: Backend.allCases)
    func indexFollowsWrites(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let leaf = DemoData.firstCategoryId + 1
            try await database.withTransaction(.write) { tx in
                try await addProduct(tx, id: 10, name: "Quiet Kettle", description: "Boils water", category: leaf)
                try await tx.execute("INSERT INTO product_attribute_values (product_id, attribute_id, text_value) VALUES (10, 1, 'Zephyrite')", [])
            }
            #expect(try await search(database, ProductSearchQuery(text: try words("zephyrite"))).map(\.recordId) == [10])
            try await database.withTransaction(.write) { tx in
                try await tx.execute("UPDATE product_attribute_values SET text_value = 'Obsidianite' WHERE product_id = 10 AND attribute_id = 1", [])
                try await tx.execute("UPDATE products SET name = 'Silent Kettle' WHERE record_id = 10", [])
            }
            #expect(try await search(database, ProductSearchQuery(text: try words("zephyrite"))).isEmpty)
            #expect(try await search(database, ProductSearchQuery(text: try words("obsidianite silent"))).map(\.recordId) == [10])
            #expect(try await search(database, ProductSearchQuery(text: try words("quiet"))).isEmpty)
            _ = try await database.withTransaction(.write) { tx in
                try await tx.execute("DELETE FROM product_attribute_values WHERE product_id = 10", [])
            }
            #expect(try await search(database, ProductSearchQuery(text: try words("obsidianite"))).isEmpty)
            try await database.withTransaction(.write) { tx in
                for table in ["product_categories", "channel_products"] {
                    try await tx.execute("DELETE FROM \(table) WHERE product_id = 10", [])
                }
                try await tx.execute("DELETE FROM products WHERE record_id = 10", [])
            }
            #expect(try await search(database, ProductSearchQuery(text: try words("silent"))).isEmpty)
        }
    }

    @Test("a product changes tier with its writes: translated names added, changed and removed, item ids, attribute text", arguments: Backend.allCases)
    func tiersFollowWrites(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let leaf = DemoData.firstCategoryId + 1
            try await database.withTransaction(.write) { tx in
                try await addProduct(tx, id: 21, name: "Zanthor Lamp", description: "", category: leaf)
                try await addProduct(tx, id: 22, name: "Lamp B", description: "", category: leaf)
                try await tx.execute("UPDATE products SET item_id = 'ZANTHOR-22' WHERE record_id = 22", [])
                try await addProduct(tx, id: 23, name: "Lamp C", description: "", category: leaf, attributes: [(1, "Zanthor Co")])
                try await addProduct(tx, id: 24, name: "Lamp D", description: "a zanthor shade", category: leaf)
                try await addProduct(tx, id: 25, name: "Lamp E", description: "", category: leaf)
                try await tx.execute("INSERT INTO product_translations (product_id, language_id, name) VALUES (25, 'de-de', 'Zanthor-Leuchte')", [])
            }
            let zanthor = ProductSearchQuery(text: try words("zanthor"))
            // Names (21, and 25 by its translation), the item id (22), attributes (23), the description (24).
            #expect(try await search(database, zanthor).map(\.recordId) == [21, 25, 22, 23, 24])
            try await database.withTransaction(.write) { tx in
                try await tx.execute("UPDATE product_translations SET name = 'Leuchte' WHERE product_id = 25", [])
                try await tx.execute("UPDATE products SET item_id = 'X-22', description = 'zanthor inside' WHERE record_id = 22", [])
            }
            #expect(try await search(database, zanthor).map(\.recordId) == [21, 23, 22, 24])
            try await database.withTransaction(.write) { tx in
                try await tx.execute("DELETE FROM product_attribute_values WHERE product_id = 23", [])
                try await tx.execute("INSERT INTO product_translations (product_id, language_id, name) VALUES (24, 'fr-fr', 'Lampe Zanthor')", [])
                try await tx.execute("UPDATE product_translations SET name = 'Zanthor-Leuchte' WHERE product_id = 25", [])
            }
            #expect(try await search(database, zanthor).map(\.recordId) == [21, 24, 25, 22])
            try await database.withTransaction(.write) { tx in
                try await tx.execute("DELETE FROM product_translations WHERE product_id IN (24, 25)", [])
                try await tx.execute("UPDATE products SET name = 'Lamp A' WHERE record_id = 21", [])
                try await tx.execute("INSERT INTO product_attribute_values (product_id, attribute_id, text_value) VALUES (22, 1, 'Zanthor')", [])
            }
            // 21 and 25 are found nowhere now; 22 has the word in its attributes (and description).
            #expect(try await search(database, zanthor).map(\.recordId) == [22, 24])
            _ = try await database.withTransaction(.write) { tx in
                try await tx.execute("UPDATE product_attribute_values SET product_id = 24 WHERE product_id = 22 AND attribute_id = 1", [])
            }
            #expect(try await search(database, zanthor).map(\.recordId) == [24, 22])
        }
    }

    @Test("products written before the index existed are found after migrating to core version 4", arguments: Backend.allCases)
    func backfill(_ backend: Backend) async throws {
        let database = try await TestDatabases.open(backend)
        do {
            // Every step but the index's (the Migrator applies a missing step even below later ones)
            // and those of versions 10, 12 and 14, which rebuild that index or add to it and so
            // need it (and version 10's translations), and 15, which indexes a table of 10. The
            // demo seed needs version 10's tables, so the rows are written here.
            let before = MigrationSet(
                namespace: CoreSchema.namespace, migrations: CoreSchema.migrations.migrations.filter { ![4, 10, 12, 14, 15].contains($0.version) }
            )
            try await Migrator.migrate(database, sets: [before], logger: TestDatabases.logger)
            try await database.withTransaction(.write) { tx in
                try await tx.execute("INSERT INTO currencies (code, name, symbol, rounding_decimals) VALUES ('USD', 'US dollar', '$', 2)", [])
                try await tx.execute(
                    "INSERT INTO channels (record_id, org_unit_number, name, channel_type, currency_code, language_id) VALUES (?, '128', 'Online', 'online', 'USD', 'en-us')",
                    [.integer(Self.online)]
                )
                try await tx.execute("INSERT INTO attributes (record_id, name, data_type, is_refinable) VALUES (1, 'Brand', 'Text', 1)", [])
                for (id, item, master, brand) in [
                    (1, "P00007", nil, "Northwind"), (2, "M0001", nil, "Northwind"), (3, "M0001", 2, "Northwind"), (4, "P00008", nil, "Contoso"),
                ] as [(Int64, String, Int64?, String)] {
                    try await tx.execute(
                        """
                        INSERT INTO products (record_id, item_id, master_product_id, is_master, name, base_price, created_at, modified_at)
                        VALUES (?, ?, ?, ?, ?, 1, 0, 0)
                        """,
                        [.integer(id), .text(item), .optional(master), .bool(id == 2), .text("Product \(id)")]
                    )
                    try await tx.execute("INSERT INTO channel_products (channel_id, product_id) VALUES (?, ?)", [.integer(Self.online), .integer(id)])
                    try await tx.execute(
                        "INSERT INTO product_attribute_values (product_id, attribute_id, text_value) VALUES (?, 1, ?)", [.integer(id), .text(brand)]
                    )
                }
            }
            let reports = try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: TestDatabases.logger)
            #expect(reports.first?.applied == [4, 10, 12, 14, 15])
            let found = try await search(database, ProductSearchQuery(text: try words("P00007")))
            #expect(found.map(\.itemId) == ["P00007"])
            // Attribute text of the old rows is in the index too.
            let brand = try await search(database, ProductSearchQuery(text: try words("northwind")))
            let expected = try await database.withTransaction(.read) { tx in
                try await tx.query(
                    """
                    SELECT av.product_id FROM product_attribute_values av
                    JOIN channel_products cp ON cp.product_id = av.product_id AND cp.channel_id = ?
                    WHERE av.attribute_id = 1 AND av.text_value = 'Northwind'
                    """,
                    [.integer(Self.online)]
                ).compactMap { $0.int64("product_id") }
            }
            #expect(!expected.isEmpty)
            #expect(Set(brand.map(\.recordId)) == Set(expected))
            #expect(brand.contains { $0.masterProductId != nil })
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    @Test("a category stands for its subtree; without subcategories only direct assignments count", arguments: Backend.allCases)
    func categorySubtree(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let clothing = DemoData.firstCategoryId
            let expected = try await database.withTransaction(.read) { tx in
                try await tx.query(
                    """
                    SELECT DISTINCT pc.product_id FROM product_categories pc JOIN categories c ON c.record_id = pc.category_id
                    JOIN channel_products cp ON cp.product_id = pc.product_id AND cp.channel_id = ?
                    WHERE c.record_id = ? OR c.parent_category_id = ?
                    """,
                    [.integer(Self.online), .integer(clothing), .integer(clothing)]
                ).compactMap { $0.int64("product_id") }
            }
            #expect(!expected.isEmpty)
            let all = try await search(database, ProductSearchQuery(categoryIds: [clothing]))
            #expect(Set(all.map(\.recordId)) == Set(expected))
            #expect(all.count == expected.count)
            #expect(try await search(database, ProductSearchQuery(categoryIds: [clothing], includeSubcategories: false)).isEmpty)

            // With text: the subtree filter and the words both apply.
            let shirts = try await search(database, ProductSearchQuery(text: try words("shirt"), categoryIds: [clothing]))
            #expect(!shirts.isEmpty)
            #expect(shirts.allSatisfy { expected.contains($0.recordId) && ($0.name.lowercased().contains("shirt") || $0.description.lowercased().contains("shirt")) })
            let leaf = DemoData.firstCategoryId + 1
            let direct = try await search(database, ProductSearchQuery(categoryIds: [leaf], includeSubcategories: false))
            #expect(!direct.isEmpty && direct.allSatisfy { $0.categoryIds.contains(leaf) })
        }
    }

    @Test("refinements filter and facet counts match independent counts of what is found", arguments: Backend.allCases)
    func refiners(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let material: Int64 = 2
            let query = ProductSearchQuery(
                text: try words("contoso"),
                refinements: [.attribute(id: material, value: "Cotton"), .attribute(id: material, value: "Wool"), .price(minimum: 0, maximum: 250)]
            )
            let found = try await search(database, query)
            let (refiners, count) = try await database.withTransaction(.read) { tx in
                (try await CatalogStore(tx).refiners(channelId: Self.online, search: query), try await CatalogStore(tx).searchCount(channelId: Self.online, search: query))
            }
            #expect(count == found.count)

            // The same set by an independent query: the word anywhere, the attribute values, the price.
            let oracle = try await database.withTransaction(.read) { tx in
                try await tx.query(
                    """
                    SELECT p.record_id FROM products p
                    WHERE EXISTS (SELECT 1 FROM channel_products cp WHERE cp.channel_id = ? AND cp.product_id = p.record_id)
                      AND (lower(p.name) LIKE '%contoso%' OR lower(p.description) LIKE '%contoso%' OR lower(p.item_id) LIKE '%contoso%'
                           OR EXISTS (SELECT 1 FROM product_attribute_values a WHERE a.product_id = p.record_id AND lower(a.text_value) LIKE '%contoso%'))
                      AND EXISTS (SELECT 1 FROM product_attribute_values a WHERE a.product_id = p.record_id AND a.attribute_id = 2 AND a.text_value IN ('Cotton', 'Wool'))
                      AND p.base_price >= 0 AND p.base_price < ?
                    """,
                    [.integer(Self.online), try .decimal(250)]
                ).compactMap { $0.int64("record_id") }
            }
            #expect(!oracle.isEmpty)
            #expect(Set(found.map(\.recordId)) == Set(oracle))
            let ids = found.map(\.recordId)

            // Attribute facets: counted per value over the found products.
            let attributeRows = try await database.withTransaction(.read) { tx in
                try await tx.query("SELECT product_id, attribute_id, text_value FROM product_attribute_values", [])
            }
            var expectedAttributes: [Int64: [String: Int]] = [:]
            for row in attributeRows {
                guard let product = row.int64("product_id"), ids.contains(product), let attribute = row.int64("attribute_id"), let text = row.string("text_value") else { continue }
                expectedAttributes[attribute, default: [:]][text, default: 0] += 1
            }
            var actualAttributes: [Int64: [String: Int]] = [:]
            for refiner in refiners where refiner.source == .attribute {
                for value in refiner.values { actualAttributes[refiner.recordId, default: [:]][value.value] = value.count }
            }
            #expect(actualAttributes == expectedAttributes)
            #expect(Set(actualAttributes[material]?.keys.map { $0 } ?? []) == ["Cotton", "Wool"])

            // Category facets roll up: a parent counts the products of its children.
            let categoryRows = try await database.withTransaction(.read) { tx in try await tx.query("SELECT record_id, parent_category_id FROM categories", []) }
            var parent: [Int64: Int64] = [:]
            for row in categoryRows { if let id = row.int64("record_id"), let up = row.int64("parent_category_id") { parent[id] = up } }
            var expectedCategories: [String: Set<Int64>] = [:]
            for product in found {
                for category in product.categoryIds {
                    var current: Int64? = category
                    while let id = current {
                        expectedCategories[String(id), default: []].insert(product.recordId)
                        current = parent[id]
                    }
                }
            }
            let categoryRefiner = refiners.first { $0.source == .category }
            #expect(Dictionary(uniqueKeysWithValues: (categoryRefiner?.values ?? []).map { ($0.value, $0.count) }) == expectedCategories.mapValues(\.count))

            // Price facets: the fixed ranges, counted from the prices of what was found.
            var expectedPrices: [String: Int] = [:]
            for product in found {
                let bounds = CatalogStore.priceRangeBounds
                let index = (bounds.lastIndex { $0 <= product.basePrice }) ?? 0
                expectedPrices["\(bounds[index])", default: 0] += 1
            }
            let priceRefiner = refiners.first { $0.source == .price }
            #expect(Dictionary(uniqueKeysWithValues: (priceRefiner?.values ?? []).map { ($0.value, $0.count) }) == expectedPrices)

            // A facet count is what selecting that value finds.
            for value in categoryRefiner?.values.prefix(3) ?? [] {
                guard let id = Int64(value.value) else { continue }
                var refined = query
                refined.refinements.append(.category(id))
                #expect(try await search(database, refined).count == value.count)
            }
        }
    }

    @Test("pages concatenated equal the whole ordered result, without duplicates", arguments: Backend.allCases)
    func stablePaging(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            let orders: [[OrderByItem]] = [
                [],
                [OrderByItem(.property(["Name"]))],
                [OrderByItem(.property(["BasePrice"]), descending: true)],
            ]
            // "cotton" matches the masters, their variants and many standalone products, with many equal ranks.
            for orderBy in orders {
                let query = ProductSearchQuery(text: try words("cotton"), criteria: QueryCriteria(orderBy: orderBy))
                let whole = try await search(database, query)
                #expect(whole.count > 50)
                var paged: [Int64] = []
                var skip = 0
                while true {
                    let page = try await search(database, query, skip: skip, top: 7)
                    paged += page.map(\.recordId)
                    if page.count < 7 { break }
                    skip += 7
                }
                #expect(paged == whole.map(\.recordId))
                #expect(Set(paged).count == paged.count)
                if let first = orderBy.first, case .property(["Name"]) = first.expression {
                    #expect(whole.map(\.name) == whole.map(\.name).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) })
                }
                if let first = orderBy.first, case .property(["BasePrice"]) = first.expression {
                    #expect(whole.map(\.basePrice) == whole.map(\.basePrice).sorted(by: >))
                }
            }
        }
    }
    @Test(
        "a search ordered by an indexed property pages the same whether it sorts the matches or walks the index (SQLite walks it for many matches)",
        arguments: Backend.allCases
    )
    func orderedByIndex(_ backend: Backend) async throws {
        try await withCatalog(backend) { database in
            // 1,300 products with the word, in the online store except every ninth; prices and
            // names repeat so ties are broken by record id.
            let ids = (0..<1_300).map { 7_000_000 + Int64($0) }
            try await database.withTransaction(.write) { tx in
                for id in ids {
                    try await addProduct(
                        tx, id: id, name: "Walkword \(id % 37)", description: "ordered", price: Decimal(id % 50) + Decimal(string: "0.25")!,
                        category: DemoData.firstCategoryId, channels: id % 9 == 0 ? [ProductSearchTests.store] : [ProductSearchTests.online]
                    )
                }
            }
            let expected = try await database.withTransaction(.read) { tx in
                try await tx.query(
                    """
                    SELECT p.record_id, p.name, p.base_price FROM products p JOIN channel_products cp ON cp.product_id = p.record_id
                    WHERE cp.channel_id = ? AND p.name LIKE 'Walkword %'
                    """,
                    [.integer(ProductSearchTests.online)]
                ).compactMap { row -> (id: Int64, name: String, price: Int64)? in
                    guard let id = row.int64("record_id"), let name = row.string("name"), let price = row.int64("base_price") else { return nil }
                    return (id, name, price)
                }
            }
            #expect(expected.count == ids.filter { $0 % 9 != 0 }.count)
            let byName: (Bool) -> [Int64] = { descending in
                expected.sorted {
                    if $0.name != $1.name {
                        let ascending = $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars)
                        return descending ? !ascending : ascending
                    }
                    return $0.id < $1.id
                }.map(\.id)
            }
            let byPrice: (Bool) -> [Int64] = { descending in
                expected.sorted { $0.price != $1.price ? (descending ? $0.price > $1.price : $0.price < $1.price) : $0.id < $1.id }.map(\.id)
            }
            let cases: [(property: String, descending: Bool, order: [Int64])] = [
                ("BasePrice", false, byPrice(false)), ("BasePrice", true, byPrice(true)), ("Name", false, byName(false)), ("Name", true, byName(true)),
            ]
            for (property, descending, order) in cases {
                let query = ProductSearchQuery(
                    text: try words("walkword"), criteria: QueryCriteria(orderBy: [OrderByItem(.property([property]), descending: descending)])
                )
                for (skip, top) in [(0, 20), (15, 5), (40, 20), (1_100, 100)] {
                    let page = try await search(database, query, skip: skip, top: top)
                    #expect(page.map(\.recordId) == Array(order.dropFirst(skip).prefix(top)), "\(property) \(descending ? "desc" : "asc") skip \(skip) top \(top)")
                }
                // Which way the store went: on SQLite the engine walks the index for the first
                // pages of this many matches, and leaves a page deep enough that the walk could be
                // long to the sort. PostgreSQL always sorts.
                let index = CatalogStore.orderIndex(query, source: CatalogStore.plainProducts, dialect: backend == .sqlite ? .sqlite : .postgres)
                #expect(index == (backend == .sqlite ? (property == "Name" ? "products_name" : "products_base_price") : nil))
                #expect(CatalogStore.wordsAlone(query))
                if let index, let match = try FullTextQuery.render(try words("walkword"), for: .sqlite) {
                    let walked = try await database.withTransaction(.read) { tx in
                        let store = CatalogStore(tx)
                        return (
                            try await store.walkedPage(query, words: match, index: index, channelId: ProductSearchTests.online, skip: 0, top: 20)?.compactMap { $0.int64(at: 0) },
                            try await store.walkedPage(query, words: match, index: index, channelId: ProductSearchTests.online, skip: 40, top: 20)
                        )
                    }
                    #expect(walked.0 == Array(order.prefix(20)))
                    #expect(walked.1 == nil)
                }
            }
            // A filter that leaves few of the matches: the bounded count sees it, and the page
            // still comes out in order.
            let filtered = ProductSearchQuery(
                text: try words("walkword"),
                criteria: QueryCriteria(
                    filter: .binary(.lt, .property(["BasePrice"]), .literal(.decimal(3))), orderBy: [OrderByItem(.property(["BasePrice"]))]
                )
            )
            let limit = try FixedPoint.encode(3)
            let cheap = expected.filter { $0.price < limit }.sorted { $0.price != $1.price ? $0.price < $1.price : $0.id < $1.id }.map(\.id)
            #expect(try await search(database, filtered, top: 20).map(\.recordId) == Array(cheap.prefix(20)))
            // A filter that leaves most of them: SQLite walks the price index against the set of
            // matches (`IN`), and the page is the same.
            let dense = ProductSearchQuery(
                text: try words("walkword"),
                criteria: QueryCriteria(
                    filter: .binary(.lt, .property(["BasePrice"]), .literal(.integer(1_000))), orderBy: [OrderByItem(.property(["BasePrice"]))]
                )
            )
            #expect(try await search(database, dense, top: 20).map(\.recordId) == Array(byPrice(false).prefix(20)))
            if backend == .sqlite {
                let decisions = try await database.withTransaction(.read) { tx in
                    let store = CatalogStore(tx)
                    return (
                        try await store.orderIndexWorthWalking(filtered, index: "products_base_price", channelId: ProductSearchTests.online, rows: 20),
                        try await store.orderIndexWorthWalking(dense, index: "products_base_price", channelId: ProductSearchTests.online, rows: 20)
                    )
                }
                #expect(decisions.0 == nil)
                #expect(decisions.1 == "products_base_price")
            }
        }
    }
}
