public import Foundation

/// A trade-agreement price line: a price for a product for all customers, a price group or one
/// customer, from a quantity on, within validity dates.
public struct PriceLineRecord: Sendable, Equatable {
    public enum Account: String, Sendable {
        case table = "Table"
        case group = "Group"
        case all = "All"
    }

    public var recordId: Int64
    public var productId: Int64
    public var account: Account
    public var accountRelation: String?
    public var fromQuantity: Decimal
    public var amount: Decimal
}

/// Tax rate of one tax code for an item tax group, as applies in a sales tax group.
public struct TaxRateRecord: Sendable, Equatable {
    public var itemTaxGroup: String
    public var taxCode: String
    public var ratePercent: Decimal
}

/// Reads prices and tax setup.
public struct PricingStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// Base price and item tax group of products, by record id.
    public func productBasics(ids: [Int64]) async throws -> [Int64: (basePrice: Decimal, itemTaxGroup: String?)] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await transaction.query(
            "SELECT record_id, base_price, item_tax_group FROM products WHERE record_id IN (\(Self.placeholders(ids.count)))",
            ids.map(DatabaseValue.integer)
        )
        var result: [Int64: (basePrice: Decimal, itemTaxGroup: String?)] = [:]
        for row in rows {
            if let id = row.int64("record_id") { result[id] = (row.decimal("base_price") ?? 0, row.string("item_tax_group")) }
        }
        return result
    }

    /// Price lines of the products in a currency that are valid at `instant` (milliseconds since 1970).
    public func priceLines(productIds: [Int64], currency: String, at instant: Int64) async throws -> [PriceLineRecord] {
        guard !productIds.isEmpty else { return [] }
        let rows = try await transaction.query(
            """
            SELECT record_id, product_id, account_code, account_relation, from_quantity, amount FROM price_lines
            WHERE currency_code = ? AND product_id IN (\(Self.placeholders(productIds.count)))
              AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)
            ORDER BY record_id
            """,
            [.text(currency)] + productIds.map(DatabaseValue.integer) + [.integer(instant), .integer(instant)]
        )
        return rows.compactMap { row in
            guard let account = row.string("account_code").flatMap(PriceLineRecord.Account.init(rawValue:)) else { return nil }
            return PriceLineRecord(
                recordId: row.int64("record_id") ?? 0,
                productId: row.int64("product_id") ?? 0,
                account: account,
                accountRelation: row.string("account_relation"),
                fromQuantity: row.decimal("from_quantity") ?? 0,
                amount: row.decimal("amount") ?? 0
            )
        }
    }

    /// The price group of a customer account, if it has one.
    public func customerPriceGroup(account: String) async throws -> String? {
        try await transaction.queryFirst("SELECT price_group FROM customers WHERE account_number = ?", [.text(account)])?.string("price_group")
    }

    /// Tax rates that apply to the item tax groups in a sales tax group at `instant`.
    public func taxRates(itemTaxGroups: [String], salesTaxGroup: String, at instant: Int64) async throws -> [TaxRateRecord] {
        guard !itemTaxGroups.isEmpty else { return [] }
        let rows = try await transaction.query(
            """
            SELECT i.item_tax_group, r.tax_code, r.rate_percent
            FROM item_tax_groups i
            JOIN sales_tax_groups s ON s.tax_code = i.tax_code AND s.sales_tax_group = ?
            JOIN tax_rates r ON r.tax_code = i.tax_code AND r.valid_from <= ? AND (r.valid_to IS NULL OR r.valid_to >= ?)
            WHERE i.item_tax_group IN (\(Self.placeholders(itemTaxGroups.count)))
            ORDER BY i.item_tax_group, r.tax_code
            """,
            [.text(salesTaxGroup), .integer(instant), .integer(instant)] + itemTaxGroups.map(DatabaseValue.text)
        )
        return rows.map {
            TaxRateRecord(itemTaxGroup: $0.string("item_tax_group") ?? "", taxCode: $0.string("tax_code") ?? "", ratePercent: $0.decimal("rate_percent") ?? 0)
        }
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
