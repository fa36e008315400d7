public import CommerceQuery
import Foundation

/// Reads the catalog as one channel sees it: only products assigned to the channel's assortment.
///
/// Paging and counting happen in the database; nothing here loads a table whole.
public struct CatalogStore: Sendable {
    let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// One product with its category ids as one comma-separated text and its primary image, so
    /// a read by key is one statement. Built once per dialect and source: statement texts are
    /// also prepared-statement cache keys.
    private static func selectProduct(categoryIds: String, source: String) -> String {
        """
        \(productColumns), \(categoryIds) AS category_ids, \(primaryImage) AS primary_image_url
        FROM \(source) WHERE \(inAssortment) AND p.record_id = ?
        """
    }

    /// The primary image of the product `p`: the default media location, else the first. Core
    /// schema 15 indexes `product_media` in this order, so it is one index probe.
    private static let primaryImage =
        "(SELECT m.uri FROM product_media m WHERE m.product_id = p.record_id ORDER BY m.is_default DESC, m.display_order LIMIT 1)"

    /// The channel's assortment as a semi-join: the planner then walks `products` in the order
    /// asked for and stops after a page, instead of collecting the whole assortment through
    /// `channel_products` and sorting it (100k products: 0.1 ms instead of 90 ms for a page).
    private static let inAssortment = "EXISTS (SELECT 1 FROM channel_products cp WHERE cp.channel_id = ? AND cp.product_id = p.record_id)"

    /// `products` as `p`, untranslated: master data names and descriptions.
    static let plainProducts = "products p"
    /// `products` as `p` with name and description in one language (the first argument), the
    /// master data text where the language has none. Every other column and condition reads `p`
    /// as before, so `$filter` and `$orderby` on `Name` work on the translated name.
    static let translatedProducts = """
        (SELECT p0.record_id, p0.item_id, p0.master_product_id, p0.is_master,
                COALESCE(NULLIF(t.name, ''), p0.name) AS name, COALESCE(NULLIF(t.description, ''), p0.description) AS description,
                p0.unit_of_measure, p0.base_price, p0.item_tax_group, p0.color, p0.size, p0.style, p0.configuration
         FROM products p0 LEFT JOIN product_translations t ON t.product_id = p0.record_id AND t.language_id = ?) p
        """

    private static let categoryIdsSQLite = "(SELECT group_concat(pc.category_id) FROM product_categories pc WHERE pc.product_id = p.record_id)"
    private static let categoryIdsPostgres =
        "(SELECT string_agg(pc.category_id::text, ',' ORDER BY pc.category_id) FROM product_categories pc WHERE pc.product_id = p.record_id)"
    private static let selectProductByKeySQLite = selectProduct(categoryIds: categoryIdsSQLite, source: plainProducts)
    private static let selectProductByKeyPostgres = selectProduct(categoryIds: categoryIdsPostgres, source: plainProducts)
    private static let selectTranslatedProductByKeySQLite = selectProduct(categoryIds: categoryIdsSQLite, source: translatedProducts)
    private static let selectTranslatedProductByKeyPostgres = selectProduct(categoryIds: categoryIdsPostgres, source: translatedProducts)
    /// The columns of a product, in the order ``record(_:)`` reads them.
    static let productColumns = """
        SELECT p.record_id, p.item_id, p.master_product_id, p.is_master, p.name, p.description, p.unit_of_measure,
               p.base_price, p.item_tax_group, p.color, p.size, p.style, p.configuration
        """

    /// The product as the channel has it, with name and description in `language` where they
    /// are translated; nil `language` reads the master data text (carts, which show no names).
    public func product(recordId: Int64, channelId: Int64, language: String? = nil) async throws -> ProductRecord? {
        let sql: String
        var arguments: [DatabaseValue] = [.integer(channelId), .integer(recordId)]
        switch (language, transaction.dialect) {
        case (nil, .sqlite): sql = Self.selectProductByKeySQLite
        case (nil, .postgres): sql = Self.selectProductByKeyPostgres
        case (let language?, let dialect):
            sql = dialect == .sqlite ? Self.selectTranslatedProductByKeySQLite : Self.selectTranslatedProductByKeyPostgres
            arguments.insert(.text(language), at: 0)
        }
        return try await transaction.queryFirst(sql, arguments).map(Self.record)
    }

