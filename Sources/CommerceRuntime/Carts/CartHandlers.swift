import ChannelDatabase
import Foundation
import Synchronization

enum CartHandlers {
    /// More lines than this is not a shopping cart; the limit keeps one request's work bounded.
    static let maximumLines = 500
    static let maximumQuantity = Decimal(1_000_000)

    static func register(in registry: inout HandlerRegistry) {
        registry.register(CreateCartRequest.self) { request, context in
            let store = CartStore(context.transaction)
            let customer = try await customerAccount(requested: request.customerId, current: nil, context: context)
            let now = PricingHandlers.currentInstant()
            // A version-7 UUID (74 random bits from the system CSPRNG after the time): the id is
            // the only thing that lets an anonymous caller use the cart, so it must not be
            // guessable; the time in front keeps new carts together in the id index.
            let id = RandomIdentifier.timeOrdered()
            var record = CartRecord(
                id: id, channelId: context.channel.recordId, customerAccount: customer, receiptEmail: try validEmail(request.receiptEmail),
                shippingAddress: try encodeAddress(request.shippingAddress), createdAt: now, modifiedAt: now
            )
            try await store.insert(record)
            StoredProperties.rememberNew(ownerType: StoredProperties.cartOwner, ownerId: id, context: context)
            try await StoredProperties.merge(request.extensionProperties, cartId: id, part: "", context: context)
            if let lines = request.cartLines, !lines.isEmpty {
                record.lines = try await addLines(lines, to: record, context: context)
            }
            context.knownCart.set(record)
            return try await context.execute(CalculateCartTotalsRequest(cartId: id))
        }

        registry.register(GetCartRequest.self) { request, context in
            guard let record = try await liveCart(request.cartId, context: context), mayUse(record, context.caller) else { return nil }
            var cart = try cart(from: record, decimals: context.channel.currencyDecimals)
            try await StoredProperties.attach(to: &cart, context: context)
            return cart
        }

        registry.register(AddCartLinesRequest.self) { request, context in
            guard !request.cartLines.isEmpty else { throw CommerceError.invalidRequest("cartLines is empty", target: "cartLines") }
            var record = try await claim(request.cartId, version: request.cartVersion, context: context)
            // The lines as stored: quantities are checked to have no more fractional digits than
            // the database keeps, and a new line's amounts are stored as zero until the totals.
            record.lines = try await addLines(request.cartLines, to: record, context: context)
            context.knownCart.set(record)
            return try await context.execute(CalculateCartTotalsRequest(cartId: record.id))
        }

        registry.register(UpdateCartLinesRequest.self) { request, context in
            guard !request.cartLines.isEmpty else { throw CommerceError.invalidRequest("cartLines is empty", target: "cartLines") }
            let record = try await claim(request.cartId, version: request.cartVersion, context: context)
            let store = CartStore(context.transaction)
            // Read only when a line changes its delivery: most updates change quantities alone.
            var modes: [(code: String, description: String)]?
            for line in request.cartLines {
                guard let current = record.lines.first(where: { $0.lineId == line.lineId }) else {
                    throw CommerceError(.invalidRequest, code: "UnknownCartLine", "the cart has no line '\(line.lineId)'", target: "cartLines/LineId")
                }
                if let quantity = line.quantity {
                    try validQuantity(quantity)
                    _ = try await store.updateQuantity(cartId: record.id, lineId: line.lineId, quantity: quantity)
                }
                if line.deliveryMode != nil || line.shippingAddress != nil {
                    var mode = current.deliveryMode
                    var address = current.shippingAddress
                    if let requested = line.deliveryMode {
                        if modes == nil { modes = try await deliveryModes(context) }
                        mode = try validDeliveryMode(requested, modes ?? [], target: "cartLines/DeliveryMode")
                        if mode == nil { address = nil }
                    }
                    if let requested = line.shippingAddress { address = try encodeAddress(requested) }
                    _ = try await store.updateDelivery(cartId: record.id, lineId: line.lineId, deliveryMode: mode, shippingAddress: address)
                }
            }
            return try await context.execute(CalculateCartTotalsRequest(cartId: record.id))
        }

        registry.register(RemoveCartLinesRequest.self) { request, context in
            guard !request.cartLineIds.isEmpty else { throw CommerceError.invalidRequest("cartLineIds is empty", target: "cartLineIds") }
            let record = try await claim(request.cartId, version: request.cartVersion, context: context)
            let store = CartStore(context.transaction)
            for lineId in Set(request.cartLineIds) {
                guard try await store.deleteLine(cartId: record.id, lineId: lineId) else {
                    throw CommerceError(.invalidRequest, code: "UnknownCartLine", "the cart has no line '\(lineId)'", target: "cartLineIds")
                }
            }
            return try await context.execute(CalculateCartTotalsRequest(cartId: record.id))
        }

        registry.register(UpdateCartRequest.self) { request, context in
            let record = try await claim(request.cartId, version: request.cartVersion, context: context)
            let customer = try await customerAccount(requested: request.customerId, current: record.customerAccount, context: context)
            let email = try request.receiptEmail.map { try validEmail($0) } ?? record.receiptEmail
            let address = try request.shippingAddress.map { try encodeAddress($0) } ?? record.shippingAddress
            var mode = record.deliveryMode
            if let requested = request.deliveryMode {
                mode = try validDeliveryMode(requested, try await deliveryModes(context), target: "DeliveryMode")
            }
            try await CartStore(context.transaction).updateHeader(
                id: record.id, customerAccount: customer, receiptEmail: email, shippingAddress: address, deliveryMode: mode
            )
            try await StoredProperties.merge(request.extensionProperties, cartId: record.id, part: "", context: context)
            var updated = record
            updated.customerAccount = customer
            updated.receiptEmail = email
            updated.shippingAddress = address
            updated.deliveryMode = mode
            context.knownCart.set(updated)
            return try await context.execute(CalculateCartTotalsRequest(cartId: record.id))
        }

        registry.register(GetDeliveryOptionsRequest.self) { request, context in
            guard let record = try await liveCart(request.cartId, context: context), mayUse(record, context.caller) else {
                throw cartNotFound(request.cartId)
            }
            return try await deliveryModes(context).map { DeliveryOption(code: $0.code, description: $0.description) }
        }

        registry.register(CalculateCartTotalsRequest.self) { request, context in
            let store = CartStore(context.transaction)
            let current: CartRecord?
            if let known = context.knownCart.take(id: request.cartId) {
                current = known
            } else {
                current = try await liveCart(request.cartId, context: context)
            }
            guard var record = current, mayUse(record, context.caller) else { throw cartNotFound(request.cartId) }
            let stored = record
            try await CartCalculator(context: context).calculate(&record)
            try await store.saveAmounts(record, stored: stored)
            var cart = try cart(from: record, decimals: context.channel.currencyDecimals)
            try await StoredProperties.attach(to: &cart, context: context)
            return cart
        }
    }

