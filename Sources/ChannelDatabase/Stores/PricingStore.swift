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

/// A periodic discount (offer) with the lines that say which products it covers.
///
/// How each kind reads its columns is written in docs/pricing.md: `percentOff`, `amountOff` or
/// `dealPrice` say what the customer saves; `quantity` on lines is the number of units that
/// make a deal (quantity and mix-and-match offers); `thresholdAmount` is what must be spent.
public struct DiscountOfferRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case simple = "Simple"
        case quantity = "Quantity"
        case mixAndMatch = "MixAndMatch"
        case threshold = "Threshold"
    }

    public enum Concurrency: String, Sendable, CaseIterable {
        case exclusive = "Exclusive"
        case bestPrice = "BestPrice"
        case compounded = "Compounded"
    }

    public var offerId: String
    public var name: String
    public var kind: Kind
    public var concurrency: Concurrency
    public var priority: Int
    public var percentOff: Decimal?
    public var amountOff: Decimal?
    public var dealPrice: Decimal?
    public var thresholdAmount: Decimal?
    public var currencyCode: String?
    public var requiresCode: Bool
    public var lines: [DiscountLineRecord]

    public init(
        offerId: String, name: String = "", kind: Kind, concurrency: Concurrency, priority: Int = 0, percentOff: Decimal? = nil,
        amountOff: Decimal? = nil, dealPrice: Decimal? = nil, thresholdAmount: Decimal? = nil, currencyCode: String? = nil,
        requiresCode: Bool = false, lines: [DiscountLineRecord] = []
    ) {
        self.offerId = offerId
        self.name = name
        self.kind = kind
        self.concurrency = concurrency
        self.priority = priority
        self.percentOff = percentOff
        self.amountOff = amountOff
        self.dealPrice = dealPrice
        self.thresholdAmount = thresholdAmount
        self.currencyCode = currencyCode
        self.requiresCode = requiresCode
        self.lines = lines
    }
}

/// Which products an offer covers: one product (or all variants of a master), a category (and
/// its subcategories), or everything when both are nil.
public struct DiscountLineRecord: Sendable, Equatable {
    public var productId: Int64?
    public var categoryId: Int64?
    public var mixMatchGroup: String?
    public var quantity: Decimal?

    public init(productId: Int64? = nil, categoryId: Int64? = nil, mixMatchGroup: String? = nil, quantity: Decimal? = nil) {
        self.productId = productId
        self.categoryId = categoryId
        self.mixMatchGroup = mixMatchGroup
        self.quantity = quantity
    }
}

/// A discount code as stored, with its validity and usage.
public struct DiscountCodeRecord: Sendable, Equatable {
    public var code: String
    public var offerId: String
    public var validFrom: Int64?
    public var validTo: Int64?
    public var usageLimit: Int64?
    public var usageCount: Int64

    public func isValid(at instant: Int64) -> Bool {
        (validFrom.map { $0 <= instant } ?? true) && (validTo.map { $0 >= instant } ?? true)
    }

    public var isExhausted: Bool { usageLimit.map { usageCount >= $0 } ?? false }
}

/// The counters of the groups of master data the runtime caches; see `CoreSchema.version13`.
public struct MasterDataGenerations: Sendable, Equatable {
    /// Offers, their lines and channels.
    public var discounts: Int64 = 0
    /// Products and categories (discount scopes).
    public var catalog: Int64 = 0
    /// Price lines and tax setup.
    public var pricing: Int64 = 0

    public init() {}
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

