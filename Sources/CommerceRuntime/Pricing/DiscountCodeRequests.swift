import Foundation
import ChannelDatabase

/// Puts a discount code on a cart (`Carts('id')/AddDiscountCode`). An unknown, expired, not yet
/// valid or used-up code is refused and the cart stays as it was.
public struct AddDiscountCodeRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "AddDiscountCodeRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    public var discountCode: String
    public var cartVersion: Int64?

    public init(cartId: String, discountCode: String, cartVersion: Int64? = nil) {
        self.cartId = cartId
        self.discountCode = discountCode
        self.cartVersion = cartVersion
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case discountCode = "DiscountCode"
        case cartVersion = "CartVersion"
    }
}

/// Takes discount codes off a cart (`Carts('id')/RemoveDiscountCodes`); naming a code the cart
/// does not have is refused, so a client's typo does not pass for success.
public struct RemoveDiscountCodesRequest: CommerceRequest {
    public typealias Response = Cart
    public static let typeName = "RemoveDiscountCodesRequest"
    public static let mode = RequestMode.write
    public var cartId: String
    public var discountCodes: [String]
    public var cartVersion: Int64?

    public init(cartId: String, discountCodes: [String], cartVersion: Int64? = nil) {
        self.cartId = cartId
        self.discountCodes = discountCodes
        self.cartVersion = cartVersion
    }

    enum CodingKeys: String, CodingKey {
        case cartId = "CartId"
        case discountCodes = "DiscountCodes"
        case cartVersion = "CartVersion"
    }
}

enum DiscountCodeHandlers {
    /// Codes are short human-typed tokens; anything longer is not one of ours.
    static let maximumCodeLength = 100

    static func register(in registry: inout HandlerRegistry) {
        registry.register(AddDiscountCodeRequest.self) { request, context in
            let code = request.discountCode.trimmingCharacters(in: .whitespaces)
            guard !code.isEmpty, code.count <= maximumCodeLength else {
                throw CommerceError(.invalidRequest, code: "InvalidDiscountCode", "discountCode must be 1 to \(maximumCodeLength) characters", target: "discountCode")
            }
            let record = try await CartHandlers.claim(request.cartId, version: request.cartVersion, context: context)
            try await check(code, context: context)
            // Adding a code the cart already has is harmless: the version still moves on, as for any change.
            _ = try await CartStore(context.transaction).addDiscountCode(cartId: record.id, code: code)
            return try await context.execute(CalculateCartTotalsRequest(cartId: record.id))
        }

        registry.register(RemoveDiscountCodesRequest.self) { request, context in
            let codes = request.discountCodes.map { $0.trimmingCharacters(in: .whitespaces) }
            guard !codes.isEmpty else { throw CommerceError.invalidRequest("discountCodes is empty", target: "discountCodes") }
            let record = try await CartHandlers.claim(request.cartId, version: request.cartVersion, context: context)
            for code in codes where !record.discountCodes.contains(code) {
                throw CommerceError(.invalidRequest, code: "DiscountCodeNotOnCart", "the cart has no discount code '\(code)'", target: "discountCodes")
            }
            _ = try await CartStore(context.transaction).removeDiscountCodes(cartId: record.id, codes: codes)
            return try await context.execute(CalculateCartTotalsRequest(cartId: record.id))
        }
    }

    /// Refuses a code that cannot give a discount now, each reason with its own error code. All
    /// are 422: the request is well formed, the code is what cannot be used (404 would read as
    /// "no such cart").
    static func check(_ code: String, context: RequestContext) async throws {
        let store = PricingStore(context.transaction)
        guard let record = try await store.discountCode(code) else {
            throw CommerceError(.validation, code: "DiscountCodeNotFound", "there is no discount code '\(code)'", target: "discountCode")
        }
        let now = PricingHandlers.currentInstant()
        if let from = record.validFrom, from > now {
            throw CommerceError(.validation, code: "DiscountCodeNotYetValid", "discount code '\(code)' is not valid yet", target: "discountCode")
        }
        if let to = record.validTo, to < now {
            throw CommerceError(.validation, code: "DiscountCodeExpired", "discount code '\(code)' has expired", target: "discountCode")
        }
        if record.isExhausted {
            throw CommerceError(.validation, code: "DiscountCodeExhausted", "discount code '\(code)' has been used as often as it may be", target: "discountCode")
        }
        let offers = try await store.discountOffers(channelId: context.channel.recordId, codes: [code], at: now)
        guard offers.contains(where: { $0.offerId == record.offerId }) else {
            throw CommerceError(
                .validation, code: "DiscountCodeNotApplicable", "discount code '\(code)' has no active offer in this channel", target: "discountCode"
            )
        }
    }

    /// Counts one use of every code on a checked-out cart that is valid now (an expired code gave
    /// no discount and is not counted). A code whose uses ran out since the cart was calculated
    /// stops the checkout: its transaction rolls back, so N uses left give at most N orders.
    static func useCodes(of cart: CartRecord, context: RequestContext) async throws {
        let store = PricingStore(context.transaction)
        let now = PricingHandlers.currentInstant()
        for code in cart.discountCodes.sorted() {
            guard let record = try await store.discountCode(code), record.isValid(at: now) else { continue }
            guard try await store.useDiscountCode(code, at: now) else {
                throw CommerceError(
                    .conflict, code: "DiscountCodeExhausted",
                    "discount code '\(code)' has been used as often as it may be; remove it from the cart and check out again", target: "DiscountCodes"
                )
            }
        }
    }
}