    static func registerLifecycle(in registry: inout HandlerRegistry) {
        registry.register(DeleteCartRequest.self) { request, context in
            // Claiming first makes a concurrent change and this delete exclude each other.
            let record: CartRecord
            do {
                record = try await claim(request.cartId, version: request.cartVersion, context: context)
            } catch let error as CommerceError where error.kind == .notFound {
                return false
            }
            try await CartStore(context.transaction).delete(id: record.id)
            try await StoredProperties.forgetCart(record.id, context: context)
            return true
        }

        registry.register(PurgeExpiredCartsRequest.self) { request, context in
            guard let idle = context.settings.cartIdleSeconds else { return 0 }
            let store = CartStore(context.transaction)
            let ids = try await store.cartIds(modifiedBefore: PricingHandlers.currentInstant() - idle * 1_000, limit: max(1, request.limit))
            for id in ids {
                try await store.delete(id: id)
                try await StoredProperties.forgetCart(id, context: context)
            }
            return ids.count
        }
    }

    // MARK: Shared steps

    /// The cart, unless the channel has none by that id or it has been idle past the configured
    /// lifetime (it is gone for every purpose, even before the purge deletes it).
    static func liveCart(_ id: String, context: RequestContext) async throws -> CartRecord? {
        guard let record = try await CartStore(context.transaction).cart(id: id, channelId: context.channel.recordId) else { return nil }
        if let idle = context.settings.cartIdleSeconds, record.modifiedAt < PricingHandlers.currentInstant() - idle * 1_000 { return nil }
        if record.hasStoredProperties == false { StoredProperties.rememberNew(ownerType: StoredProperties.cartOwner, ownerId: id, context: context) }
        return record
    }

    static func cartNotFound(_ id: String) -> CommerceError {
        CommerceError(.notFound, code: "CartNotFound", "the channel has no cart '\(id)'")
    }

    /// Customer carts belong to their customer (and to trusted applications and employees);
    /// carts without a customer belong to whoever knows their id.
    static func mayUse(_ record: CartRecord, _ caller: Caller) -> Bool {
        guard let owner = record.customerAccount else { return true }
        switch caller {
        case .anonymous: return false
        case .customer(let account): return account == owner
        case .application, .employee: return true
        }
    }

