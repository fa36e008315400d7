import Foundation

/// Reads the catalog as one channel sees it: only products assigned to the channel's assortment.
///
/// Paging and counting happen in the database; nothing here loads a table whole.
public struct CatalogStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// The columns of a product plus its category ids as one comma-separated text, so a product
    /// is one row and a page of products is one statement. Built once per dialect: statement
    /// texts are also the prepared-statement cache keys.
    private var selectProduct: String {
        switch transaction.dialect {
        case .sqlite: Self.selectProductSQLite
        case .postgres: Self.selectProductPostgres
        }
    }

    private static func selectProduct(categoryIds: String) -> String {
        """
        SELECT p.record_id, p.item_id, p.master_product_id, p.is_master, p.name, p.description, p.unit_of_measure,
               p.base_price, p.item_tax_group, p.color, p.size, p.style, p.configuration, \(categoryIds) AS category_ids
        FROM products p JOIN channel_products cp ON cp.product_id = p.record_id AND cp.channel_id = ?
        """
    }

    private static let selectProductSQLite = selectProduct(
        categoryIds: "(SELECT group_concat(pc.category_id) FROM product_categories pc WHERE pc.product_id = p.record_id)"
    )
    private static let selectProductPostgres = selectProduct(
        categoryIds: "(SELECT string_agg(pc.category_id::text, ',' ORDER BY pc.category_id) FROM product_categories pc WHERE pc.product_id = p.record_id)"
    )
    private static let selectProductByKeySQLite = selectProductSQLite + " WHERE p.record_id = ?"
    private static let selectProductByKeyPostgres = selectProductPostgres + " WHERE p.record_id = ?"

    public func product(recordId: Int64, channelId: Int64) async throws -> ProductRecord? {
        let sql = transaction.dialect == .sqlite ? Self.selectProductByKeySQLite : Self.selectProductByKeyPostgres
        return try await transaction.queryFirst(sql, [.integer(channelId), .integer(recordId)])
            .map(Self.record)
    }

    /// One page of the channel's products in record-id order.
    public func products(channelId: Int64, skip: Int, top: Int) async throws -> [ProductRecord] {
        try await transaction.query(
            selectProduct + " ORDER BY p.record_id LIMIT ? OFFSET ?",
            [.integer(channelId), .integer(Int64(top)), .integer(Int64(skip))]
        ).map(Self.record)
    }

    public func productCount(channelId: Int64) async throws -> Int {
        let row = try await transaction.queryFirst(
            "SELECT COUNT(*) AS n FROM channel_products WHERE channel_id = ?", [.integer(channelId)]
        )
        return row?.int("n") ?? 0
    }

    public func categories(skip: Int, top: Int) async throws -> [CategoryRecord] {
        try await transaction.query(
            "SELECT record_id, parent_category_id, name, display_order FROM categories ORDER BY record_id LIMIT ? OFFSET ?",
            [.integer(Int64(top)), .integer(Int64(skip))]
        ).map(Self.category)
    }

    public func category(recordId: Int64) async throws -> CategoryRecord? {
        try await transaction.queryFirst(
            "SELECT record_id, parent_category_id, name, display_order FROM categories WHERE record_id = ?", [.integer(recordId)]
        ).map(Self.category)
    }

    public func categoryCount() async throws -> Int {
        try await transaction.queryFirst("SELECT COUNT(*) AS n FROM categories", [])?.int("n") ?? 0
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
