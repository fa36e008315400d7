import CommerceRuntime

/// OData JSON of the built-in entities, with Retail Server's property names.
enum EntityJSON {
    static func writeProperties(_ product: Product, to writer: inout JSONWriter) {
        writer.field("RecordId", product.recordId)
        writer.field("ItemId", product.itemId)
        writer.field("Name", product.name)
        writer.field("Description", product.description)
        writer.field("BasePrice", product.basePrice)
        writer.field("Price", product.price)
        writer.field("AdjustedPrice", product.adjustedPrice)
        writer.field("MasterProductId", product.masterProductId)
        writer.field("IsMasterProduct", product.isMasterProduct)
        writer.field("DefaultUnitOfMeasure", product.defaultUnitOfMeasure)
        writer.key("Dimensions")
        writer.beginArray()
        for dimension in product.dimensions {
            writer.beginObject()
            writer.field("DimensionTypeValue", Int64(dimension.dimensionType.rawValue))
            writer.field("DimensionValue", dimension.value)
            writer.endObject()
        }
        writer.endArray()
        writer.key("CategoryIds")
        writer.beginArray()
        for id in product.categoryIds { writer.int(id) }
        writer.endArray()
        writeExtensionProperties(product.extensionProperties, to: &writer)
    }

    static func writeProperties(_ category: Category, to writer: inout JSONWriter) {
        writer.field("RecordId", category.recordId)
        writer.field("Name", category.name)
        writer.field("ParentCategory", category.parentCategory)
        writer.field("DisplayOrder", Int64(category.displayOrder))
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
