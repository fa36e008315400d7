public import Foundation

/// A shopping or checkout cart as the API and extensions see it, with Retail Server's names.
///
/// `Version` is the optimistic-concurrency token: every change moves it on, and a change that
/// names an older version is refused.
public struct Cart: Codable, Sendable, Equatable {
    public var id: String
    public var version: Int64
    public var customerId: String?
    public var receiptEmail: String?
    public var shippingAddress: Address?
    /// The channel's delivery mode (`GetDeliveryOptions`) for lines without their own.
    public var deliveryMode: String?
    public var discountCodes: [String]
    public var cartLines: [CartLine]
    public var subtotalAmount: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var totalAmount: Decimal
    public var amountDue: Decimal
    public var extensionProperties: [CommerceProperty]

    public init(
        id: String, version: Int64, customerId: String? = nil, receiptEmail: String? = nil, shippingAddress: Address? = nil,
        discountCodes: [String] = [], cartLines: [CartLine] = [], subtotalAmount: Decimal = 0, discountAmount: Decimal = 0,
        taxAmount: Decimal = 0, totalAmount: Decimal = 0, amountDue: Decimal = 0, deliveryMode: String? = nil,
        extensionProperties: [CommerceProperty] = []
    ) {
        self.deliveryMode = deliveryMode
        self.id = id
        self.version = version
        self.customerId = customerId
        self.receiptEmail = receiptEmail
        self.shippingAddress = shippingAddress
        self.discountCodes = discountCodes
        self.cartLines = cartLines
        self.subtotalAmount = subtotalAmount
        self.discountAmount = discountAmount
        self.taxAmount = taxAmount
        self.totalAmount = totalAmount
        self.amountDue = amountDue
        self.extensionProperties = extensionProperties
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case version = "Version"
        case customerId = "CustomerId"
        case receiptEmail = "ReceiptEmail"
        case shippingAddress = "ShippingAddress"
        case deliveryMode = "DeliveryMode"
        case discountCodes = "DiscountCodes"
        case cartLines = "CartLines"
        case subtotalAmount = "SubtotalAmount"
        case discountAmount = "DiscountAmount"
        case taxAmount = "TaxAmount"
        case totalAmount = "TotalAmount"
        case amountDue = "AmountDue"
        case extensionProperties = "ExtensionProperties"
    }
}

/// One line of a cart with the amounts of the last calculation.
public struct CartLine: Codable, Sendable, Equatable {
    public var lineId: String
    public var productId: Int64
    public var itemId: String
    public var quantity: Decimal
    public var price: Decimal
    /// Price times quantity, rounded to the currency.
    public var extendedPrice: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var netAmountWithoutTax: Decimal
    public var totalAmount: Decimal
    /// The line's own delivery mode and address; nil follows the cart's.
    public var deliveryMode: String?
    public var shippingAddress: Address?
    public var extensionProperties: [CommerceProperty]

    public init(
        lineId: String, productId: Int64, itemId: String, quantity: Decimal, price: Decimal = 0, extendedPrice: Decimal = 0,
        discountAmount: Decimal = 0, taxAmount: Decimal = 0, netAmountWithoutTax: Decimal = 0, totalAmount: Decimal = 0,
        extensionProperties: [CommerceProperty] = []
    ) {
        self.lineId = lineId
        self.productId = productId
        self.itemId = itemId
        self.quantity = quantity
        self.price = price
        self.extendedPrice = extendedPrice
        self.discountAmount = discountAmount
        self.taxAmount = taxAmount
        self.netAmountWithoutTax = netAmountWithoutTax
        self.totalAmount = totalAmount
        self.extensionProperties = extensionProperties
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case productId = "ProductId"
        case itemId = "ItemId"
        case quantity = "Quantity"
        case price = "Price"
        case extendedPrice = "ExtendedPrice"
        case discountAmount = "DiscountAmount"
        case taxAmount = "TaxAmount"
        case netAmountWithoutTax = "NetAmountWithoutTax"
        case totalAmount = "TotalAmount"
        case deliveryMode = "DeliveryMode"
        case shippingAddress = "ShippingAddress"
        case extensionProperties = "ExtensionProperties"
    }
}

