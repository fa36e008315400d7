import Foundation

/// Creates a cart in the request's channel, optionally with lines and checkout details.
/// Its id is a random UUID: anonymous callers own a cart by knowing it.
public struct CreateCartRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "CreateCartRequest"
    public static let mode = RequestMode.write
    public var customerId: String?
    public var receiptEmail: String?
    public var shippingAddress: Address?
    public var cartLines: [CartLineInput]?
    /// Stored with the cart; see ``CommerceProperty/merged(_:into:)`` for how values combine.
    public var extensionProperties: [CommerceProperty]?

    public init(
        customerId: String? = nil, receiptEmail: String? = nil, shippingAddress: Address? = nil, cartLines: [CartLineInput]? = nil,
        extensionProperties: [CommerceProperty]? = nil
    ) {
        self.customerId = customerId
        self.receiptEmail = receiptEmail
        self.shippingAddress = shippingAddress
        self.cartLines = cartLines
        self.extensionProperties = extensionProperties
    }

    enum CodingKeys: String, CodingKey {
        case customerId = "CustomerId"
        case receiptEmail = "ReceiptEmail"
        case shippingAddress = "ShippingAddress"
        case cartLines = "CartLines"
        case extensionProperties = "ExtensionProperties"
    }
}

/// Reads a cart of the request's channel as last calculated; nil when there is none the caller may see.
public struct GetCartRequest: CommerceRequest {
    public typealias Response = Cart?
    public static let typeName = "GetCartRequest"
    public static let mode = RequestMode.read
    public var cartId: String

    public init(cartId: String) { self.cartId = cartId }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
    }
}

/// Adds products to a cart; a product already in the cart gets its quantity raised instead of a second line.
public struct AddCartLinesRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "AddCartLinesRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    public var cartLines: [CartLineInput]
    /// The version the caller read; nil changes whatever the current version is.
    public var cartVersion: Int64?

    public init(cartId: String, cartLines: [CartLineInput], cartVersion: Int64? = nil) {
        self.cartId = cartId
        self.cartLines = cartLines
        self.cartVersion = cartVersion
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case cartLines = "CartLines"
        case cartVersion = "CartVersion"
    }
}

/// Sets the quantities of existing lines.
public struct UpdateCartLinesRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "UpdateCartLinesRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    public var cartLines: [CartLineUpdate]
    public var cartVersion: Int64?

    public init(cartId: String, cartLines: [CartLineUpdate], cartVersion: Int64? = nil) {
        self.cartId = cartId
        self.cartLines = cartLines
        self.cartVersion = cartVersion
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case cartLines = "CartLines"
        case cartVersion = "CartVersion"
    }
}

/// Removes lines by id.
public struct RemoveCartLinesRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "RemoveCartLinesRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    public var cartLineIds: [String]
    public var cartVersion: Int64?

    public init(cartId: String, cartLineIds: [String], cartVersion: Int64? = nil) {
        self.cartId = cartId
        self.cartLineIds = cartLineIds
        self.cartVersion = cartVersion
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case cartLineIds = "CartLineIds"
        case cartVersion = "CartVersion"
    }
}

/// Changes a cart's checkout details; a nil member leaves that detail as it is.
public struct UpdateCartRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "UpdateCartRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    public var cartVersion: Int64?
    public var receiptEmail: String?
    public var shippingAddress: Address?
    public var customerId: String?
    /// One of the channel's delivery modes; empty clears it.
    public var deliveryMode: String?
    /// Merged into the cart's stored properties (a property without a value removes its key).
    public var extensionProperties: [CommerceProperty]?

    public init(
        cartId: String, cartVersion: Int64? = nil, receiptEmail: String? = nil, shippingAddress: Address? = nil, customerId: String? = nil,
        deliveryMode: String? = nil, extensionProperties: [CommerceProperty]? = nil
    ) {
        self.deliveryMode = deliveryMode
        self.cartId = cartId
        self.cartVersion = cartVersion
        self.receiptEmail = receiptEmail
        self.shippingAddress = shippingAddress
        self.customerId = customerId
        self.extensionProperties = extensionProperties
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case cartVersion = "CartVersion"
        case receiptEmail = "ReceiptEmail"
        case shippingAddress = "ShippingAddress"
        case customerId = "CustomerId"
        case deliveryMode = "DeliveryMode"
        case extensionProperties = "ExtensionProperties"
    }
}

/// The delivery modes the channel offers for a cart the caller may use.
public struct GetDeliveryOptionsRequest: CommerceRequest {
    public typealias Response = [DeliveryOption]
    public static let typeName = "GetDeliveryOptionsRequest"
    public static let mode = RequestMode.read
    public var cartId: String

    public init(cartId: String) { self.cartId = cartId }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
    }
}

/// Recalculates a cart's prices, discounts, tax and totals, each through its own CRT request
/// (`CalculatePricesRequest`, `CalculateDiscountsRequest`, `CalculateTaxRequest`), stores them
/// and answers the cart. Does not change the version: the change that caused it already did.
public struct CalculateCartTotalsRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "CalculateCartTotalsRequest"
    public static let mode = RequestMode.write
    public var cartId: String

    public init(cartId: String) { self.cartId = cartId }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
    }
}

/// Deletes a cart the caller may use; answers false when there is none (or it expired).
public struct DeleteCartRequest: CommerceRequest {
    public typealias Response = Bool
    public static let typeName = "DeleteCartRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    /// The version the caller read; nil deletes whatever the current version is.
    public var cartVersion: Int64?

    public init(cartId: String, cartVersion: Int64? = nil) {
        self.cartId = cartId
        self.cartVersion = cartVersion
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case cartVersion = "CartVersion"
    }
}

/// Deletes up to `limit` carts of any channel that have been idle longer than
/// ``CommerceSettings/cartIdleSeconds``; answers how many. The host runs it periodically.
public struct PurgeExpiredCartsRequest: CommerceRequest {
    public typealias Response = Int
    public static let typeName = "PurgeExpiredCartsRequest"
    public static let mode = RequestMode.write
    public var limit: Int

    public init(limit: Int = 500) { self.limit = limit }

    enum CodingKeys: String, CodingKey {
        case limit = "Limit"
    }
}
