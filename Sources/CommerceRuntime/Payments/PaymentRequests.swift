public import Foundation

/// What a payment connector answered.
///
/// A decline is an answer, not an error: the connector worked and the card said no. Errors
/// (the connector unreachable, misconfigured) are thrown.
public struct PaymentResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case approved = "Approved"
        case declined = "Declined"
        case captured = "Captured"
        case voided = "Voided"
        case refunded = "Refunded"
    }

    public var status: Status
    /// The connector's reference of the authorization, capture or refund.
    public var reference: String?
    /// A reference to the card the connector keeps (never the card number).
    public var cardTokenReference: String?
    /// Why a payment was declined, safe to show the customer.
    public var message: String?

    public init(status: Status, reference: String? = nil, cardTokenReference: String? = nil, message: String? = nil) {
        self.status = status
        self.reference = reference
        self.cardTokenReference = cardTokenReference
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case status = "Status"
        case reference = "Reference"
        case cardTokenReference = "CardTokenReference"
        case message = "Message"
    }
}

/// Authorizes an amount on a tokenized card through the tender type's connector.
///
/// Payment connectors are handlers of these four requests: an extension registers its own and
/// calls `next` for connectors it does not know. The built-in handler knows `TestConnector`.
public struct AuthorizePaymentRequest: CommerceRequest, CustomStringConvertible {
    public typealias Response = PaymentResult
    public static let typeName = "AuthorizePaymentRequest"
    public static let mode = RequestMode.write
    public var paymentId: String
    public var connector: String
    public var tenderTypeId: String
    public var amount: Decimal
    public var currency: String
    /// The token of the card from the storefront's payment page; never a card number.
    public var cardToken: String

    public init(paymentId: String, connector: String, tenderTypeId: String, amount: Decimal, currency: String, cardToken: String) {
        self.paymentId = paymentId
        self.connector = connector
        self.tenderTypeId = tenderTypeId
        self.amount = amount
        self.currency = currency
        self.cardToken = cardToken
    }

    /// Without the token, so a logged request leaks nothing.
    public var description: String { "AuthorizePaymentRequest(\(connector), \(amount) \(currency))" }

    enum CodingKeys: String, CodingKey {
        case paymentId = "PaymentId"
        case connector = "Connector"
        case tenderTypeId = "TenderTypeId"
        case amount = "Amount"
        case currency = "Currency"
        case cardToken = "CardToken"
    }
}

/// Captures (part of) an authorization.
public struct CapturePaymentRequest: CommerceRequest {
    public typealias Response = PaymentResult
    public static let typeName = "CapturePaymentRequest"
    public static let mode = RequestMode.write
    public var connector: String
    public var authorizationReference: String
    public var amount: Decimal
    public var currency: String

    public init(connector: String, authorizationReference: String, amount: Decimal, currency: String) {
        self.connector = connector
        self.authorizationReference = authorizationReference
        self.amount = amount
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case connector = "Connector"
        case authorizationReference = "AuthorizationReference"
        case amount = "Amount"
        case currency = "Currency"
    }
}

/// Releases an authorization that will not be captured.
public struct VoidPaymentRequest: CommerceRequest {
    public typealias Response = PaymentResult
    public static let typeName = "VoidPaymentRequest"
    public static let mode = RequestMode.write
    public var connector: String
    public var authorizationReference: String
    public var amount: Decimal
    public var currency: String

    public init(connector: String, authorizationReference: String, amount: Decimal, currency: String) {
        self.connector = connector
        self.authorizationReference = authorizationReference
        self.amount = amount
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case connector = "Connector"
        case authorizationReference = "AuthorizationReference"
        case amount = "Amount"
        case currency = "Currency"
    }
}

/// Pays (part of) a capture back.
public struct RefundPaymentRequest: CommerceRequest {
    public typealias Response = PaymentResult
    public static let typeName = "RefundPaymentRequest"
    public static let mode = RequestMode.write
    public var connector: String
    public var captureReference: String
    public var amount: Decimal
    public var currency: String

    public init(connector: String, captureReference: String, amount: Decimal, currency: String) {
        self.connector = connector
        self.captureReference = captureReference
        self.amount = amount
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case connector = "Connector"
        case captureReference = "CaptureReference"
        case amount = "Amount"
        case currency = "Currency"
    }
}

/// The built-in test connector (`TestConnector`), for development and tests. It moves no money.
///
/// Card tokens it understands:
/// - `test-approve`: approved;
/// - `test-decline`: declined (the checkout answers "payment declined");
/// - `test-error`: the connector fails (the checkout answers "payment connector error");
/// - anything else: declined as an unknown test card.
public enum TestPaymentConnector {
    public static let name = "TestConnector"
    public static let approveToken = "test-approve"
    public static let declineToken = "test-decline"
    public static let errorToken = "test-error"

    static let authorizationPrefix = "test-auth-"
    static let capturePrefix = "test-capture-"

    static func connectorError() -> CommerceError {
        CommerceError(.unavailable, code: "PaymentConnectorError", "the payment connector failed; nothing was charged. Try again later")
    }

    static func authorize(_ request: AuthorizePaymentRequest) throws -> PaymentResult {
        switch request.cardToken {
        case approveToken:
            return PaymentResult(status: .approved, reference: authorizationPrefix + RandomIdentifier.uuid(), cardTokenReference: approveToken)
        case declineToken:
            return PaymentResult(status: .declined, message: "the card was declined")
        case errorToken:
            throw connectorError()
        default:
            return PaymentResult(status: .declined, message: "the test connector knows only the tokens test-approve, test-decline and test-error")
        }
    }

    static func check(_ reference: String, prefix: String) throws {
        guard reference.hasPrefix(prefix) else {
            throw CommerceError(.invalidRequest, code: "UnknownPaymentReference", "the test connector issued no reference like this")
        }
    }
}

enum PaymentHandlers {
    static func unknownConnector(_ name: String) -> CommerceError {
        CommerceError(.unavailable, code: "PaymentConnectorNotFound", "no payment connector named '\(name)' is installed")
    }

    static func register(in registry: inout HandlerRegistry) {
        registry.register(AuthorizePaymentRequest.self) { request, _ in
            guard request.connector == TestPaymentConnector.name else { throw unknownConnector(request.connector) }
            return try TestPaymentConnector.authorize(request)
        }
        registry.register(CapturePaymentRequest.self) { request, _ in
            guard request.connector == TestPaymentConnector.name else { throw unknownConnector(request.connector) }
            try TestPaymentConnector.check(request.authorizationReference, prefix: TestPaymentConnector.authorizationPrefix)
            return PaymentResult(status: .captured, reference: TestPaymentConnector.capturePrefix + RandomIdentifier.uuid())
        }
        registry.register(VoidPaymentRequest.self) { request, _ in
            guard request.connector == TestPaymentConnector.name else { throw unknownConnector(request.connector) }
            try TestPaymentConnector.check(request.authorizationReference, prefix: TestPaymentConnector.authorizationPrefix)
            return PaymentResult(status: .voided, reference: request.authorizationReference)
        }
        registry.register(RefundPaymentRequest.self) { request, _ in
            guard request.connector == TestPaymentConnector.name else { throw unknownConnector(request.connector) }
            try TestPaymentConnector.check(request.captureReference, prefix: TestPaymentConnector.capturePrefix)
            return PaymentResult(status: .refunded, reference: "test-refund-" + RandomIdentifier.uuid())
        }
    }
}
