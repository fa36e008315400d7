public import Foundation

/// Turns a cart into a sales order: validates it, reserves stock, authorizes the tenders,
/// creates the order with the channel's next number, records the payments and deletes the cart.
///
/// All in the request's one transaction: when any step fails nothing stays, and authorizations
/// already granted are voided. With an `IdempotencyKey` a repeated checkout answers the order
/// the first one created and authorizes nothing again.
public struct CheckoutRequest: CommerceRequest, CustomStringConvertible {
    public typealias Response = SalesOrder
    public static let typeName = "CheckoutRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    /// Overrides the cart's receipt e-mail when set; one of the two is required.
    public var receiptEmail: String?
    public var cartTenderLines: [CartTenderLine]
    public var cartVersion: Int64?
    public var idempotencyKey: String?

    public init(cartId: String, receiptEmail: String? = nil, cartTenderLines: [CartTenderLine], cartVersion: Int64? = nil, idempotencyKey: String? = nil) {
        self.cartId = cartId
        self.receiptEmail = receiptEmail
        self.cartTenderLines = cartTenderLines
        self.cartVersion = cartVersion
        self.idempotencyKey = idempotencyKey
    }

    /// Without tokens or e-mail, so a logged request leaks nothing.
    public var description: String { "CheckoutRequest(cart \(cartId), \(cartTenderLines.count) tender lines)" }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case receiptEmail = "ReceiptEmail"
        case cartTenderLines = "CartTenderLines"
        case cartVersion = "CartVersion"
        case idempotencyKey = "IdempotencyKey"
    }
}

/// One payment of a checkout: an amount in a tender type, with the card token when the tender
/// type pays by card.
public struct CartTenderLine: Codable, Sendable, Equatable {
    public var amount: Decimal
    /// The channel currency when nil; any other currency is refused.
    public var currency: String?
    public var tenderTypeId: String
    public var tokenizedPaymentCard: TokenizedPaymentCard?

    public init(amount: Decimal, currency: String? = nil, tenderTypeId: String, tokenizedPaymentCard: TokenizedPaymentCard? = nil) {
        self.amount = amount
        self.currency = currency
        self.tenderTypeId = tenderTypeId
        self.tokenizedPaymentCard = tokenizedPaymentCard
    }

    enum CodingKeys: String, CodingKey {
        case amount = "Amount"
        case currency = "Currency"
        case tenderTypeId = "TenderTypeId"
        case tokenizedPaymentCard = "TokenizedPaymentCard"
    }
}

public struct TokenizedPaymentCard: Codable, Sendable, Equatable {
    public var cardTokenInfo: CardTokenInfo?
    public var cardTypeId: String?

    public init(cardTokenInfo: CardTokenInfo?, cardTypeId: String? = nil) {
        self.cardTokenInfo = cardTokenInfo
        self.cardTypeId = cardTypeId
    }

    enum CodingKeys: String, CodingKey {
        case cardTokenInfo = "CardTokenInfo"
        case cardTypeId = "CardTypeId"
    }
}

/// The token a payment page issued for a card. Printing it shows no token.
public struct CardTokenInfo: Codable, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var cardToken: String

    public init(cardToken: String) { self.cardToken = cardToken }

    public var description: String { "CardTokenInfo(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }

    enum CodingKeys: String, CodingKey {
        case cardToken = "CardToken"
    }
}