    /// The source of a product list in `language`, with its argument: the translated one only
    /// when the language has product translations at all, so lists in the master data language
    /// keep walking the name index for `$orderby=Name`.
    /// The source the process's hint says `language` needs (asking the database when there is
    /// no hint yet); the statement that reads it checks the hint against its own snapshot.
    private func hintedSource(_ language: String) async throws -> (translated: Bool, source: (sql: String, arguments: [DatabaseValue])) {
        let translated: Bool
        if let hint = ProductTranslationHints.shared.translated(language) {
            translated = hint
        } else {
            translated = try await hasProductTranslations(language)
        }
        return (translated, translated ? Self.translatedSource(language) : (Self.plainProducts, []))
    }

    func productSource(language: String?) async throws -> (sql: String, arguments: [DatabaseValue]) {
        guard let language, try await hasProductTranslations(language) else { return (Self.plainProducts, []) }
        return Self.translatedSource(language)
    }

    private static func translatedSource(_ language: String) -> (sql: String, arguments: [DatabaseValue]) {
        (translatedProducts, [.text(language)])
    }

    /// Whether the database holds product translations in `language`; remembered as the hint of
    /// ``ProductTranslationHints``.
    private func hasProductTranslations(_ language: String) async throws -> Bool {
        let found = try await transaction.queryFirst(Self.translationCheck, [.text(language)]) != nil
        ProductTranslationHints.shared.record(language, translated: found)
        return found
    }

    private static let translationCheck = "SELECT 1 AS found FROM product_translations WHERE language_id = ? LIMIT 1"
    /// ``translationCheck`` as a column of a list statement: 1 when the language has product
    /// translations, else NULL. Its argument is bound before those of the FROM clause, which
    /// follows it. Uncorrelated, so both backends compute it once per statement, on the
    /// statement's own snapshot.
    private static let translationCheckColumn = ", (SELECT 1 FROM product_translations WHERE language_id = ? LIMIT 1) AS translated"

    /// The source for counting: plain when nothing filters (names do not matter then).
    func filterSource(_ unfiltered: Bool, language: String?) async throws -> (sql: String, arguments: [DatabaseValue]) {
        if unfiltered { return (Self.plainProducts, []) }
        return try await productSource(language: language)
    }

    /// `$filter`, `$orderby` and `$search` of product lists, translated once per distinct criteria.
    static let productSelections = SQLSelectionCache(table: productTable)

