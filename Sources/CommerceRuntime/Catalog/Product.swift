public import Foundation
import ChannelDatabase

/// A product or variant as the API and extensions see it, with Retail Server's names.
public struct Product: Codable, Sendable, Equatable {
    public var recordId: Int64
    public var itemId: String
    public var name: String
    public var description: String
    public var basePrice: Decimal
    public var price: Decimal
    public var adjustedPrice: Decimal
    public var masterProductId: Int64?
    public var isMasterProduct: Bool
    public var defaultUnitOfMeasure: String
    public var dimensions: [ProductDimension]
    public var categoryIds: [Int64]
    /// Retail Server's `PrimaryImageUrl` (of `SimpleProduct` and search results): the default
    /// media location's URI, else the first one's; nil without media.
    public var primaryImageUrl: String?
    public var extensionProperties: [CommerceProperty]

    enum CodingKeys: String, CodingKey {
        case recordId = "RecordId"
        case itemId = "ItemId"
        case name = "Name"
        case description = "Description"
        case basePrice = "BasePrice"
        case price = "Price"
        case adjustedPrice = "AdjustedPrice"
        case masterProductId = "MasterProductId"
        case isMasterProduct = "IsMasterProduct"
        case defaultUnitOfMeasure = "DefaultUnitOfMeasure"
        case dimensions = "Dimensions"
        case categoryIds = "CategoryIds"
        case primaryImageUrl = "PrimaryImageUrl"
        case extensionProperties = "ExtensionProperties"
    }

    init(_ record: ProductRecord) {
        recordId = record.recordId
        itemId = record.itemId
        name = record.name
        description = record.description
        basePrice = record.basePrice
        price = record.basePrice
        adjustedPrice = record.basePrice
        masterProductId = record.masterProductId
        isMasterProduct = record.isMaster
        defaultUnitOfMeasure = record.unitOfMeasure
        categoryIds = record.categoryIds
        primaryImageUrl = record.primaryImageUrl
        extensionProperties = []
        var dimensions: [ProductDimension] = []
        for (kind, value) in [(ProductDimension.Kind.color, record.color), (.size, record.size), (.style, record.style), (.configuration, record.configuration)] {
            if let value { dimensions.append(ProductDimension(dimensionType: kind, value: value)) }
        }
        self.dimensions = dimensions
    }
}

/// One dimension value of a variant (color, size, style or configuration).
public struct ProductDimension: Codable, Sendable, Equatable {
    /// Retail Server's `ProductDimensionType` numbers.
    public enum Kind: Int, Codable, Sendable {
        case configuration = 1
        case color = 2
        case size = 3
        case style = 4
    }

    public var dimensionType: Kind
    public var value: String

    enum CodingKeys: String, CodingKey {
        case dimensionType = "DimensionTypeValue"
        case value = "DimensionValue"
    }
}

/// A node of the category tree.
public struct Category: Codable, Sendable, Equatable {
    public var recordId: Int64
    public var name: String
    public var parentCategory: Int64?
    public var displayOrder: Int

    enum CodingKeys: String, CodingKey {
        case recordId = "RecordId"
        case name = "Name"
        case parentCategory = "ParentCategory"
        case displayOrder = "DisplayOrder"
    }

    init(_ record: CategoryRecord) {
        recordId = record.recordId
        name = record.name
        parentCategory = record.parentCategoryId
        displayOrder = record.displayOrder
    }
}

/// An image (or other media) of a product: Retail Server's `MediaLocation`.
public struct MediaLocation: Codable, Sendable, Equatable {
    /// An absolute http(s) URL, or a path relative to the retailer's media base URL
    /// (`Products/P00001_000_001.png`) that the storefront prefixes, as with Dynamics 365 Commerce.
    public var uri: String
    public var altText: String
    /// The product's default image (its `PrimaryImageUrl`); at most one per product.
    public var isDefault: Bool

    enum CodingKeys: String, CodingKey {
        case uri = "Uri"
        case altText = "AltText"
        case isDefault = "IsDefault"
    }

    init(_ record: MediaLocationRecord) {
        uri = record.uri
        altText = record.altText
        isDefault = record.isDefault
    }
}