    static func priceLine(_ row: DatabaseRow) -> PriceLineRecord? {
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

    /// The price group of a customer account, if it has one.
    public func customerPriceGroup(account: String) async throws -> String? {
        try await transaction.queryFirst("SELECT price_group FROM customers WHERE account_number = ?", [.text(account)])?.string("price_group")
    }

    /// The active offers of a channel valid at `instant`: those without a code, and those with
    /// one of `codes` when that code is itself valid and not used up. Ordered by offer id.
    public func discountOffers(channelId: Int64, codes: [String], at instant: Int64) async throws -> [DiscountOfferRecord] {
        var codeCondition = "d.requires_code = 0"
        var arguments: [DatabaseValue] = [.integer(channelId), .integer(instant), .integer(instant)]
        if !codes.isEmpty {
            codeCondition += """
                 OR d.offer_id IN (SELECT k.offer_id FROM discount_codes k WHERE k.code IN (\(Self.placeholders(codes.count)))
                   AND (k.valid_from IS NULL OR k.valid_from <= ?) AND (k.valid_to IS NULL OR k.valid_to >= ?)
                   AND (k.usage_limit IS NULL OR k.usage_count < k.usage_limit))
                """
            arguments += codes.map(DatabaseValue.text) + [.integer(instant), .integer(instant)]
        }
        return try await offers(
            channelId: channelId, codeCondition: codeCondition,
            validity: "(d.valid_from IS NULL OR d.valid_from <= ?) AND (d.valid_to IS NULL OR d.valid_to >= ?)", arguments: arguments
        ).map(\.offer)
    }

    private func offers(
        channelId: Int64, codeCondition: String, validity: String, arguments: [DatabaseValue]
    ) async throws -> [(offer: DiscountOfferRecord, validFrom: Int64?, validTo: Int64?)] {
        let rows = try await transaction.query(
            """
            SELECT d.offer_id, d.name, d.discount_type, d.concurrency_mode, d.priority, d.percent_off, d.amount_off, d.deal_price,
                   d.threshold_amount, d.currency_code, d.requires_code, d.valid_from, d.valid_to
            FROM discounts d JOIN channel_discounts c ON c.offer_id = d.offer_id AND c.channel_id = ?
            WHERE d.is_active = 1 AND \(validity) AND (\(codeCondition))
            ORDER BY d.offer_id
            """,
            arguments
        )
        var offers: [(offer: DiscountOfferRecord, validFrom: Int64?, validTo: Int64?)] = rows.compactMap { row in
            // A kind or mode this engine does not know is left out rather than guessed at.
            guard let id = row.string("offer_id"),
                  let kind = row.string("discount_type").flatMap(DiscountOfferRecord.Kind.init(rawValue:)),
                  let mode = row.string("concurrency_mode").flatMap(DiscountOfferRecord.Concurrency.init(rawValue:))
            else { return nil }
            let offer = DiscountOfferRecord(
                offerId: id, name: row.string("name") ?? "", kind: kind, concurrency: mode, priority: row.int("priority") ?? 0,
                percentOff: row.decimal("percent_off"), amountOff: row.decimal("amount_off"), dealPrice: row.decimal("deal_price"),
                thresholdAmount: row.decimal("threshold_amount"), currencyCode: row.string("currency_code"), requiresCode: row.bool("requires_code")
            )
            return (offer, row.int64("valid_from"), row.int64("valid_to"))
        }
        guard !offers.isEmpty else { return [] }
        let lineRows = try await transaction.query(
            """
            SELECT offer_id, product_id, category_id, mix_match_group, quantity FROM discount_lines
            WHERE offer_id IN (\(Self.placeholders(offers.count))) ORDER BY offer_id, line_number
            """,
            offers.map { .text($0.offer.offerId) }
        )
        var linesOfOffer: [String: [DiscountLineRecord]] = [:]
        for row in lineRows {
            guard let id = row.string("offer_id") else { continue }
            linesOfOffer[id, default: []].append(DiscountLineRecord(
                productId: row.int64("product_id"), categoryId: row.int64("category_id"), mixMatchGroup: row.string("mix_match_group"),
                quantity: row.decimal("quantity")
            ))
        }
        for index in offers.indices { offers[index].offer.lines = linesOfOffer[offers[index].offer.offerId] ?? [] }
        return offers
    }

    /// The generation of each group of cached master data (core schemas 13 and 16).
    public func masterDataGenerations() async throws -> MasterDataGenerations {
        var generations = MasterDataGenerations()
        for row in try await transaction.query("SELECT name, generation FROM master_data_generations", []) {
            let generation = row.int64("generation") ?? 0
            switch row.string("name") {
            case "discounts": generations.discounts = generation
            case "catalog": generations.catalog = generation
            case "pricing": generations.pricing = generation
            default: break
            }
        }
        return generations
    }

    /// Price lines of products in a currency whatever their validity dates, with those dates:
    /// what a cache keeps, to pick the valid ones at each instant itself. By record id.
    public func datedPriceLines(productIds: [Int64], currency: String) async throws -> [(line: PriceLineRecord, validFrom: Int64?, validTo: Int64?)] {
        guard !productIds.isEmpty else { return [] }
        let rows = try await transaction.query(
            """
            SELECT record_id, product_id, account_code, account_relation, from_quantity, amount, valid_from, valid_to FROM price_lines
            WHERE currency_code = ? AND product_id IN (\(Self.placeholders(productIds.count)))
            ORDER BY record_id
            """,
            [.text(currency)] + productIds.map(DatabaseValue.integer)
        )
        return rows.compactMap { row in
            Self.priceLine(row).map { ($0, row.int64("valid_from"), row.int64("valid_to")) }
        }
    }

    /// Every tax rate of a sales tax group for each item tax group, whatever its validity dates,
    /// with those dates. By item tax group, then tax code.
    public func datedTaxRates(salesTaxGroup: String) async throws -> [(rate: TaxRateRecord, validFrom: Int64, validTo: Int64?)] {
        let rows = try await transaction.query(
            """
            SELECT i.item_tax_group, r.tax_code, r.rate_percent, r.valid_from, r.valid_to
            FROM item_tax_groups i
            JOIN sales_tax_groups s ON s.tax_code = i.tax_code AND s.sales_tax_group = ?
            JOIN tax_rates r ON r.tax_code = i.tax_code
            ORDER BY i.item_tax_group, r.tax_code, r.valid_from
            """,
            [.text(salesTaxGroup)]
        )
        return rows.map { row in
            let rate = TaxRateRecord(
                itemTaxGroup: row.string("item_tax_group") ?? "", taxCode: row.string("tax_code") ?? "", ratePercent: row.decimal("rate_percent") ?? 0
            )
            return (rate, row.int64("valid_from") ?? 0, row.int64("valid_to"))
        }
    }

    /// Every active offer of a channel, whatever its validity dates, with those dates: what a
    /// cache keeps, to pick the valid ones at each instant itself.
    public func channelOffers(channelId: Int64) async throws -> [(offer: DiscountOfferRecord, validFrom: Int64?, validTo: Int64?)] {
        try await offers(channelId: channelId, codeCondition: "1 = 1", validity: "1 = 1", arguments: [.integer(channelId)])
    }

    /// The offers that `codes` unlock at `instant`: each code valid then and not used up.
    public func offerIds(unlockedBy codes: [String], at instant: Int64) async throws -> Set<String> {
        guard !codes.isEmpty else { return [] }
        let rows = try await transaction.query(
            """
            SELECT k.offer_id FROM discount_codes k WHERE k.code IN (\(Self.placeholders(codes.count)))
              AND (k.valid_from IS NULL OR k.valid_from <= ?) AND (k.valid_to IS NULL OR k.valid_to >= ?)
              AND (k.usage_limit IS NULL OR k.usage_count < k.usage_limit)
            """,
            codes.map(DatabaseValue.text) + [.integer(instant), .integer(instant)]
        )
        return Set(rows.compactMap { $0.string("offer_id") })
    }

    /// For each product: its master (for variants) and every category it or its master is in,
    /// with all their ancestors, so an offer on "Clothing" covers a shirt filed under "Shirts".
    public func discountScopes(productIds: [Int64]) async throws -> [Int64: (masterId: Int64?, categoryIds: Set<Int64>)] {
        guard !productIds.isEmpty else { return [:] }
        let products = try await transaction.query(
            "SELECT record_id, master_product_id FROM products WHERE record_id IN (\(Self.placeholders(productIds.count)))",
            productIds.map(DatabaseValue.integer)
        )
        var masterOf: [Int64: Int64] = [:]
        for row in products {
            if let id = row.int64("record_id"), let master = row.int64("master_product_id") { masterOf[id] = master }
        }
        let owners = Array(Set(productIds + masterOf.values)).sorted()
        let links = try await transaction.query(
            "SELECT product_id, category_id FROM product_categories WHERE product_id IN (\(Self.placeholders(owners.count)))",
            owners.map(DatabaseValue.integer)
        )
        var direct: [Int64: Set<Int64>] = [:]
        for row in links {
            if let product = row.int64("product_id"), let category = row.int64("category_id") { direct[product, default: []].insert(category) }
        }
        // Walk up the tree one level per query; trees are shallow.
        var parentOf: [Int64: Int64] = [:]
        var frontier = Set(direct.values.flatMap { $0 })
        var seen = frontier
        while !frontier.isEmpty {
            let ids = frontier.sorted()
            frontier = []
            let rows = try await transaction.query(
                "SELECT record_id, parent_category_id FROM categories WHERE record_id IN (\(Self.placeholders(ids.count)))",
                ids.map(DatabaseValue.integer)
            )
            for row in rows {
                guard let id = row.int64("record_id"), let parent = row.int64("parent_category_id") else { continue }
                parentOf[id] = parent
                if seen.insert(parent).inserted { frontier.insert(parent) }
            }
        }
        var result: [Int64: (masterId: Int64?, categoryIds: Set<Int64>)] = [:]
        for id in productIds {
            var categories = Set<Int64>()
            for owner in [id, masterOf[id]].compactMap({ $0 }) {
                for category in direct[owner] ?? [] {
                    var next: Int64? = category
                    while let current = next, categories.insert(current).inserted { next = parentOf[current] }
                }
            }
            result[id] = (masterOf[id], categories)
        }
        return result
    }

    /// A discount code by its exact text; nil when there is none.
    public func discountCode(_ code: String) async throws -> DiscountCodeRecord? {
        guard let row = try await transaction.queryFirst(
            "SELECT code, offer_id, valid_from, valid_to, usage_limit, usage_count FROM discount_codes WHERE code = ?", [.text(code)]
        ) else { return nil }
        return DiscountCodeRecord(
            code: row.string("code") ?? code, offerId: row.string("offer_id") ?? "", validFrom: row.int64("valid_from"),
            validTo: row.int64("valid_to"), usageLimit: row.int64("usage_limit"), usageCount: row.int64("usage_count") ?? 0
        )
    }

    /// Counts one use of a code, only while it is valid and has uses left: one conditional UPDATE
    /// with no read before it, so N uses left give at most N successful calls however many
    /// checkouts race (PostgreSQL makes the others wait for the row and re-check the condition).
    public func useDiscountCode(_ code: String, at instant: Int64) async throws -> Bool {
        try await transaction.execute(
            """
            UPDATE discount_codes SET usage_count = usage_count + 1
            WHERE code = ? AND (usage_limit IS NULL OR usage_count < usage_limit)
              AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)
            """,
            [.text(code), .integer(instant), .integer(instant)]
        ) == 1
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