    /// Reads the cart and moves it to its next version, refusing a stale `version`; a customer
    /// caller claims an anonymous cart on the way.
    ///
    /// The version the caller names is compared first (a clear 412 without touching anything);
    /// then the conditional UPDATE makes the claim atomic against concurrent writers.
    static func claim(_ id: String, version: Int64?, context: RequestContext) async throws -> CartRecord {
        // The cart changes from here: what a handler remembered of it is no longer the cart.
        context.knownCart.clear()
        let store = CartStore(context.transaction)
        guard var record = try await liveCart(id, context: context), mayUse(record, context.caller) else {
            throw cartNotFound(id)
        }
        if let version, version != record.version { throw staleVersion(current: record.version, given: version) }
        let now = PricingHandlers.currentInstant()
        guard try await store.claim(id: id, channelId: context.channel.recordId, expectedVersion: record.version, now: now)
        else { throw staleVersion(current: nil, given: version ?? record.version) }
        record.version += 1
        record.modifiedAt = now
        // A signed-in customer changing an anonymous cart (the one it filled before signing in)
        // makes it its own: from then on only that customer, not whoever knows the id, uses it.
        if case .customer(let account) = context.caller, record.customerAccount == nil {
            try await CustomerStore(context.transaction).assignAnonymousCart(id: record.id, to: account)
            record.customerAccount = account
        }
        return record
    }

    static func staleVersion(current: Int64?, given: Int64) -> CommerceError {
        let now = current.map { "; the cart is at version \($0)" } ?? "; another change was made at the same time"
        return CommerceError(.preconditionFailed, code: "CartVersionConflict", "cartVersion \(given) is stale\(now). Read the cart and retry", target: "cartVersion")
    }

    /// Adds the lines to the stored cart and returns its lines after the change.
    static func addLines(_ inputs: [CartLineInput], to record: CartRecord, context: RequestContext) async throws -> [CartLineRecord] {
        let store = CartStore(context.transaction)
        let catalog = CatalogStore(context.transaction)
        var lines = record.lines
        var nextNumber = (lines.map(\.lineNumber).max() ?? 0) + 1
        for input in inputs {
            try validQuantity(input.quantity)
            if let index = lines.firstIndex(where: { $0.productId == input.productId }) {
                let quantity = lines[index].quantity + input.quantity
                try validQuantity(quantity)
                _ = try await store.updateQuantity(cartId: record.id, lineId: lines[index].lineId, quantity: quantity)
                lines[index].quantity = quantity
                try await StoredProperties.merge(input.extensionProperties, cartId: record.id, part: lines[index].lineId, context: context)
                continue
            }
            guard let product = try await catalog.product(recordId: input.productId, channelId: context.channel.recordId) else {
                throw CommerceError(.invalidRequest, code: "UnknownProduct", "the channel sells no product \(input.productId)", target: "cartLines/ProductId")
            }
            guard !product.isMaster else {
                throw CommerceError(
                    .invalidRequest, code: "MasterProductNotSellable", "product \(input.productId) is a master; add one of its variants",
                    target: "cartLines/ProductId"
                )
            }
            guard lines.count < maximumLines else {
                throw CommerceError.invalidRequest("a cart holds at most \(maximumLines) lines", target: "cartLines")
            }
            let line = CartLineRecord(
                lineId: RandomIdentifier.timeOrdered(), lineNumber: nextNumber, productId: product.recordId, itemId: product.itemId, quantity: input.quantity
            )
            try await store.insertLine(line, cartId: record.id)
            try await StoredProperties.merge(input.extensionProperties, cartId: record.id, part: line.lineId, context: context)
            lines.append(line)
            nextNumber += 1
        }
        return lines
    }

    static func deliveryModes(_ context: RequestContext) async throws -> [(code: String, description: String)] {
        try await CartStore(context.transaction).deliveryModes(channelId: context.channel.recordId)
    }

    /// One of the channel's delivery modes, or nil for an empty code (clearing it).
    static func validDeliveryMode(_ code: String, _ modes: [(code: String, description: String)], target: String) throws -> String? {
        guard !code.isEmpty else { return nil }
        guard modes.contains(where: { $0.code == code }) else {
            let offered = modes.map(\.code).joined(separator: ", ")
            throw CommerceError(
                .invalidRequest, code: "UnknownDeliveryMode",
                "the channel has no delivery mode '\(code)'\(offered.isEmpty ? "" : "; it offers \(offered)")", target: target
            )
        }
        return code
    }

    static func validQuantity(_ quantity: Decimal) throws {
        guard quantity > 0, quantity <= maximumQuantity, quantity.rounded(toDecimals: FixedPoint.scale) == quantity else {
            throw CommerceError(
                .invalidRequest, code: "InvalidQuantity",
                "a quantity must be more than 0 and at most \(maximumQuantity), with at most \(FixedPoint.scale) fractional digits", target: "Quantity"
            )
        }
    }

