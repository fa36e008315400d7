public import Foundation
public import ChannelDatabase

/// Prices of products for the caller's channel and customer: base price, best trade
/// agreement, and the resulting price. `GetActivePrices` in the API.
public struct CalculatePricesRequest: CommerceRequest {
    public typealias Response = [ProductPrice]
    public static let typeName = "CalculatePricesRequest"
    public static let mode = RequestMode.read
    public var productIds: [Int64]
    public var customerAccount: String?
    public var quantity: Decimal
    /// Milliseconds since 1970 UTC at which prices are valid; nil for now.
    public var atInstant: Int64?

    public init(productIds: [Int64], customerAccount: String? = nil, quantity: Decimal = 1, atInstant: Int64? = nil) {
        self.productIds = productIds
        self.customerAccount = customerAccount
        self.quantity = quantity
        self.atInstant = atInstant
    }
}

public struct ProductPrice: Codable, Sendable, Equatable {
    public var productId: Int64
    public var basePrice: Decimal
    public var tradeAgreementPrice: Decimal?
    public var adjustedPrice: Decimal
    public var currencyCode: String

    enum CodingKeys: String, CodingKey {
        case productId = "ProductId"
        case basePrice = "BasePrice"
        case tradeAgreementPrice = "TradeAgreementPrice"
        case adjustedPrice = "AdjustedPrice"
        case currencyCode = "CurrencyCode"
    }
}

/// Tax of lines: each line's net amount taxed at the rates its item tax group shares with the
/// sales tax group, rounded per line to the channel currency.
public struct CalculateTaxRequest: CommerceRequest {
    public typealias Response = [LineTax]
    public static let typeName = "CalculateTaxRequest"
    public static let mode = RequestMode.read
    public var lines: [TaxableLine]
    /// The sales tax group of the delivery address; nil for the channel's own.
    public var salesTaxGroup: String?
    /// Where the goods go (ISO country code, e.g. `US`), when known; tax overrides key on it.
    public var countryRegionId: String?
    /// The state or province of the delivery address (e.g. `WA`), when known.
    public var stateProvinceId: String?
    public var atInstant: Int64?

    public init(
        lines: [TaxableLine], salesTaxGroup: String? = nil, countryRegionId: String? = nil, stateProvinceId: String? = nil,
        atInstant: Int64? = nil
    ) {
        self.lines = lines
        self.salesTaxGroup = salesTaxGroup
        self.countryRegionId = countryRegionId
        self.stateProvinceId = stateProvinceId
        self.atInstant = atInstant
    }

    // Extensions see this request as JSON with the API's PascalCase names.
    enum CodingKeys: String, CodingKey {
        case lines = "Lines"
        case salesTaxGroup = "SalesTaxGroup"
        case countryRegionId = "CountryRegionId"
        case stateProvinceId = "StateProvinceId"
        case atInstant = "AtInstant"
    }
}

public struct TaxableLine: Codable, Sendable, Equatable {
    public var lineId: String
    public var itemTaxGroup: String?
    /// The amount after discounts; includes tax when the channel's prices include tax.
    public var amount: Decimal

    public init(lineId: String, itemTaxGroup: String?, amount: Decimal) {
        self.lineId = lineId
        self.itemTaxGroup = itemTaxGroup
        self.amount = amount
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case itemTaxGroup = "ItemTaxGroup"
        case amount = "Amount"
    }
}

public struct LineTax: Codable, Sendable, Equatable {
    public var lineId: String
    public var taxAmount: Decimal
    public var ratePercent: Decimal

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case taxAmount = "TaxAmount"
        case ratePercent = "RatePercent"
    }
}

/// Discounts on lines: the periodic discounts of the channel and the offers of the given codes,
/// resolved by ``DiscountEngine`` (concurrency modes, priority; docs/pricing.md). Extensions can
/// replace it (an external promotion engine) or trigger on it.
public struct CalculateDiscountsRequest: CommerceRequest {
    public typealias Response = [LineDiscount]
    public static let typeName = "CalculateDiscountsRequest"
    public static let mode = RequestMode.read
    public var lines: [DiscountableLine]
    public var discountCodes: [String]
    /// Milliseconds since 1970 UTC at which offers and codes must be valid; nil for now.
    public var atInstant: Int64?

    public init(lines: [DiscountableLine], discountCodes: [String] = [], atInstant: Int64? = nil) {
        self.lines = lines
        self.discountCodes = discountCodes
        self.atInstant = atInstant
    }
}

public struct DiscountableLine: Codable, Sendable, Equatable {
    public var lineId: String
    public var productId: Int64
    public var quantity: Decimal
    public var price: Decimal

    public init(lineId: String, productId: Int64, quantity: Decimal, price: Decimal) {
        self.lineId = lineId
        self.productId = productId
        self.quantity = quantity
        self.price = price
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case productId = "ProductId"
        case quantity = "Quantity"
        case price = "Price"
    }
}

public struct LineDiscount: Codable, Sendable, Equatable {
    public var lineId: String
    public var discountAmount: Decimal
    public var offerIds: [String]

    public init(lineId: String, discountAmount: Decimal, offerIds: [String]) {
        self.lineId = lineId
        self.discountAmount = discountAmount
        self.offerIds = offerIds
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case discountAmount = "DiscountAmount"
        case offerIds = "OfferIds"
    }
}

