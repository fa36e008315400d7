extension EntityModel {
    /// The built-in model: Retail Server's entity sets, types and operations that this engine
    /// serves (see API.md). Extensions add to it at start-up.
    public static func retailServer() -> EntityModel {
        var model = EntityModel()
        do {
            try model.addRetailServerTypes()
            try model.addRetailServerSets()
            try model.addRetailServerOperations()
        } catch {
            // The built-in model is static: a clash here is a programming error caught by the
            // model tests, not something a running host could recover from.
            preconditionFailure("the built-in entity model is inconsistent: \(error)")
        }
        return model
    }

    private mutating func addRetailServerTypes() throws(EntityModelError) {
        try add(EdmComplexType("CommercePropertyValue", properties: [
            EdmProperty("StringValue", .primitive(.string)),
            EdmProperty("BooleanValue", .primitive(.boolean)),
            EdmProperty("DecimalValue", .primitive(.decimal)),
            EdmProperty("IntegerValue", .primitive(.int32)),
            EdmProperty("LongValue", .primitive(.int64)),
            EdmProperty("DateTimeOffsetValue", .primitive(.dateTimeOffset)),
        ]))
        try add(EdmComplexType("CommerceProperty", properties: [
            EdmProperty("Key", .primitive(.string), nullable: false),
            EdmProperty("Value", .complex("CommercePropertyValue")),
        ]))
        let extensionProperties = EdmProperty("ExtensionProperties", .collection(.complex("CommerceProperty")), nullable: false)
        try add(EdmComplexType("ProductDimension", properties: [
            EdmProperty("DimensionTypeValue", .primitive(.int32), nullable: false),
            EdmProperty("DimensionValue", .primitive(.string)),
        ]))
        try add(EdmComplexType("Address", properties: [
            EdmProperty("Name", .primitive(.string)),
            EdmProperty("Street", .primitive(.string)),
            EdmProperty("City", .primitive(.string)),
            EdmProperty("State", .primitive(.string)),
            EdmProperty("ZipCode", .primitive(.string)),
            EdmProperty("ThreeLetterISORegionName", .primitive(.string)),
            EdmProperty("Email", .primitive(.string)),
            EdmProperty("Phone", .primitive(.string)),
            extensionProperties,
            EdmProperty("RecordId", .primitive(.int64)),
            EdmProperty("IsPrimary", .primitive(.boolean)),
            EdmProperty("Deactivate", .primitive(.boolean)),
        ]))
        try add(EdmComplexType("CartLine", properties: [
            EdmProperty("LineId", .primitive(.string)),
            EdmProperty("ProductId", .primitive(.int64)),
            EdmProperty("ItemId", .primitive(.string)),
            EdmProperty("Quantity", .primitive(.decimal), nullable: false),
            EdmProperty("Price", .primitive(.decimal), nullable: false),
            EdmProperty("ExtendedPrice", .primitive(.decimal), nullable: false),
            EdmProperty("DiscountAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TaxAmount", .primitive(.decimal), nullable: false),
            EdmProperty("NetAmountWithoutTax", .primitive(.decimal), nullable: false),
            EdmProperty("TotalAmount", .primitive(.decimal), nullable: false),
            EdmProperty("DeliveryMode", .primitive(.string)),
            EdmProperty("ShippingAddress", .complex("Address")),
            extensionProperties,
        ]))
        try add(EdmComplexType("SalesLine", properties: [
            EdmProperty("LineId", .primitive(.string)),
            EdmProperty("ProductId", .primitive(.int64)),
            EdmProperty("ItemId", .primitive(.string)),
            EdmProperty("Quantity", .primitive(.decimal), nullable: false),
            EdmProperty("Price", .primitive(.decimal), nullable: false),
            EdmProperty("DiscountAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TaxAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TotalAmount", .primitive(.decimal), nullable: false),
            EdmProperty("WarehouseId", .primitive(.string)),
            EdmProperty("DeliveryMode", .primitive(.string)),
            EdmProperty("ShippingAddress", .complex("Address")),
            extensionProperties,
        ]))
        try add(EdmComplexType("CartLineInput", properties: [
            EdmProperty("LineId", .primitive(.string)),
            EdmProperty("ProductId", .primitive(.int64)),
            EdmProperty("Quantity", .primitive(.decimal)),
            EdmProperty("DeliveryMode", .primitive(.string)),
            EdmProperty("ShippingAddress", .complex("Address")),
            EdmProperty("ExtensionProperties", .collection(.complex("CommerceProperty"))),
        ]))
        try add(EdmComplexType("DeliveryOption", properties: [
            EdmProperty("Code", .primitive(.string), nullable: false),
            EdmProperty("Description", .primitive(.string)),
        ]))
        try add(EdmComplexType("CardTokenInfo", properties: [
            EdmProperty("CardToken", .primitive(.string)),
        ]))
        try add(EdmComplexType("TokenizedPaymentCard", properties: [
            EdmProperty("CardTokenInfo", .complex("CardTokenInfo")),
            EdmProperty("CardTypeId", .primitive(.string)),
        ]))
        try add(EdmComplexType("CartTenderLine", properties: [
            EdmProperty("Amount", .primitive(.decimal), nullable: false),
            EdmProperty("Currency", .primitive(.string)),
            EdmProperty("TenderTypeId", .primitive(.string)),
            EdmProperty("TokenizedPaymentCard", .complex("TokenizedPaymentCard")),
        ]))
        try add(EdmComplexType("SearchContext", properties: [
            EdmProperty("ChannelId", .primitive(.int64)),
            EdmProperty("CatalogId", .primitive(.int64)),
        ]))
        try add(EdmComplexType("ProductRefinerValue", properties: [
            EdmProperty("RefinerRecordId", .primitive(.int64), nullable: false),
            EdmProperty("RefinerSourceValue", .primitive(.int32), nullable: false),
            EdmProperty("DataTypeValue", .primitive(.int32), nullable: false),
            EdmProperty("LeftValueBoundString", .primitive(.string)),
            EdmProperty("RightValueBoundString", .primitive(.string)),
            EdmProperty("LeftValueBoundLocalizedString", .primitive(.string)),
            EdmProperty("RowNumber", .primitive(.int32), nullable: false),
            EdmProperty("Count", .primitive(.int32), nullable: false),
        ]))
        try add(EdmComplexType("ProductRefiner", properties: [
            EdmProperty("RecordId", .primitive(.int64), nullable: false),
            EdmProperty("KeyName", .primitive(.string)),
            EdmProperty("SourceValue", .primitive(.int32), nullable: false),
            EdmProperty("DataTypeValue", .primitive(.int32), nullable: false),
            EdmProperty("RefinerTypeValue", .primitive(.int32), nullable: false),
            EdmProperty("DisplayTemplateValue", .primitive(.int32), nullable: false),
            EdmProperty("Values", .collection(.complex("ProductRefinerValue")), nullable: false),
        ]))
        try add(EdmComplexType("ProductSearchCriteria", properties: [
            EdmProperty("SearchCondition", .primitive(.string)),
            EdmProperty("CategoryIds", .collection(.primitive(.int64)), nullable: false),
            EdmProperty("IncludeProductsFromSubcategories", .primitive(.boolean)),
            EdmProperty("Refinement", .collection(.complex("ProductRefinerValue")), nullable: false),
            EdmProperty("Context", .complex("SearchContext")),
        ]))
        try add(EdmComplexType("ProductPrice", properties: [
            EdmProperty("ProductId", .primitive(.int64), nullable: false),
            EdmProperty("BasePrice", .primitive(.decimal), nullable: false),
            EdmProperty("TradeAgreementPrice", .primitive(.decimal), nullable: false),
            EdmProperty("AdjustedPrice", .primitive(.decimal), nullable: false),
            EdmProperty("CustomerContextualPrice", .primitive(.decimal), nullable: false),
            EdmProperty("CurrencyCode", .primitive(.string)),
        ]))
        try add(EdmComplexType("ProductAvailableQuantity", properties: [
            EdmProperty("ProductId", .primitive(.int64), nullable: false),
            EdmProperty("ItemId", .primitive(.string)),
            EdmProperty("AvailableQuantity", .primitive(.decimal), nullable: false),
            EdmProperty("UnitOfMeasure", .primitive(.string)),
        ]))
        try add(EdmComplexType("MediaLocation", properties: [
            EdmProperty("Uri", .primitive(.string)),
            EdmProperty("AltText", .primitive(.string)),
            EdmProperty("IsDefault", .primitive(.boolean), nullable: false),
        ]))
        try add(EdmComplexType("TenderType", properties: [
            EdmProperty("TenderTypeId", .primitive(.string), nullable: false),
            EdmProperty("Name", .primitive(.string)),
            EdmProperty("OperationType", .primitive(.string), nullable: false),
            EdmProperty("Connector", .primitive(.string)),
        ]))
        try add(EdmEntityType("Product", key: ["RecordId"], properties: [
            EdmProperty("RecordId", .primitive(.int64), nullable: false),
            EdmProperty("ItemId", .primitive(.string)),
            EdmProperty("Name", .primitive(.string)),
            EdmProperty("Description", .primitive(.string)),
            EdmProperty("BasePrice", .primitive(.decimal), nullable: false),
            EdmProperty("Price", .primitive(.decimal), nullable: false),
            EdmProperty("AdjustedPrice", .primitive(.decimal), nullable: false),
            EdmProperty("MasterProductId", .primitive(.int64)),
            EdmProperty("IsMasterProduct", .primitive(.boolean), nullable: false),
            EdmProperty("DefaultUnitOfMeasure", .primitive(.string)),
            EdmProperty("Dimensions", .collection(.complex("ProductDimension")), nullable: false),
            EdmProperty("CategoryIds", .collection(.primitive(.int64)), nullable: false),
            EdmProperty("PrimaryImageUrl", .primitive(.string)),
            extensionProperties,
        ], navigationProperties: [
            EdmNavigationProperty("Categories", target: "Category", isCollection: true),
        ]))
        try add(EdmEntityType("Category", key: ["RecordId"], properties: [
            EdmProperty("RecordId", .primitive(.int64), nullable: false),
            EdmProperty("Name", .primitive(.string)),
            EdmProperty("ParentCategory", .primitive(.int64)),
            EdmProperty("DisplayOrder", .primitive(.int32), nullable: false),
        ], navigationProperties: [
            EdmNavigationProperty("Products", target: "Product", isCollection: true),
        ]))
        try add(EdmEntityType("Cart", key: ["Id"], properties: [
            EdmProperty("Id", .primitive(.string), nullable: false),
            EdmProperty("Version", .primitive(.int64), nullable: false),
            EdmProperty("CustomerId", .primitive(.string)),
            EdmProperty("ReceiptEmail", .primitive(.string)),
            EdmProperty("ShippingAddress", .complex("Address")),
            EdmProperty("DeliveryMode", .primitive(.string)),
            EdmProperty("DiscountCodes", .collection(.primitive(.string)), nullable: false),
            EdmProperty("CartLines", .collection(.complex("CartLine")), nullable: false),
            EdmProperty("SubtotalAmount", .primitive(.decimal), nullable: false),
            EdmProperty("DiscountAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TaxAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TotalAmount", .primitive(.decimal), nullable: false),
            EdmProperty("AmountDue", .primitive(.decimal), nullable: false),
            extensionProperties,
        ]))
        try add(EdmEntityType("Customer", key: ["AccountNumber"], properties: [
            EdmProperty("AccountNumber", .primitive(.string), nullable: false),
            EdmProperty("FirstName", .primitive(.string)),
            EdmProperty("LastName", .primitive(.string)),
            EdmProperty("Name", .primitive(.string)),
            EdmProperty("Email", .primitive(.string)),
            EdmProperty("Phone", .primitive(.string)),
            EdmProperty("CustomerGroup", .primitive(.string)),
            EdmProperty("PriceGroup", .primitive(.string)),
            EdmProperty("Addresses", .collection(.complex("Address")), nullable: false),
            extensionProperties,
        ]))
        try add(EdmEntityType("SalesOrder", key: ["Id"], properties: [
            EdmProperty("Id", .primitive(.string), nullable: false),
            EdmProperty("SalesId", .primitive(.string)),
            EdmProperty("ChannelReferenceId", .primitive(.string)),
            EdmProperty("CustomerId", .primitive(.string)),
            EdmProperty("ReceiptEmail", .primitive(.string)),
            EdmProperty("ShippingAddress", .complex("Address")),
            EdmProperty("DeliveryMode", .primitive(.string)),
            EdmProperty("StatusValue", .primitive(.int32), nullable: false),
            EdmProperty("SalesLines", .collection(.complex("SalesLine")), nullable: false),
            EdmProperty("SubtotalAmount", .primitive(.decimal), nullable: false),
            EdmProperty("DiscountAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TaxAmount", .primitive(.decimal), nullable: false),
            EdmProperty("TotalAmount", .primitive(.decimal), nullable: false),
            EdmProperty("CreatedDateTime", .primitive(.dateTimeOffset), nullable: false),
            extensionProperties,
        ]))
        try add(EdmEntityType("OrgUnit", key: ["OrgUnitNumber"], properties: [
            EdmProperty("OrgUnitNumber", .primitive(.string), nullable: false),
            EdmProperty("RecordId", .primitive(.int64), nullable: false),
            EdmProperty("OrgUnitName", .primitive(.string)),
            EdmProperty("Currency", .primitive(.string)),
            EdmProperty("ChannelType", .primitive(.string), nullable: false),
        ]))
    }

    private mutating func addRetailServerSets() throws(EntityModelError) {
        let everyone = Set(APIRole.allCases)
        try add(EdmEntitySet("Products", entityType: "Product", roles: everyone))
        try add(EdmEntitySet("Categories", entityType: "Category", roles: everyone))
        // Anyone uses a cart by its unguessable id; listing carts needs a caller to scope them to.
        // Applications are scoped to the customer data they may touch; the catalog needs no scope.
        try add(EdmEntitySet(
            "Carts", entityType: "Cart", capabilities: [.read, .insert, .update, .delete], roles: everyone,
            listRoles: [.customer, .application, .employee], applicationScope: ApplicationScope.carts
        ))
        // A customer reads and changes its own account; listing accounts is back-office work.
        try add(EdmEntitySet(
            "Customers", entityType: "Customer", capabilities: [.read, .insert, .update], roles: [.customer, .application, .employee],
            listRoles: [.application, .employee], applicationScope: ApplicationScope.customers
        ))
        try add(EdmEntitySet(
            "SalesOrders", entityType: "SalesOrder", roles: [.customer, .application, .employee], applicationScope: ApplicationScope.orders
        ))
        try add(EdmEntitySet("OrgUnits", entityType: "OrgUnit", roles: everyone))
    }

    private mutating func addRetailServerOperations() throws(EntityModelError) {
        let everyone = Set(APIRole.allCases)
        let products = EdmOperation.Binding(entityType: "Product", isCollection: true)
        let cart = EdmOperation.Binding(entityType: "Cart", isCollection: false)
        let cartVersion = EdmOperation.Parameter("cartVersion", .primitive(.int64))
        let carts = ApplicationScope.carts
        try add(EdmOperation("Search", kind: .action, binding: products, parameters: [
            .init("searchCriteria", .complex("ProductSearchCriteria"), nullable: false),
        ], returnType: .collection(.entity("Product")), entitySetPath: "Products", roles: everyone))
        try add(EdmOperation("GetRefinersByCriteria", kind: .action, binding: products, parameters: [
            .init("searchCriteria", .complex("ProductSearchCriteria"), nullable: false),
        ], returnType: .collection(.complex("ProductRefiner")), roles: everyone))
        try add(EdmOperation("GetMediaLocations", kind: .function, binding: .init(entityType: "Product", isCollection: false), parameters: [
            .init("channelId", .primitive(.int64)),
            .init("catalogId", .primitive(.int64)),
        ], returnType: .collection(.complex("MediaLocation")), roles: everyone))
        try add(EdmOperation("GetActivePrices", kind: .action, binding: products, parameters: [
            .init("productIds", .collection(.primitive(.int64)), nullable: false),
            .init("customerId", .primitive(.string)),
        ], returnType: .collection(.complex("ProductPrice")), roles: everyone))
        try add(EdmOperation("GetProductAvailabilities", kind: .action, binding: products, parameters: [
            .init("itemIds", .collection(.primitive(.string)), nullable: false),
        ], returnType: .collection(.complex("ProductAvailableQuantity")), roles: everyone))
        try add(EdmOperation("AddCartLines", kind: .action, binding: cart, parameters: [
            .init("cartLines", .collection(.complex("CartLineInput")), nullable: false), cartVersion,
        ], returnType: .entity("Cart"), entitySetPath: "Carts", roles: everyone, applicationScope: carts))
        try add(EdmOperation("UpdateCartLines", kind: .action, binding: cart, parameters: [
            .init("cartLines", .collection(.complex("CartLineInput")), nullable: false), cartVersion,
        ], returnType: .entity("Cart"), entitySetPath: "Carts", roles: everyone, applicationScope: carts))
        try add(EdmOperation("RemoveCartLines", kind: .action, binding: cart, parameters: [
            .init("cartLineIds", .collection(.primitive(.string)), nullable: false), cartVersion,
        ], returnType: .entity("Cart"), entitySetPath: "Carts", roles: everyone, applicationScope: carts))
        try add(EdmOperation("AddDiscountCode", kind: .action, binding: cart, parameters: [
            .init("discountCode", .primitive(.string), nullable: false), cartVersion,
        ], returnType: .entity("Cart"), entitySetPath: "Carts", roles: everyone, applicationScope: carts))
        try add(EdmOperation("RemoveDiscountCodes", kind: .action, binding: cart, parameters: [
            .init("discountCodes", .collection(.primitive(.string)), nullable: false), cartVersion,
        ], returnType: .entity("Cart"), entitySetPath: "Carts", roles: everyone, applicationScope: carts))
        try add(EdmOperation("GetDeliveryOptions", kind: .action, binding: cart,
                             returnType: .collection(.complex("DeliveryOption")), roles: everyone, applicationScope: carts))
        try add(EdmOperation("Checkout", kind: .action, binding: cart, parameters: [
            .init("receiptEmail", .primitive(.string)),
            .init("cartTenderLines", .collection(.complex("CartTenderLine")), nullable: false), cartVersion,
        ], returnType: .entity("SalesOrder"), roles: everyone, applicationScope: carts))
        // Not Retail Server names (there, headquarters moves orders on); documented in the README.
        let salesOrder = EdmOperation.Binding(entityType: "SalesOrder", isCollection: false)
        try add(EdmOperation("Cancel", kind: .action, binding: salesOrder, returnType: .entity("SalesOrder"), entitySetPath: "SalesOrders",
                             roles: [.application, .employee], applicationScope: ApplicationScope.orders))
        try add(EdmOperation("Invoice", kind: .action, binding: salesOrder, returnType: .entity("SalesOrder"), entitySetPath: "SalesOrders",
                             roles: [.application, .employee], applicationScope: ApplicationScope.orders))
        try add(EdmOperation("GetOrderHistory", kind: .function, binding: .init(entityType: "Customer", isCollection: false),
                             returnType: .collection(.entity("SalesOrder")), roles: [.customer, .application, .employee],
                             applicationScope: ApplicationScope.orders))
        try add(EdmOperation("GetTenderTypes", kind: .function, returnType: .collection(.complex("TenderType")), roles: everyone))
    }
}
