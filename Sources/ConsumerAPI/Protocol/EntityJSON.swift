import CommerceRuntime

/// OData JSON of the built-in entities, with Retail Server's property names.
enum EntityJSON {
    static func writeProperties(_ product: Product, _ select: PropertySelection, _ writer: inout JSONWriter) {
        if select.includes("RecordId") { writer.field("RecordId", product.recordId) }
        if select.includes("ItemId") { writer.field("ItemId", product.itemId) }
        if select.includes("Name") { writer.field("Name", product.name) }
        if select.includes("Description") { writer.field("Description", product.description) }
        if select.includes("BasePrice") { writer.field("BasePrice", product.basePrice) }
        if select.includes("Price") { writer.field("Price", product.price) }
        if select.includes("AdjustedPrice") { writer.field("AdjustedPrice", product.adjustedPrice) }
        if select.includes("MasterProductId") { writer.field("MasterProductId", product.masterProductId) }
        if select.includes("IsMasterProduct") { writer.field("IsMasterProduct", product.isMasterProduct) }
        if select.includes("DefaultUnitOfMeasure") { writer.field("DefaultUnitOfMeasure", product.defaultUnitOfMeasure) }
        if select.includes("Dimensions") {
            writer.key("Dimensions")
            writer.beginArray()
            for dimension in product.dimensions {
                writer.beginObject()
                writer.field("DimensionTypeValue", Int64(dimension.dimensionType.rawValue))
                writer.field("DimensionValue", dimension.value)
                writer.endObject()
            }
            writer.endArray()
        }
        if select.includes("CategoryIds") {
            writer.key("CategoryIds")
            writer.beginArray()
            for id in product.categoryIds { writer.int(id) }
            writer.endArray()
        }
        if select.includes("PrimaryImageUrl") { writer.field("PrimaryImageUrl", product.primaryImageUrl) }
        if select.includes("ExtensionProperties") { writeExtensionProperties(product.extensionProperties, to: &writer) }
    }

    static func writeProperties(_ category: Category, _ select: PropertySelection, _ writer: inout JSONWriter) {
        if select.includes("RecordId") { writer.field("RecordId", category.recordId) }
        if select.includes("Name") { writer.field("Name", category.name) }
        if select.includes("ParentCategory") { writer.field("ParentCategory", category.parentCategory) }
        if select.includes("DisplayOrder") { writer.field("DisplayOrder", Int64(category.displayOrder)) }
    }

    static func writeExtensionProperties(_ properties: [CommerceProperty], to writer: inout JSONWriter) {
        writer.key("ExtensionProperties")
        writer.beginArray()
        for property in properties {
            writer.beginObject()
            writer.field("Key", property.key)
            writer.key("Value")
            writer.beginObject()
            let value = property.value
            if let text = value.stringValue { writer.field("StringValue", text) }
            if let flag = value.booleanValue { writer.field("BooleanValue", flag) }
            if let number = value.decimalValue { writer.field("DecimalValue", number) }
            if let number = value.integerValue { writer.field("IntegerValue", Int64(number)) }
            if let number = value.longValue { writer.field("LongValue", number) }
            if let instant = value.dateTimeOffsetValue { writer.field("DateTimeOffsetValue", instant) }
            writer.endObject()
            writer.endObject()
        }
        writer.endArray()
    }
}

/// The properties `$select` asked for; all of them when it was absent or `*`.
struct PropertySelection: Sendable {
    /// Selected names in request order (for the context URL), nil for all.
    let names: [String]?
    private let lookup: Set<String>
    /// Expanded navigation properties as the context URL lists them (`Categories(Name)`).
    var expanded: [String] = []

    static let all = PropertySelection(names: nil)

    init(names: [String]?) {
        self.names = names
        lookup = Set(names ?? [])
    }

    func includes(_ name: String) -> Bool { names == nil || lookup.contains(name) }

    /// `(Name,Price)` for the context URL, empty when everything is selected and nothing expanded.
    var contextSuffix: String {
        let items = (names ?? []) + expanded
        return items.isEmpty ? "" : "(" + items.joined(separator: ",") + ")"
    }
}