/// A postal address (Retail Server's `Address`); `ThreeLetterISORegionName` is the country
/// (`USA`) and `State` the state or province (`WA`), which pick the sales tax group.
public struct Address: Codable, Sendable, Equatable {
    public var name: String?
    public var street: String?
    public var city: String?
    public var state: String?
    public var zipCode: String?
    public var threeLetterISORegionName: String?
    public var email: String?
    public var phone: String?
    public var extensionProperties: [CommerceProperty]?
    /// A customer's address: its id among the account's addresses (nil for a new one).
    public var recordId: Int64?
    /// A customer's address: whether it is the account's primary address.
    public var isPrimary: Bool?
    /// In a customer PATCH: true removes the address `recordId` names (Retail Server's flag).
    public var deactivate: Bool?

    public init(
        name: String? = nil, street: String? = nil, city: String? = nil, state: String? = nil, zipCode: String? = nil,
        threeLetterISORegionName: String? = nil, email: String? = nil, phone: String? = nil, extensionProperties: [CommerceProperty]? = nil,
        recordId: Int64? = nil, isPrimary: Bool? = nil, deactivate: Bool? = nil
    ) {
        self.recordId = recordId
        self.isPrimary = isPrimary
        self.deactivate = deactivate
        self.name = name
        self.street = street
        self.city = city
        self.state = state
        self.zipCode = zipCode
        self.threeLetterISORegionName = threeLetterISORegionName
        self.email = email
        self.phone = phone
        self.extensionProperties = extensionProperties
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case street = "Street"
        case city = "City"
        case state = "State"
        case zipCode = "ZipCode"
        case threeLetterISORegionName = "ThreeLetterISORegionName"
        case email = "Email"
        case phone = "Phone"
        case extensionProperties = "ExtensionProperties"
        case recordId = "RecordId"
        case isPrimary = "IsPrimary"
        case deactivate = "Deactivate"
    }
}

/// A line to add: a product and a quantity, and properties to store with the line.
public struct CartLineInput: Codable, Sendable, Equatable {
    public var productId: Int64
    public var quantity: Decimal
    public var extensionProperties: [CommerceProperty]?

    public init(productId: Int64, quantity: Decimal, extensionProperties: [CommerceProperty]? = nil) {
        self.productId = productId
        self.quantity = quantity
        self.extensionProperties = extensionProperties
    }

    enum CodingKeys: String, CodingKey {
        case productId = "ProductId"
        case quantity = "Quantity"
        case extensionProperties = "ExtensionProperties"
    }
}

/// Changes to an existing line: its quantity, and where and how it is delivered. A nil member
/// leaves that detail as it is; an empty `DeliveryMode` clears the line's own mode and address,
/// so the line follows the cart's again.
public struct CartLineUpdate: Codable, Sendable, Equatable {
    public var lineId: String
    public var quantity: Decimal?
    public var deliveryMode: String?
    public var shippingAddress: Address?

    public init(lineId: String, quantity: Decimal? = nil, deliveryMode: String? = nil, shippingAddress: Address? = nil) {
        self.lineId = lineId
        self.quantity = quantity
        self.deliveryMode = deliveryMode
        self.shippingAddress = shippingAddress
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case quantity = "Quantity"
        case deliveryMode = "DeliveryMode"
        case shippingAddress = "ShippingAddress"
    }
}

/// A way the channel delivers, as `Carts('id')/GetDeliveryOptions` lists them.
public struct DeliveryOption: Codable, Sendable, Equatable {
    public var code: String
    public var description: String

    public init(code: String, description: String) {
        self.code = code
        self.description = description
    }

    enum CodingKeys: String, CodingKey {
        case code = "Code"
        case description = "Description"
    }
}
