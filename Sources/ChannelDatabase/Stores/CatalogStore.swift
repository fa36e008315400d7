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

    /// One product with its category ids as one comma-separated text, so a read by key is one
    /// statement. Built once per dialect: statement texts are also prepared-statement cache keys.
    private static func selectProduct(categoryIds: String) -> String {
        """
        SELECT p.record_id, p.item_id, p.master_product_id, p.is_master, p.name, p.description, p.unit_of_measure,
               p.base_price, p.item_tax_group, p.color, p.size, p.style, p.configuration, \(categoryIds) AS category_ids
        FROM products p WHERE \(inAssortment)
        """
    }

    /// The channel's assortment as a semi-join: the planner then walks `products` in the order
    /// asked for and stops after a page, instead of collecting the whole assortment through
    /// `channel_products` and sorting it (100k products: 0.1 ms instead of 90 ms for a page).
    private static let inAssortment = "EXISTS (SELECT 1 FROM channel_products cp WHERE cp.channel_id = ? AND cp.product_id = p.record_id)"

    private static let selectProductSQLite = selectProduct(
        categoryIds: "(SELECT group_concat(pc.category_id) FROM product_categories pc WHERE pc.product_id = p.record_id)"
    )
    private static let selectProductPostgres = selectProduct(
        categoryIds: "(SELECT string_agg(pc.category_id::text, ',' ORDER BY pc.category_id) FROM product_categories pc WHERE pc.product_id = p.record_id)"
    )
    private static let selectProductColumns = """
        SELECT p.record_id, p.item_id, p.master_product_id, p.is_master, p.name, p.description, p.unit_of_measure,
               p.base_price, p.item_tax_group, p.color, p.size, p.style, p.configuration
        FROM products p
        """
    private static let selectProductByKeySQLite = selectProductSQLite + " AND p.record_id = ?"
    private static let selectProductByKeyPostgres = selectProductPostgres + " AND p.record_id = ?"

    public func product(recordId: Int64, channelId: Int64) async throws -> ProductRecord? {
        let sql = transaction.dialect == .sqlite ? Self.selectProductByKeySQLite : Self.selectProductByKeyPostgres
        return try await transaction.queryFirst(sql, [.integer(channelId), .integer(recordId)])
            .map(Self.record)
    }

    /// One page of the channel's products matching `criteria`, in its order and then by record id
    /// (so pages are stable).
    public func products(channelId: Int64, skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria()) async throws -> [ProductRecord] {
        let query = try Self.selection(criteria, table: Self.productTable, key: "p.record_id", base: Self.inAssortment, dialect: transaction.dialect)
        // Category ids are read for the page only, in a second statement: as a correlated
        // sub-select they would be computed for every matching row before the sort and LIMIT.
        let rows = try await transaction.query(
            Self.selectProductColumns + query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?",
            [.integer(channelId)] + query.arguments + [.integer(Int64(top)), .integer(Int64(skip))]
        )
        let categories = try await categoryIds(of: rows.compactMap { $0.int64("record_id") })
        return rows.map { row in
            var record = Self.record(row)
            record.categoryIds = categories[record.recordId] ?? []
            return record
        }
    }

    /// Category ids of several products, each list in ascending order.
    func categoryIds(of products: [Int64]) async throws -> [Int64: [Int64]] {
        guard !products.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: products.count).joined(separator: ", ")
        let rows = try await transaction.query(
            "SELECT product_id, category_id FROM product_categories WHERE product_id IN (\(placeholders)) ORDER BY product_id, category_id",
            products.map { .integer($0) }
        )
        var result: [Int64: [Int64]] = [:]
        for row in rows {
            if let product = row.int64("product_id"), let category = row.int64("category_id") { result[product, default: []].append(category) }
        }
        return result
    }

    public func productCount(channelId: Int64, criteria: QueryCriteria = QueryCriteria()) async throws -> Int {
        let query = try Self.selection(
            QueryCriteria(filter: criteria.filter, search: criteria.search), table: Self.productTable, key: nil, base: Self.inAssortment, dialect: transaction.dialect
        )
        let row = try await transaction.queryFirst(
            "SELECT COUNT(*) AS n FROM products p" + query.whereSQL,
            [.integer(channelId)] + query.arguments
        )
        return row?.int("n") ?? 0
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
    /// order: filter, search, then ordering.
    static func selection(
        _ criteria: QueryCriteria, table: SQLQueryTable, key: String?, base: String? = nil, dialect: SQLDialect
    ) throws(QueryTranslationError) -> (whereSQL: String, orderSQL: String, arguments: [DatabaseValue]) {
        var conditions: [String] = base.map { [$0] } ?? []
        var arguments: [DatabaseValue] = []
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
        }
        if let key { order.append(key) }
        let whereSQL = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let orderSQL = order.isEmpty ? "" : " ORDER BY " + order.joined(separator: ", ")
        return (whereSQL, orderSQL, arguments)
    }

    public func categories(skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria()) async throws -> [CategoryRecord] {
        let query = try Self.selection(criteria, table: Self.categoryTable, key: "c.record_id", dialect: transaction.dialect)
        return try await transaction.query(
            "SELECT c.record_id, c.parent_category_id, c.name, c.display_order FROM categories c" + query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?",
            query.arguments + [.integer(Int64(top)), .integer(Int64(skip))]
        ).map(Self.category)
    }

    public func category(recordId: Int64) async throws -> CategoryRecord? {
        try await transaction.queryFirst(
            "SELECT record_id, parent_category_id, name, display_order FROM categories WHERE record_id = ?", [.integer(recordId)]
        ).map(Self.category)
    }

    public func categoryCount(criteria: QueryCriteria = QueryCriteria()) async throws -> Int {
        let query = try Self.selection(QueryCriteria(filter: criteria.filter, search: criteria.search), table: Self.categoryTable, key: nil, dialect: transaction.dialect)
        return try await transaction.queryFirst("SELECT COUNT(*) AS n FROM categories c" + query.whereSQL, query.arguments)?.int("n") ?? 0
    }

    static func record(_ row: DatabaseRow) -> ProductRecord {
        let categories = (row.string("category_ids") ?? "").split(separator: ",").compactMap { Int64($0) }
        return ProductRecord(
            recordId: row.int64("record_id") ?? 0,
            itemId: row.string("item_id") ?? "",
            masterProductId: row.int64("master_product_id"),
            isMaster: row.bool("is_master"),
            name: row.string("name") ?? "",
            description: row.string("description") ?? "",
            unitOfMeasure: row.string("unit_of_measure") ?? "ea",
            basePrice: row.decimal("base_price") ?? 0,
            itemTaxGroup: row.string("item_tax_group"),
            color: row.string("color"),
            size: row.string("size"),
            style: row.string("style"),
            configuration: row.string("configuration"),
            categoryIds: categories.sorted()
        )
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
