import CommerceRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// `Carts`: shopping carts by their unguessable id, their bound actions and checkout.
///
/// A cart's ETag is its version (`W/"3"`), so `If-Match` with the `@odata.etag` of the cart a
/// client read is the same check as `cartVersion`: a stale one is 412 and changes nothing.
///
/// Payment errors: a declined payment is `402 Payment Required` (code `PaymentDeclined`), a
/// failing payment connector `502 Bad Gateway` (code `PaymentConnectorError`); out of stock is
/// `409` (code `OutOfStock`).
enum CartsController {
    static func handle(_ call: APICall) async throws -> Response {
        do {
            return try await route(call)
        } catch let error as CommerceError where ODataError.paymentCodes.contains(error.code) {
            throw ODataError(paymentAware: error)
        }
    }

    private static func route(_ call: APICall) async throws -> Response {
        if let operation = try call.boundOperation(entityType: "Cart") {
            let id = try cartId(call)
            switch operation.name {
            case "AddCartLines": return try await addCartLines(call, id: id)
            case "UpdateCartLines": return try await updateCartLines(call, id: id)
            case "RemoveCartLines": return try await removeCartLines(call, id: id)
            case "AddDiscountCode": return try await addDiscountCode(call, id: id)
            case "RemoveDiscountCodes": return try await removeDiscountCodes(call, id: id)
            case "Checkout": return try await checkout(call, id: id)
            case "GetDeliveryOptions": return try await deliveryOptions(call, id: id)
            default: throw ODataError.notImplemented("Carts/\(operation.name) is declared but not implemented yet")
            }
        }
        switch (call.path.key, call.path.rest) {
        case (nil, []):
            try call.requireMethods([.get, .post], resource: "Carts")
            guard call.request.method == .post else {
                // A customer lists its own carts, applications and employees the channel's.
                return try await call.readCollection(of: "Cart", GetCartsRequest.init)
            }
            return try await create(call)
        case (nil, ["$count"]):
            try call.requireMethods([.get], resource: "Carts/$count")
            return try await call.readCount(GetCartsRequest.init)
        case (.string(let id), []):
            try call.requireMethods([.get, .patch, .delete], resource: "Carts('\(id)')")
            switch call.request.method {
            case .get: return try await read(call, id: id)
            case .delete: return try await delete(call, id: id)
            default: return try await update(call, id: id)
            }
        case (.integer, _):
            throw ODataError.badRequest("the key of Carts is Id, an Edm.String: write Carts('id')", target: "Id")
        case (_, let rest):
            throw ODataError.notImplemented("Carts/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }

    private static func cartId(_ call: APICall) throws -> String {
        guard case .string(let id) = call.path.key else {
            throw ODataError.badRequest("cart actions are bound to one cart: write Carts('id')/\(call.path.rest.first ?? "")", target: "Id")
        }
        return id
    }

    // MARK: Entity

    private static func create(_ call: APICall) async throws -> Response {
        let body = try await call.readBody().map { try decodeCartPatch($0, allowLines: true) } ?? CartPatch()
        let cart = try await call.runtime.execute(
            CreateCartRequest(
                customerId: body.customerId, receiptEmail: body.receiptEmail, shippingAddress: body.shippingAddress,
                cartLines: try body.cartLines?.map { try $0.input() }, extensionProperties: body.extensionProperties
            ),
            channel: call.channel, caller: call.caller
        )
        var response = try cartResponse(cart, call, status: .created)
        response.headers[.location] = "\(call.serviceRoot)/Carts('\(cart.id)')"
        return response
    }

    private static func read(_ call: APICall, id: String) async throws -> Response {
        guard let cart = try await call.runtime.execute(GetCartRequest(cartId: id), channel: call.channel, caller: call.caller) else {
            throw ODataError(.notFound, code: "CartNotFound", "the channel has no cart '\(id)'")
        }
        let etag = etag(of: cart)
        if let ifMatch = call.request.headers[.ifMatch], !ETag.matches(ifMatch, etag) {
            throw ODataError(.preconditionFailed, code: "PreconditionFailed", "the cart has changed: its ETag is \(etag)")
        }
        if let notModified = ETag.notModified(call.request, etag) { return notModified }
        return try cartResponse(cart, call)
    }

    /// `PATCH Carts('id')`: the checkout details a client may change (`ReceiptEmail`,
    /// `ShippingAddress`, `CustomerId`); `Version` in the body or `If-Match` guards the change.
    private static func update(_ call: APICall, id: String) async throws -> Response {
        guard let data = try await call.readBody() else { throw ODataError.badRequest("PATCH needs a JSON body with the properties to change") }
        let body = try decodeCartPatch(data, allowLines: false)
        if let bodyId = body.id, bodyId != id { throw ODataError.badRequest("the body's Id '\(bodyId)' is not the cart addressed", target: "Id") }
        let version = try requestedVersion(call, bodyVersion: body.version)
        let cart = try await call.runtime.execute(
            UpdateCartRequest(
                cartId: id, cartVersion: version, receiptEmail: body.receiptEmail, shippingAddress: body.shippingAddress, customerId: body.customerId,
                deliveryMode: body.deliveryMode, extensionProperties: body.extensionProperties
            ),
            channel: call.channel, caller: call.caller
        )
        return try cartResponse(cart, call)
    }

    /// `DELETE Carts('id')`: 204, or 404 for a cart the caller cannot see; `If-Match` guards it.
    private static func delete(_ call: APICall, id: String) async throws -> Response {
        let deleted = try await call.runtime.execute(
            DeleteCartRequest(cartId: id, cartVersion: try requestedVersion(call, bodyVersion: nil)), channel: call.channel, caller: call.caller
        )
        guard deleted else { throw ODataError(.notFound, code: "CartNotFound", "the channel has no cart '\(id)'") }
        return Response(status: .noContent, headers: [ODataHeaders.odataVersion: "4.0"])
    }

    // MARK: Bound actions

    struct LineBody: Decodable {
        var LineId: String?
        var ProductId: Int64?
        var Quantity: Decimal?
        var DeliveryMode: String?
        var ShippingAddress: Address?
        var ExtensionProperties: [CommerceProperty]?

        func input() throws -> CartLineInput {
            guard let ProductId, let Quantity else {
                throw ODataError.badRequest("every cart line needs ProductId and Quantity", target: "cartLines")
            }
            return CartLineInput(productId: ProductId, quantity: Quantity, extensionProperties: ExtensionProperties)
        }

        func update() throws -> CartLineUpdate {
            guard let LineId, Quantity != nil || DeliveryMode != nil || ShippingAddress != nil else {
                throw ODataError.badRequest("every cart line needs LineId and what to change: Quantity, DeliveryMode or ShippingAddress", target: "cartLines")
            }
            return CartLineUpdate(lineId: LineId, quantity: Quantity, deliveryMode: DeliveryMode, shippingAddress: ShippingAddress)
        }
    }

    private struct LinesBody: Decodable {
        var cartLines: [LineBody]
        var cartVersion: Int64?
    }

    private static func addCartLines(_ call: APICall, id: String) async throws -> Response {
        let body = try await call.decodeBody(LinesBody.self)
        let request = AddCartLinesRequest(
            cartId: id, cartLines: try body.cartLines.map { try $0.input() }, cartVersion: try requestedVersion(call, bodyVersion: body.cartVersion)
        )
        return try cartResponse(try await call.runtime.execute(request, channel: call.channel, caller: call.caller), call)
    }

    private static func updateCartLines(_ call: APICall, id: String) async throws -> Response {
        let body = try await call.decodeBody(LinesBody.self)
        let request = UpdateCartLinesRequest(
            cartId: id, cartLines: try body.cartLines.map { try $0.update() }, cartVersion: try requestedVersion(call, bodyVersion: body.cartVersion)
        )
        return try cartResponse(try await call.runtime.execute(request, channel: call.channel, caller: call.caller), call)
    }

    /// `GetDeliveryOptions`: the channel's delivery modes, for a cart the caller may use.
    private static func deliveryOptions(_ call: APICall, id: String) async throws -> Response {
        let options = try await call.runtime.execute(GetDeliveryOptionsRequest(cartId: id), channel: call.channel, caller: call.caller)
        return call.complexCollectionResponse(of: "DeliveryOption", options) { option, writer in
            writer.field("Code", option.code)
            writer.field("Description", option.description)
        }
    }

    private static func removeCartLines(_ call: APICall, id: String) async throws -> Response {
        struct Body: Decodable {
            var cartLineIds: [String]
            var cartVersion: Int64?
        }
        let body = try await call.decodeBody(Body.self)
        let request = RemoveCartLinesRequest(cartId: id, cartLineIds: body.cartLineIds, cartVersion: try requestedVersion(call, bodyVersion: body.cartVersion))
        return try cartResponse(try await call.runtime.execute(request, channel: call.channel, caller: call.caller), call)
    }

    /// `AddDiscountCode` (`{"discountCode":"SAVE10"}`): an unknown, expired or used-up code is
    /// 422 with its own code (`DiscountCodeNotFound`, `DiscountCodeExpired`, ...) and the cart
    /// stays as it was.
    private static func addDiscountCode(_ call: APICall, id: String) async throws -> Response {
        struct Body: Decodable {
            var discountCode: String
            var cartVersion: Int64?
        }
        let body = try await call.decodeBody(Body.self)
        let request = AddDiscountCodeRequest(cartId: id, discountCode: body.discountCode, cartVersion: try requestedVersion(call, bodyVersion: body.cartVersion))
        return try cartResponse(try await call.runtime.execute(request, channel: call.channel, caller: call.caller), call)
    }

    private static func removeDiscountCodes(_ call: APICall, id: String) async throws -> Response {
        struct Body: Decodable {
            var discountCodes: [String]
            var cartVersion: Int64?
        }
        let body = try await call.decodeBody(Body.self)
        let request = RemoveDiscountCodesRequest(cartId: id, discountCodes: body.discountCodes, cartVersion: try requestedVersion(call, bodyVersion: body.cartVersion))
        return try cartResponse(try await call.runtime.execute(request, channel: call.channel, caller: call.caller), call)
    }

    private struct TenderLineBody: Decodable {
        struct Card: Decodable {
            var CardTokenInfo: TokenInfo?
            var CardTypeId: String?
        }

        /// `CardTokenInfo` as Retail Server sends it (`{"CardToken":".."}`) or as a plain token string.
        struct TokenInfo: Decodable {
            var token: String

            init(from decoder: any Decoder) throws {
                if let text = try? decoder.singleValueContainer().decode(String.self) {
                    token = text
                    return
                }
                token = try RuntimeCardTokenInfo(from: decoder).cardToken
            }
        }

        var Amount: Decimal
        var Currency: String?
        var TenderTypeId: String
        var TokenizedPaymentCard: Card?

        var line: CartTenderLine {
            CartTenderLine(
                amount: Amount, currency: Currency, tenderTypeId: TenderTypeId,
                tokenizedPaymentCard: TokenizedPaymentCard.map {
                    RuntimeTokenizedPaymentCard(cardTokenInfo: $0.CardTokenInfo.map { RuntimeCardTokenInfo(cardToken: $0.token) }, cardTypeId: $0.CardTypeId)
                }
            )
        }
    }

    /// `Checkout`, with `Idempotency-Key` (at most 255 visible ASCII characters): a repeat with
    /// the same key answers the same order and authorizes nothing again.
    private static func checkout(_ call: APICall, id: String) async throws -> Response {
        struct Body: Decodable {
            var receiptEmail: String?
            var cartTenderLines: [TenderLineBody]
            var cartVersion: Int64?
        }
        let body = try await call.decodeBody(Body.self)
        var key: String?
        if let header = call.request.headers[idempotencyKey] {
            guard !header.isEmpty, header.utf8.count <= 255, header.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw ODataError.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters", target: "Idempotency-Key")
            }
            key = header
        }
        let request = CheckoutRequest(
            cartId: id, receiptEmail: body.receiptEmail, cartTenderLines: body.cartTenderLines.map(\.line),
            cartVersion: try requestedVersion(call, bodyVersion: body.cartVersion), idempotencyKey: key
        )
        let order = try await call.runtime.execute(request, channel: call.channel, caller: call.caller)
        return SalesOrdersController.orderResponse(order, call)
    }

    static let idempotencyKey: HTTPField.Name = {
        guard let name = HTTPField.Name("Idempotency-Key") else { preconditionFailure("'Idempotency-Key' is not a valid header name") }
        return name
    }()

    // MARK: Versions and ETags

    static func etag(of cart: Cart) -> String { "W/\"\(cart.version)\"" }

    /// The version a change must apply to: `cartVersion` (or `Version`) from the body, or the
    /// version `If-Match` names; both must agree when both are given. `If-Match: *` checks nothing.
    static func requestedVersion(_ call: APICall, bodyVersion: Int64?) throws -> Int64? {
        guard let header = call.request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else { return bodyVersion }
        var text = Substring(header)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        guard let version = Int64(text) else {
            throw ODataError(.preconditionFailed, code: "PreconditionFailed", "If-Match names no version of this cart; send the cart's @odata.etag")
        }
        if let bodyVersion, bodyVersion != version {
            throw ODataError(.preconditionFailed, code: "PreconditionFailed", "If-Match and cartVersion name different versions")
        }
        return version
    }

    // MARK: JSON

    /// A partial cart from a POST or PATCH body. Unknown or read-only properties are refused by
    /// name rather than ignored, so a client learns that its change did not happen.
    struct CartPatch {
        var id: String?
        var version: Int64?
        var customerId: String?
        var receiptEmail: String?
        var shippingAddress: Address?
        var deliveryMode: String?
        var cartLines: [LineBody]?
        var extensionProperties: [CommerceProperty]?
    }

    private struct CartPatchBody: Decodable {
        var Id: String?
        var Version: Int64?
        var CustomerId: String?
        var ReceiptEmail: String?
        var ShippingAddress: Address?
        var DeliveryMode: String?
        var CartLines: [LineBody]?
        var ExtensionProperties: [CommerceProperty]?
    }

    private static func decodeCartPatch(_ data: Data, allowLines: Bool) throws -> CartPatch {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ODataError.badRequest("the body must be a JSON object with Cart properties")
        }
        var allowed: Set<String> = ["Id", "Version", "CustomerId", "ReceiptEmail", "ShippingAddress", "ExtensionProperties"]
        if allowLines { allowed.insert("CartLines") } else { allowed.insert("DeliveryMode") }
        for name in object.keys where !name.hasPrefix("@") && !allowed.contains(name) {
            throw ODataError.badRequest("\(name) cannot be set here; settable: \(allowed.sorted().joined(separator: ", "))", target: name)
        }
        let body: CartPatchBody
        do {
            body = try JSONDecoder().decode(CartPatchBody.self, from: data)
        } catch {
            throw ODataError.badRequest("the body does not match the Cart type (check the types of its properties)")
        }
        return CartPatch(
            id: body.Id, version: body.Version, customerId: body.CustomerId, receiptEmail: body.ReceiptEmail, shippingAddress: body.ShippingAddress,
            deliveryMode: body.DeliveryMode, cartLines: body.CartLines, extensionProperties: body.ExtensionProperties
        )
    }

    static func cartResponse(_ cart: Cart, _ call: APICall, status: HTTPResponse.Status = .ok) throws -> Response {
        let select = try call.selection(of: "Cart")
        // Preconditions were checked against the version before the change (or by `read`).
        return try call.entityResponse(
            cart, select: select, key: { "'\($0.id)'" }, etag: etag(of: cart), status: status, conditional: false
        ) { writeProperties($0, select, &$1) }
    }

    static func writeProperties(_ cart: Cart, _ select: PropertySelection, _ writer: inout JSONWriter) {
        if select.includes("Id") { writer.field("Id", cart.id) }
        if select.includes("Version") { writer.field("Version", cart.version) }
        if select.includes("CustomerId") { writer.field("CustomerId", cart.customerId) }
        if select.includes("ReceiptEmail") { writer.field("ReceiptEmail", cart.receiptEmail) }
        if select.includes("ShippingAddress") {
            writer.key("ShippingAddress")
            if let address = cart.shippingAddress { writeAddress(address, &writer) } else { writer.null() }
        }
        if select.includes("DeliveryMode") { writer.field("DeliveryMode", cart.deliveryMode) }
        if select.includes("DiscountCodes") {
            writer.key("DiscountCodes")
            writer.beginArray()
            for code in cart.discountCodes { writer.string(code) }
            writer.endArray()
        }
        if select.includes("CartLines") {
            writer.key("CartLines")
            writer.beginArray()
            for line in cart.cartLines {
                writer.beginObject()
                writer.field("LineId", line.lineId)
                writer.field("ProductId", line.productId)
                writer.field("ItemId", line.itemId)
                writer.field("Quantity", line.quantity)
                writer.field("Price", line.price)
                writer.field("ExtendedPrice", line.extendedPrice)
                writer.field("DiscountAmount", line.discountAmount)
                writer.field("TaxAmount", line.taxAmount)
                writer.field("NetAmountWithoutTax", line.netAmountWithoutTax)
                writer.field("TotalAmount", line.totalAmount)
                writer.field("DeliveryMode", line.deliveryMode)
                writer.key("ShippingAddress")
                if let address = line.shippingAddress { writeAddress(address, &writer) } else { writer.null() }
                EntityJSON.writeExtensionProperties(line.extensionProperties, to: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        if select.includes("SubtotalAmount") { writer.field("SubtotalAmount", cart.subtotalAmount) }
        if select.includes("DiscountAmount") { writer.field("DiscountAmount", cart.discountAmount) }
        if select.includes("TaxAmount") { writer.field("TaxAmount", cart.taxAmount) }
        if select.includes("TotalAmount") { writer.field("TotalAmount", cart.totalAmount) }
        if select.includes("AmountDue") { writer.field("AmountDue", cart.amountDue) }
        if select.includes("ExtensionProperties") { EntityJSON.writeExtensionProperties(cart.extensionProperties, to: &writer) }
    }

    static func writeAddress(_ address: Address, _ writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("Name", address.name)
        writer.field("Street", address.street)
        writer.field("City", address.city)
        writer.field("State", address.state)
        writer.field("ZipCode", address.zipCode)
        writer.field("ThreeLetterISORegionName", address.threeLetterISORegionName)
        writer.field("Email", address.email)
        writer.field("Phone", address.phone)
        EntityJSON.writeExtensionProperties(address.extensionProperties ?? [], to: &writer)
        // A customer's addresses carry their id and primary flag; a cart's shipping address has neither.
        if let recordId = address.recordId { writer.field("RecordId", recordId) }
        if let isPrimary = address.isPrimary { writer.field("IsPrimary", isPrimary) }
        writer.endObject()
    }
}

// The request bodies have properties named like these runtime types.
private typealias RuntimeCardTokenInfo = CardTokenInfo
private typealias RuntimeTokenizedPaymentCard = TokenizedPaymentCard

extension ODataError {
    static let paymentCodes: Set<String> = ["PaymentDeclined", "PaymentConnectorError", "PaymentConnectorNotFound", "PaymentConnectorRefused"]

    /// Payment outcomes get their own statuses; everything else maps by kind.
    init(paymentAware error: CommerceError) {
        switch error.code {
        case "PaymentDeclined": self.init(HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required"), code: error.code, error.message, target: error.target)
        case "PaymentConnectorError", "PaymentConnectorNotFound", "PaymentConnectorRefused": self.init(.badGateway, code: error.code, error.message, target: error.target)
        default: self.init(error)
        }
    }
}
