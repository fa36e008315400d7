import ChannelDatabase

/// A refiner (facet) of a search with Retail Server's names: the attribute, category or price
/// it refines by and its values with product counts.
public struct ProductRefiner: Codable, Sendable, Equatable {
    /// The attribute's record id; 0 for the category and price refiners.
    public var recordId: Int64
    public var keyName: String
    /// Retail Server's `ProductRefinerSource`: 1 attribute, 2 category, 3 price.
    public var sourceValue: Int
    /// Retail Server's `AttributeDataType`: 5 text (attributes), 4 integer (category ids), 1 currency (price).
    public var dataTypeValue: Int
    /// Retail Server's `ProductRefinerType`: 1 multi-select for all (values of one refiner are alternatives).
    public var refinerTypeValue: Int
    /// Retail Server's `DisplayTemplate`: 0 list, 1 range (price).
    public var displayTemplateValue: Int
    public var values: [ProductRefinerValue]

    enum CodingKeys: String, CodingKey {
        case recordId = "RecordId"
        case keyName = "KeyName"
        case sourceValue = "SourceValue"
        case dataTypeValue = "DataTypeValue"
        case refinerTypeValue = "RefinerTypeValue"
        case displayTemplateValue = "DisplayTemplateValue"
        case values = "Values"
    }

    init(_ record: RefinerRecord) {
        recordId = record.recordId
        keyName = record.name
        sourceValue = record.source.rawValue
        dataTypeValue = Self.dataType(of: record.source)
        refinerTypeValue = 1
        displayTemplateValue = record.source == .price ? 1 : 0
        values = record.values.enumerated().map { index, value in
            ProductRefinerValue(
                refinerRecordId: record.recordId, refinerSourceValue: record.source.rawValue, dataTypeValue: Self.dataType(of: record.source),
                leftValueBoundString: value.value, rightValueBoundString: value.upperBound ?? (record.source == .price ? nil : value.value),
                leftValueBoundLocalizedString: value.label, rowNumber: index + 1, count: value.count
            )
        }
    }

    static func dataType(of source: RefinerRecord.Source) -> Int {
        switch source {
        case .attribute: 5
        case .category: 4
        case .price: 1
        }
    }
}

/// One value of a refiner. A client selects it by sending it back in the search criteria's
/// `Refinement` (RefinerRecordId, RefinerSourceValue, LeftValueBoundString and, for prices,
/// RightValueBoundString).
public struct ProductRefinerValue: Codable, Sendable, Equatable {
    public var refinerRecordId: Int64
    public var refinerSourceValue: Int
    public var dataTypeValue: Int
    /// The attribute text, the category's record id, or the price range's lower bound.
    public var leftValueBoundString: String
    /// The price range's upper bound (exclusive; nil for the open top range); the same as the
    /// left bound for attribute and category values.
    public var rightValueBoundString: String?
    /// The category's name.
    public var leftValueBoundLocalizedString: String?
    public var rowNumber: Int
    /// How many of the found products have this value.
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case refinerRecordId = "RefinerRecordId"
        case refinerSourceValue = "RefinerSourceValue"
        case dataTypeValue = "DataTypeValue"
        case leftValueBoundString = "LeftValueBoundString"
        case rightValueBoundString = "RightValueBoundString"
        case leftValueBoundLocalizedString = "LeftValueBoundLocalizedString"
        case rowNumber = "RowNumber"
        case count = "Count"
    }
}