    /// One page of the channel's products matching `criteria`, in its order and then by record id
    /// (so pages are stable); names and descriptions in `language` where translated.
    ///
    /// One statement: the page is selected in a sub-select that ends in `LIMIT`, and only its rows
    /// get their category ids and primary image (as correlated sub-selects directly in the page
    /// query they would be computed for every matching row before a sort and `LIMIT`); the outer
    /// query orders the page again, which SQL does not promise to keep otherwise.
    ///
    /// Which source the page reads (see ``productSource(language:)``) is taken from
    /// ``ProductTranslationHints`` instead of a statement of its own; the page statement checks it
    /// on its own snapshot (``translationCheckColumn``). A page read as untranslated when the
    /// language has translations after all is read again, translated. An empty page proves
    /// nothing, so then the check runs as a statement. A page read as translated is right
    /// whatever the check says: without translations the translated source reads the master data
    /// text.
    public func products(
        channelId: Int64, skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria(), language: String? = nil
    ) async throws -> [ProductRecord] {
        let query = try Self.productSelections.selection(criteria, key: "p.record_id", base: Self.inAssortment, dialect: transaction.dialect)
        let page: (sql: String, arguments: [DatabaseValue]) = (
            query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?) p" + query.orderSQL,
            [.integer(channelId)] + query.arguments + [.integer(Int64(top)), .integer(Int64(skip))] + query.orderArguments
        )
        guard let language else {
            return try await transaction.query(pageStatement(Self.plainProducts, page.sql, checked: false), page.arguments).map(Self.record)
        }
        let (translated, source) = try await hintedSource(language)
        // The check's argument comes first: its column precedes the sub-select.
        let rows = try await transaction.query(
            pageStatement(source.sql, page.sql, checked: true), [.text(language)] + source.arguments + page.arguments
        )
        let found: Bool? = rows.first.map { $0.int64(at: Self.translatedColumn) != nil }
        if let found { ProductTranslationHints.shared.record(language, translated: found) }
        guard !translated else { return rows.map(Self.record) }
        if let found {
            if !found { return rows.map(Self.record) }
        } else {
            // An empty page: it is right only when the language has no translations.
            guard try await hasProductTranslations(language) else { return [] }
        }
        let (sql, arguments) = Self.translatedSource(language)
        return try await transaction.query(pageStatement(sql, page.sql, checked: false), arguments + page.arguments).map(Self.record)
    }

    /// The column of a page row that says whether the language has translations.
    private static let translatedColumn = 15

    /// The page statement over `source`, `page` being the WHERE, ORDER BY and LIMIT of the
    /// sub-select and the outer ORDER BY; with the translation check as its last column when
    /// `checked`.
    private func pageStatement(_ source: String, _ page: String, checked: Bool) -> String {
        let categoryIds = transaction.dialect == .sqlite ? Self.categoryIdsSQLite : Self.categoryIdsPostgres
        return Self.productColumns + ", " + categoryIds + " AS category_ids, " + Self.primaryImage + " AS primary_image_url"
            + (checked ? Self.translationCheckColumn : "") + " FROM (" + Self.productColumns + " FROM " + source + page
    }

    /// Records of a page of rows, with their category ids and primary images.
    func completed(_ rows: [DatabaseRow]) async throws -> [ProductRecord] {
        let ids = rows.compactMap { $0.int64(at: 0) }
        let extras = try await categoriesAndImages(of: ids)
        return rows.map { row in
            var record = Self.record(row)
            if let extra = extras[record.recordId] {
                record.categoryIds = extra.categoryIds
                record.primaryImageUrl = extra.primaryImageUrl
            }
            return record
        }
    }

    /// Category ids (ascending) and the primary image of several products, in one statement.
    func categoriesAndImages(of products: [Int64]) async throws -> [Int64: (categoryIds: [Int64], primaryImageUrl: String?)] {
        guard !products.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: products.count).joined(separator: ", ")
        let categoryIds = transaction.dialect == .sqlite ? Self.categoryIdsSQLite : Self.categoryIdsPostgres
        let rows = try await transaction.query(
            "SELECT p.record_id, " + categoryIds + " AS category_ids, " + Self.primaryImage + " AS primary_image_url FROM products p"
                + " WHERE p.record_id IN (\(placeholders))",
            products.map { .integer($0) }
        )
        var result: [Int64: (categoryIds: [Int64], primaryImageUrl: String?)] = [:]
        for row in rows {
            guard let product = row.int64(at: 0) else { continue }
            result[product] = (Self.categoryIds(row.string(at: 1)), row.string(at: 2))
        }
        return result
    }

    public func productCount(channelId: Int64, criteria: QueryCriteria = QueryCriteria(), language: String? = nil) async throws -> Int {
        // Only a filter on Name needs the translated text; counting the plain table is cheaper.
        let query = try Self.productSelections.selection(
            QueryCriteria(filter: criteria.filter, search: criteria.search), key: nil, base: Self.inAssortment, dialect: transaction.dialect
        )
        let arguments: [DatabaseValue] = [.integer(channelId)] + query.arguments
        guard let language, criteria.filter != nil || criteria.search != nil else {
            return try await count("SELECT COUNT(*) AS n FROM " + Self.plainProducts + query.whereSQL, arguments)
        }
        // As for a page (see ``products(channelId:skip:top:criteria:language:)``), with the
        // translation check in the statement; a count always has a row to carry it.
        let (translated, source) = try await hintedSource(language)
        let row = try await transaction.queryFirst(
            "SELECT COUNT(*) AS n" + Self.translationCheckColumn + " FROM " + source.sql + query.whereSQL,
            [.text(language)] + source.arguments + arguments
        )
        let found = row?.int64(at: 1) != nil
        ProductTranslationHints.shared.record(language, translated: found)
        if translated || !found { return Int(row?.int64(at: 0) ?? 0) }
        let (sql, sourceArguments) = Self.translatedSource(language)
        return try await count("SELECT COUNT(*) AS n FROM " + sql + query.whereSQL, sourceArguments + arguments)
    }

    private func count(_ sql: String, _ arguments: [DatabaseValue]) async throws -> Int {
        Int(try await transaction.queryFirst(sql, arguments)?.int64(at: 0) ?? 0)
    }

    /// How `Products` properties map onto the tables, for `$filter`, `$orderby` and `$search`.
    /// Price and AdjustedPrice are the base price until the pricing engine prices lists.
    public static let productTable = SQLQueryTable(
        alias: "p",
        properties: [
            "RecordId": SQLQueryColumn("p.record_id", .int64),
            "ItemId": SQLQueryColumn("p.item_id", .string),
            "Name": SQLQueryColumn("p.name", .string),
            "Description": SQLQueryColumn("p.description", .string),
            "BasePrice": SQLQueryColumn("p.base_price", .decimal),
            "Price": SQLQueryColumn("p.base_price", .decimal),
            "AdjustedPrice": SQLQueryColumn("p.base_price", .decimal),
            "MasterProductId": SQLQueryColumn("p.master_product_id", .int64, nullable: true),
            "IsMasterProduct": SQLQueryColumn("p.is_master", .boolean),
            "DefaultUnitOfMeasure": SQLQueryColumn("p.unit_of_measure", .string),
        ],
        collections: [
            "CategoryIds": SQLQueryCollection(
                table: "product_categories pc", correlation: "pc.product_id = p.record_id",
                element: .primitive(SQLQueryColumn("pc.category_id", .int64))
            ),
        ],
        searchProperties: ["Name", "Description", "ItemId"]
    )

    public static let categoryTable = SQLQueryTable(
        alias: "c",
        properties: [
            "RecordId": SQLQueryColumn("c.record_id", .int64),
            "Name": SQLQueryColumn("c.name", .string),
            "ParentCategory": SQLQueryColumn("c.parent_category_id", .int64, nullable: true),
            "DisplayOrder": SQLQueryColumn("c.display_order", .int32),
        ],
        searchProperties: ["Name"]
    )

    /// The WHERE and ORDER BY parts for `criteria`, after a `base` condition whose arguments the
    /// caller binds first; both parts start with a space when present. Arguments come in text
    /// order: filter, search, then ordering; `orderArguments` are those of the ORDER BY part
    /// alone (the last of `arguments`), for a statement that orders twice.
    static func selection(
        _ criteria: QueryCriteria, table: SQLQueryTable, key: String?, base: String? = nil, dialect: SQLDialect
    ) throws(QueryTranslationError) -> (whereSQL: String, orderSQL: String, arguments: [DatabaseValue], orderArguments: [DatabaseValue]) {
        var conditions: [String] = base.map { [$0] } ?? []
        var arguments: [DatabaseValue] = []
        var orderArguments: [DatabaseValue] = []
        if let filter = criteria.filter {
            let fragment = try SQLQueryTranslator.whereClause(filter, table: table, dialect: dialect)
            conditions.append("(\(fragment.sql))")
            arguments += fragment.arguments
        }
        if let search = criteria.search {
            let fragment = try SQLQueryTranslator.search(search, table: table, dialect: dialect)
            conditions.append("(\(fragment.sql))")
            arguments += fragment.arguments
        }
        var order: [String] = []
        if !criteria.orderBy.isEmpty {
            let fragment = try SQLQueryTranslator.orderBy(criteria.orderBy, table: table, dialect: dialect)
            order.append(fragment.sql)
            arguments += fragment.arguments
            orderArguments = fragment.arguments
        }
        if let key { order.append(key) }
        let whereSQL = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let orderSQL = order.isEmpty ? "" : " ORDER BY " + order.joined(separator: ", ")
        return (whereSQL, orderSQL, arguments, orderArguments)
    }

    /// The categories a channel shows: the sub-trees under its `channel_categories` rows, or
    /// the whole tree when it has none. A recursive CTE named `nav` (one argument: the channel).
    static let navigation = """
        WITH RECURSIVE nav(id) AS (
            SELECT category_id FROM channel_categories WHERE channel_id = ?
            UNION SELECT c.record_id FROM categories c JOIN nav n ON c.parent_category_id = n.id
        )
        """

    /// The record ids of the categories a channel shows, as a sub-select (arguments: the channel
    /// twice).
    static let channelCategoryIds = """
        (\(navigation) SELECT id FROM nav
         UNION ALL SELECT record_id FROM categories WHERE NOT EXISTS (SELECT 1 FROM channel_categories x WHERE x.channel_id = ?))
        """

    /// The channel's categories as `c`, after ``navigation``, with the name in one language and
    /// the channel's order for the roots it assigns. A root whose parent the channel does not
    /// show has no `ParentCategory`: it is a top level of the channel's navigation.
    /// Arguments: the channel, the language, the channel, the channel.
    private static let channelCategories = """
         FROM (
            SELECT c0.record_id,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM channel_categories x WHERE x.channel_id = ?)
                             OR c0.parent_category_id IN (SELECT id FROM nav) THEN c0.parent_category_id END AS parent_category_id,
                   COALESCE(NULLIF(t.name, ''), c0.name) AS name,
                   COALESCE(cc.display_order, c0.display_order) AS display_order
            FROM categories c0
            LEFT JOIN category_translations t ON t.category_id = c0.record_id AND t.language_id = ?
            LEFT JOIN channel_categories cc ON cc.category_id = c0.record_id AND cc.channel_id = ?
            WHERE NOT EXISTS (SELECT 1 FROM channel_categories x WHERE x.channel_id = ?) OR c0.record_id IN (SELECT id FROM nav)
        ) c
        """

    private static func categoryArguments(channelId: Int64, language: String?) -> [DatabaseValue] {
        let language = language.map { DatabaseValue.text($0) } ?? .null
        return [.integer(channelId), .integer(channelId), language, .integer(channelId), .integer(channelId)]
    }

    /// A page of the categories the channel shows, names in `language` where translated.
    public func categories(
        channelId: Int64, language: String? = nil, skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria()
    ) async throws -> [CategoryRecord] {
        let query = try Self.selection(criteria, table: Self.categoryTable, key: "c.record_id", dialect: transaction.dialect)
        return try await transaction.query(
            Self.navigation + " SELECT c.record_id, c.parent_category_id, c.name, c.display_order" + Self.channelCategories
                + query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?",
            Self.categoryArguments(channelId: channelId, language: language) + query.arguments + [.integer(Int64(top)), .integer(Int64(skip))]
        ).map(Self.category)
    }

    /// One category, when the channel shows it.
    public func category(recordId: Int64, channelId: Int64, language: String? = nil) async throws -> CategoryRecord? {
        try await transaction.queryFirst(
            Self.navigation + " SELECT c.record_id, c.parent_category_id, c.name, c.display_order" + Self.channelCategories
                + " WHERE c.record_id = ?",
            Self.categoryArguments(channelId: channelId, language: language) + [.integer(recordId)]
        ).map(Self.category)
    }

    public func categoryCount(channelId: Int64, language: String? = nil, criteria: QueryCriteria = QueryCriteria()) async throws -> Int {
        let query = try Self.selection(QueryCriteria(filter: criteria.filter, search: criteria.search), table: Self.categoryTable, key: nil, dialect: transaction.dialect)
        return try await transaction.queryFirst(
            Self.navigation + " SELECT COUNT(*) AS n" + Self.channelCategories + query.whereSQL,
            Self.categoryArguments(channelId: channelId, language: language) + query.arguments
        )?.int("n") ?? 0
    }

    /// A product row, decoded by position (every page of products decodes thirteen columns per
    /// row): the columns of ``productColumns`` in their order, which every product statement
    /// selects first, then, for a read by key, `category_ids` and `primary_image_url`.
    static func record(_ row: DatabaseRow) -> ProductRecord {
        ProductRecord(
            recordId: row.int64(at: 0) ?? 0,
            itemId: row.string(at: 1) ?? "",
            masterProductId: row.int64(at: 2),
            isMaster: row.bool(at: 3),
            name: row.string(at: 4) ?? "",
            description: row.string(at: 5) ?? "",
            unitOfMeasure: row.string(at: 6) ?? "ea",
            basePrice: row.decimal(at: 7) ?? 0,
            itemTaxGroup: row.string(at: 8),
            color: row.string(at: 9),
            size: row.string(at: 10),
            style: row.string(at: 11),
            configuration: row.string(at: 12),
            categoryIds: categoryIds(row.string(at: 13)),
            primaryImageUrl: row.string(at: 14)
        )
    }

    /// Category ids from their comma-separated text (`group_concat`, `string_agg`), ascending.
    ///
    /// Read on the bytes: every product row has this column, and `split` plus `Int64(_:)` of
    /// each part was a third of decoding a row. Text that is not plain digits and commas (never
    /// written by these statements) takes the general path.
    static func categoryIds(_ text: String?) -> [Int64] {
        guard let text, !text.isEmpty else { return [] }
        var ids: [Int64] = []
        var value: Int64 = 0
        var digits = 0
        var sorted = true
        var plain = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: ",") {
                guard digits > 0 else { plain = false; break }
                if let last = ids.last, last > value { sorted = false }
                ids.append(value)
                value = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 18 {
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                plain = false
                break
            }
        }
        guard plain, digits > 0 else {
            return text.split(separator: ",").compactMap { Int64($0) }.sorted()
        }
        if let last = ids.last, last > value { sorted = false }
        ids.append(value)
        return sorted ? ids : ids.sorted()
    }

    static func category(_ row: DatabaseRow) -> CategoryRecord {
        CategoryRecord(
            recordId: row.int64("record_id") ?? 0,
            parentCategoryId: row.int64("parent_category_id"),
            name: row.string("name") ?? "",
            displayOrder: row.int("display_order") ?? 0
        )
    }
}
