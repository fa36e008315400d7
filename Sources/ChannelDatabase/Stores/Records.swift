public import Foundation

/// A channel (org unit) as stored: an online store or a physical store.
public struct ChannelRecord: Sendable, Equatable {
    public var recordId: Int64
    public var orgUnitNumber: String
    public var name: String
    public var channelType: String
    public var currencyCode: String
    public var currencyDecimals: Int
    public var languageId: String
    public var priceIncludesTax: Bool
    public var salesTaxGroup: String?
    public var defaultWarehouseId: String?
    public var priceGroup: String?
    /// The languages the channel answers in (lower-case), its own ``languageId`` first.
    public var languages: [String] = []
}

/// A product or variant as stored. Amounts are decimals, never floating point.
public struct ProductRecord: Sendable, Equatable {
    public var recordId: Int64
    public var itemId: String
    public var masterProductId: Int64?
    public var isMaster: Bool
    public var name: String
    public var description: String
    public var unitOfMeasure: String
    public var basePrice: Decimal
    public var itemTaxGroup: String?
    public var color: String?
    public var size: String?
    public var style: String?
    public var configuration: String?
    public var categoryIds: [Int64]
    /// The default media location's URI (else the first one's); nil without media.
    public var primaryImageUrl: String?

    public init(
        recordId: Int64, itemId: String, masterProductId: Int64? = nil, isMaster: Bool = false, name: String,
        description: String = "", unitOfMeasure: String = "ea", basePrice: Decimal, itemTaxGroup: String? = nil,
        color: String? = nil, size: String? = nil, style: String? = nil, configuration: String? = nil, categoryIds: [Int64] = [],
        primaryImageUrl: String? = nil
    ) {
        self.recordId = recordId
        self.itemId = itemId
        self.masterProductId = masterProductId
        self.isMaster = isMaster
        self.name = name
        self.description = description
        self.unitOfMeasure = unitOfMeasure
        self.basePrice = basePrice
        self.itemTaxGroup = itemTaxGroup
        self.color = color
        self.size = size
        self.style = style
        self.configuration = configuration
        self.categoryIds = categoryIds
        self.primaryImageUrl = primaryImageUrl
    }
}

/// A category node of the catalog tree.
public struct CategoryRecord: Sendable, Equatable {
    public var recordId: Int64
    public var parentCategoryId: Int64?
    public var name: String
    public var displayOrder: Int
}

/// One image or other media of a product, in the product's order.
public struct MediaLocationRecord: Sendable, Equatable {
    /// An absolute http(s) URL or a path relative to the retailer's media base URL
    /// (`Products/P00001_000_001.png`), as Dynamics 365 Commerce stores them.
    public var uri: String
    public var altText: String
    public var isDefault: Bool
    public var displayOrder: Int

    public init(uri: String, altText: String = "", isDefault: Bool = false, displayOrder: Int) {
        self.uri = uri
        self.altText = altText
        self.isDefault = isDefault
        self.displayOrder = displayOrder
    }
}