    /// The customer a cart may be assigned: a customer caller only itself, anonymous callers
    /// nobody, applications and employees any existing account.
    static func customerAccount(requested: String?, current: String?, context: RequestContext) async throws -> String? {
        if case .customer(let account) = context.caller {
            guard requested == nil || requested == account else {
                throw CommerceError(.forbidden, code: "Forbidden", "a customer may assign a cart only to itself", target: "CustomerId")
            }
            return account
        }
        guard let requested, requested != current else { return current }
        guard context.caller != .anonymous else {
            throw CommerceError(.forbidden, code: "Forbidden", "an anonymous caller cannot assign a cart to a customer", target: "CustomerId")
        }
        guard try await CartStore(context.transaction).customerExists(account: requested) else {
            throw CommerceError(.invalidRequest, code: "UnknownCustomer", "there is no customer '\(requested)'", target: "CustomerId")
        }
        return requested
    }

    /// A plausible address (`local@domain`, at most 254 characters); deliverability is not checked.
    static func validEmail(_ email: String?) throws -> String? {
        guard let email else { return nil }
        // Checked on the UTF-8 bytes: Foundation's trimming and `count` (grapheme clusters) cost
        // more than the rest of a cart update.
        let bytes = Array(email.utf8)
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let start = bytes.firstIndex { !isBlank($0) } ?? bytes.endIndex
        let end = (bytes.lastIndex { !isBlank($0) }).map { $0 + 1 } ?? start
        let trimmed = bytes[start..<end]
        let at = trimmed.firstIndex(of: UInt8(ascii: "@"))
        let characters = String(decoding: trimmed, as: UTF8.self)
        guard let at, characters.count <= 254, at > trimmed.startIndex,
              !trimmed[(at + 1)...].contains(UInt8(ascii: "@")), trimmed[(at + 1)...].contains(UInt8(ascii: ".")),
              !trimmed.contains(where: isBlank)
        else {
            throw CommerceError(.invalidRequest, code: "InvalidEmail", "the receipt e-mail address is not valid", target: "ReceiptEmail")
        }
        return characters
    }

    static func encodeAddress(_ address: Address?) throws -> String? {
        guard let address else { return nil }
        // The CRT's own encoder: `JSONEncoder` cost about a tenth of a cart update.
        return String(decoding: try CompactJSONEncoder.encodeFallingBack(address), as: UTF8.self)
    }

    /// Decoded addresses by their stored text. A cart's address is decoded on every read of
    /// the cart and, with `JSONDecoder`, cost more than the SQL that read it; the same few
    /// texts come back request after request, and decoding is a pure function of the text.
    private static let decodedAddresses = Mutex<[String: Address]>([:])
    private static let decodedAddressLimit = 4_096

    static func decodeAddress(_ text: String?) -> Address? {
        guard let text else { return nil }
        if let known = decodedAddresses.withLock({ $0[text] }) { return known }
        guard let address = try? JSONDecoder().decode(Address.self, from: Data(text.utf8)) else { return nil }
        decodedAddresses.withLock { cache in
            if cache.count >= decodedAddressLimit { cache.removeAll(keepingCapacity: true) }
            cache[text] = address
        }
        return address
    }

    static func cart(from record: CartRecord, decimals: Int) throws -> Cart {
        Cart(
            id: record.id, version: record.version, customerId: record.customerAccount, receiptEmail: record.receiptEmail,
            shippingAddress: decodeAddress(record.shippingAddress), discountCodes: record.discountCodes,
            cartLines: record.lines.map { line in
                var cartLine = CartLine(
                    lineId: line.lineId, productId: line.productId, itemId: line.itemId, quantity: line.quantity, price: line.price,
                    extendedPrice: line.extendedPrice, discountAmount: line.discountAmount, taxAmount: line.taxAmount,
                    netAmountWithoutTax: line.netAmount, totalAmount: line.totalAmount
                )
                cartLine.deliveryMode = line.deliveryMode
                cartLine.shippingAddress = decodeAddress(line.shippingAddress)
                return cartLine
            },
            subtotalAmount: record.subtotalAmount, discountAmount: record.discountAmount, taxAmount: record.taxAmount,
            totalAmount: record.totalAmount, amountDue: record.totalAmount, deliveryMode: record.deliveryMode
        )
    }
}

/// The cart as the running request's own handler has just left it in this transaction, handed
/// to the `CalculateCartTotalsRequest` it runs next so that the calculation need not read the
/// cart again (a cart change read it twice: to claim it and to total it, three statements each).
///
/// Taken once, by the next calculation of that cart. Every claim clears it first, so a change
/// made in between (by a trigger's nested request; extensions cannot write cart tables with
/// SQL) leaves nothing stale behind: the calculation then reads the cart as before.
final class KnownCartMemo: Sendable {
    private let record = Mutex<CartRecord?>(nil)

    func set(_ cart: CartRecord) { record.withLock { $0 = cart } }

    func clear() { record.withLock { $0 = nil } }

    func take(id: String) -> CartRecord? {
        record.withLock { known in
            defer { known = nil }
            return known?.id == id ? known : nil
        }
    }
}
