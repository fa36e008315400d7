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

    public init(
        recordId: Int64, itemId: String, masterProductId: Int64? = nil, isMaster: Bool = false, name: String,
        description: String = "", unitOfMeasure: String = "ea", basePrice: Decimal, itemTaxGroup: String? = nil,
        color: String? = nil, size: String? = nil, style: String? = nil, configuration: String? = nil, categoryIds: [Int64] = []
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
    }
}

/// A category node of the catalog tree.
public struct CategoryRecord: Sendable, Equatable {
    public var recordId: Int64
    public var parentCategoryId: Int64?
    public var name: String
    public var displayOrder: Int
}