enum PricingHandlers {
    static func register(in registry: inout HandlerRegistry) {
        registry.register(CalculatePricesRequest.self) { request, context in
            let store = PricingStore(context.transaction)
            let instant = request.atInstant ?? currentInstant()
            let generations = try await context.masterDataMemo.generations(store)
            let basics = try await context.masterData.productBasics(request.productIds, generation: generations.catalog, store: store)
            let lines = try await context.masterData.priceLines(
                productIds: request.productIds, currency: context.channel.currencyCode, at: instant, generation: generations.pricing, store: store
            )
            var groups = Set(context.channel.priceGroup.map { [$0] } ?? [])
            if let account = request.customerAccount, let group = try await store.customerPriceGroup(account: account) {
                groups.insert(group)
            }
            return request.productIds.compactMap { id -> ProductPrice? in
                guard let basic = basics[id] else { return nil }
                let best = TradeAgreement.best(
                    lines.filter { $0.productId == id }, quantity: request.quantity, priceGroups: groups, customerAccount: request.customerAccount
                )
                return ProductPrice(
                    productId: id, basePrice: basic.basePrice, tradeAgreementPrice: best?.amount,
                    adjustedPrice: best?.amount ?? basic.basePrice, currencyCode: context.channel.currencyCode
                )
            }
        }
        registry.register(CalculateTaxRequest.self) { request, context in
            let channel = context.channel
            guard let group = request.salesTaxGroup ?? channel.salesTaxGroup else {
                return request.lines.map { LineTax(lineId: $0.lineId, taxAmount: 0, ratePercent: 0) }
            }
            let itemGroups = Array(Set(request.lines.compactMap(\.itemTaxGroup))).sorted()
            let store = PricingStore(context.transaction)
            let generations = try await context.masterDataMemo.generations(store)
            let rates = try await context.masterData.taxRates(
                itemTaxGroups: itemGroups, salesTaxGroup: group, at: request.atInstant ?? currentInstant(),
                generation: generations.pricing, store: store
            )
            var ratePerGroup: [String: Decimal] = [:]
            for rate in rates { ratePerGroup[rate.itemTaxGroup, default: 0] += rate.ratePercent }
            return request.lines.map { line in
                let rate = line.itemTaxGroup.flatMap { ratePerGroup[$0] } ?? 0
                let tax = TaxRule.tax(of: line.amount, ratePercent: rate, priceIncludesTax: channel.priceIncludesTax, decimals: channel.currencyDecimals)
                return LineTax(lineId: line.lineId, taxAmount: tax, ratePercent: rate)
            }
        }
        registry.register(CalculateDiscountsRequest.self) { request, context in
            let store = PricingStore(context.transaction)
            let channel = context.channel
            let instant = request.atInstant ?? currentInstant()
            let generations = try await context.masterDataMemo.generations(store)
            // Codes are read each time: their usage counts move with every order that uses one.
            let unlocked = try await store.offerIds(unlockedBy: request.discountCodes, at: instant)
            let offers = try await context.masterData.offers(
                channelId: channel.recordId, at: instant, unlocked: unlocked, generation: generations.discounts, store: store
            )
            guard !offers.isEmpty else { return request.lines.map { LineDiscount(lineId: $0.lineId, discountAmount: 0, offerIds: []) } }
            let scopes = try await context.masterData.scopes(
                productIds: Array(Set(request.lines.map(\.productId))).sorted(), generation: generations.catalog, store: store
            )
            let lines = request.lines.map { line in
                DiscountEngine.Line(
                    lineId: line.lineId, productId: line.productId, masterId: scopes[line.productId]?.masterId,
                    categoryIds: scopes[line.productId]?.categoryIds ?? [], quantity: line.quantity, price: line.price
                )
            }
            return DiscountEngine.calculate(lines: lines, prepared: offers, currency: channel.currencyCode, decimals: channel.currencyDecimals)
        }
        DiscountCodeHandlers.register(in: &registry)
    }

    static func currentInstant() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// The trade-agreement rule: among the lines that apply, the lowest price wins; on a tie the
/// more specific account wins (customer, then price group, then all), then the higher
/// quantity break, then the older line.
public enum TradeAgreement {
    public static func best(
        _ lines: [PriceLineRecord], quantity: Decimal, priceGroups: Set<String>, customerAccount: String?
    ) -> PriceLineRecord? {
        let applicable = lines.filter { line in
            guard line.fromQuantity <= quantity else { return false }
            switch line.account {
            case .all: return true
            case .group: return line.accountRelation.map(priceGroups.contains) ?? false
            case .table: return line.accountRelation != nil && line.accountRelation == customerAccount
            }
        }
        func specificity(_ account: PriceLineRecord.Account) -> Int {
            switch account {
            case .table: 0
            case .group: 1
            case .all: 2
            }
        }
        return applicable.min { a, b in
            if a.amount != b.amount { return a.amount < b.amount }
            if a.account != b.account { return specificity(a.account) < specificity(b.account) }
            if a.fromQuantity != b.fromQuantity { return a.fromQuantity > b.fromQuantity }
            return a.recordId < b.recordId
        }
    }
}

/// The tax rule: tax is computed per line and rounded half away from zero to the currency.
/// Price-exclusive: tax = amount x rate. Price-inclusive: tax = amount - amount / (1 + rate).
public enum TaxRule {
    public static func tax(of amount: Decimal, ratePercent: Decimal, priceIncludesTax: Bool, decimals: Int) -> Decimal {
        guard ratePercent != 0 else { return 0 }
        // In SmallDecimal: this runs for every line of every cart change, and Decimal's division
        // alone costs microseconds.
        let amount = SmallDecimal(amount)
        let rate = SmallDecimal(ratePercent).shifted(by: 2)
        let raw = priceIncludesTax ? amount - amount / (rate + 1) : amount * rate
        return raw.rounded(toDecimals: decimals).decimal
    }
}
