import ChannelDatabase
import Foundation
import Logging
import Synchronization

enum OrderHandlers {
    static let salesOrderSequence = "SalesOrder"

    static func register(in registry: inout HandlerRegistry) {
        registry.register(GetSalesOrderRequest.self) { request, context in
            guard let record = try await OrderStore(context.transaction).order(id: request.salesOrderId, channelId: context.channel.recordId),
                  mayRead(record, context.caller)
            else { return nil }
            var order = SalesOrder(record)
            try await StoredProperties.attach(to: &order, context: context)
            return order
        }

        registry.register(ReserveStockRequest.self) { request, context in
            let inventory = InventoryStore(context.transaction)
            let warehouses = try await inventory.warehouses(channelId: context.channel.recordId, defaultWarehouse: context.channel.defaultWarehouseId)
            var reservations: [StockReservation] = []
            // Rows are locked in one order (product, then warehouse) by every checkout, so two
            // checkouts of the same products wait for each other instead of deadlocking.
            for line in request.lines.sorted(by: { ($0.productId, $0.lineId) < ($1.productId, $1.lineId) }) {
                reservations += try await reserve(line, from: warehouses, inventory: inventory, context: context)
            }
            return reservations
        }

        registry.register(CheckoutRequest.self) { request, context in
            try await Checkout(request: request, context: context).run()
        }
    }

    /// Reserves one line: from a single warehouse when one has it all (one shipment), else split
    /// over the warehouses in the channel's order, else (backorders allowed) owed by the
    /// default warehouse.
    ///
    /// Every reservation is one conditional UPDATE; the availability read before a split only
    /// sizes the attempt. A concurrent checkout that takes the units first makes the UPDATE
    /// change nothing, and the split reads again.
    static func reserve(
        _ line: StockLine, from warehouses: [String], inventory: InventoryStore, context: RequestContext
    ) async throws -> [StockReservation] {
        for warehouse in warehouses where try await inventory.reserve(productId: line.productId, warehouseId: warehouse, quantity: line.quantity) {
            return [StockReservation(lineId: line.lineId, warehouseId: warehouse, quantity: line.quantity)]
        }
        var parts: [StockReservation] = []
        var remaining = line.quantity
        for warehouse in warehouses where remaining > 0 {
            // A few attempts per warehouse: each failed one means another checkout just took
            // units here, and the next read sees what is left.
            for _ in 0..<4 {
                let available = try await inventory.available(productId: line.productId, warehouses: [warehouse])
                guard available > 0 else { break }
                let take = min(available, remaining)
                if try await inventory.reserve(productId: line.productId, warehouseId: warehouse, quantity: take) {
                    parts.append(StockReservation(lineId: line.lineId, warehouseId: warehouse, quantity: take))
                    remaining -= take
                    break
                }
            }
        }
        if remaining > 0, context.settings.allowBackorders, let first = warehouses.first {
            try await inventory.reserve(productId: line.productId, warehouseId: first, quantity: remaining, evenIfShort: true)
            if let index = parts.firstIndex(where: { $0.warehouseId == first }) {
                parts[index].quantity = (parts[index].quantity ?? 0) + remaining
            } else {
                parts.append(StockReservation(lineId: line.lineId, warehouseId: first, quantity: remaining))
            }
            remaining = 0
        }
        guard remaining == 0 else {
            throw CommerceError(
                .conflict, code: "OutOfStock", "product \(line.productId) is out of stock for a quantity of \(line.quantity)", target: "CartLines"
            )
        }
        return parts
    }

    static func mayRead(_ record: SalesOrderRecord, _ caller: Caller) -> Bool {
        switch caller {
        case .anonymous: return false
        case .customer(let account): return record.customerAccount == account
        case .application, .employee: return true
        }
    }
}

/// The steps of one checkout, in the request's transaction.
struct Checkout {
    let request: CheckoutRequest
    let context: RequestContext

    private var channel: ChannelRecord { context.channel }

    func run() async throws -> SalesOrder {
        let orders = OrderStore(context.transaction)
        if let existing = try await previousOrder(orders) { return existing }
        try checkTokensAreNotCardNumbers()
        let cartRecord: CartRecord
        do {
            cartRecord = try await CartHandlers.claim(request.cartId, version: request.cartVersion, context: context)
        } catch let error as CommerceError where error.kind == .notFound || error.kind == .preconditionFailed {
            // A concurrent checkout with the same key may have committed (and deleted the cart)
            // while this one waited for the cart: answer its order.
            if let existing = try await previousOrder(orders) { return existing }
            throw error
        }
        context.knownCart.set(cartRecord)
        let cart = try await context.execute(CalculateCartTotalsRequest(cartId: cartRecord.id))
        guard !cart.cartLines.isEmpty else {
            throw CommerceError(.invalidRequest, code: "EmptyCart", "the cart has no lines to check out", target: "CartLines")
        }
        // Before anything is authorized: a used-up code must stop the checkout, not a payment.
        try await DiscountCodeHandlers.useCodes(of: cartRecord, context: context)
        guard let email = try CartHandlers.validEmail(request.receiptEmail ?? cart.receiptEmail) else {
            throw CommerceError(.invalidRequest, code: "ReceiptEmailRequired", "checkout needs a receipt e-mail address", target: "receiptEmail")
        }
        try await checkDelivery(of: cart)
        let tenders = try await validatedTenders(amountDue: cart.amountDue)

        let reservations = try await context.execute(ReserveStockRequest(
            lines: cart.cartLines.map { StockLine(lineId: $0.lineId, productId: $0.productId, quantity: $0.quantity) }
        ))
        let salesLines = Self.salesLines(
            of: cart.cartLines, reservations: Dictionary(grouping: reservations, by: \.lineId), decimals: channel.currencyDecimals,
            deliveryMode: cart.deliveryMode
        )

        let now = PricingHandlers.currentInstant()
        let orderId = RandomIdentifier.timeOrdered()

        // Voided here when a later step of this handler fails, and by the runtime when the
        // request rolls back after the handler returned (a post-trigger or the commit failed):
        // money is never left authorized for an order that does not exist.
        let authorized = PendingAuthorizations()
        context.onRollback { rollbackContext in await authorized.voidAll(context: rollbackContext) }
        var granted: [(tender: ValidTender, result: PaymentResult, reference: String)] = []
        let record: SalesOrderRecord
        do {
            for tender in tenders {
                let result = try await context.execute(AuthorizePaymentRequest(
                    paymentId: tender.paymentId, connector: tender.connector, tenderTypeId: tender.line.tenderTypeId, amount: tender.line.amount,
                    currency: channel.currencyCode, cardToken: tender.token
                ))
                guard result.status == .approved, let reference = result.reference else {
                    throw CommerceError(
                        .validation, code: "PaymentDeclined", "the payment was declined: \(result.message ?? "no reason given"). Nothing was charged",
                        target: "cartTenderLines"
                    )
                }
                authorized.append(PendingAuthorizations.Entry(
                    connector: tender.connector, paymentId: tender.paymentId, reference: reference, amount: tender.line.amount, currency: channel.currencyCode
                ))
                granted.append((tender, result, reference))
            }
            // The channel's number sequence is one row that every checkout of the channel updates:
            // on PostgreSQL its lock is held until the commit, so it is taken as late as possible,
            // after the authorizations (a payment service's round trip), not before them.
            let number = try await orders.nextNumber(channelId: channel.recordId, sequence: OrderHandlers.salesOrderSequence)
            var created = SalesOrderRecord(
                id: orderId, salesId: "\(channel.orgUnitNumber)-\(Self.padded(number))", channelId: channel.recordId, channelReferenceId: cart.id,
                customerAccount: cart.customerId, receiptEmail: email, shippingAddress: cartRecord.shippingAddress,
                status: SalesOrder.Status.created.rawValue, currencyCode: channel.currencyCode, subtotalAmount: cart.subtotalAmount,
                discountAmount: cart.discountAmount, taxAmount: cart.taxAmount, totalAmount: cart.totalAmount, idempotencyKey: request.idempotencyKey,
                createdAt: now,
                lines: salesLines.map(\.record)
            )
            created.deliveryMode = cart.deliveryMode
            record = created
            // The order, its lines, payments and event, and the cart's deletion: one round trip on
            // PostgreSQL, where the stock rows reserved above and the number's row stay locked
            // until the commit and every round trip lengthens the wait of the next buyer.
            var writes = try OrderStore.insertStatements(record, now: now)
            for (tender, result, reference) in granted {
                writes.append(try OrderStore.insertStatement(PaymentRecord(
                    id: tender.paymentId, orderId: orderId, cartId: cart.id, channelId: channel.recordId, tenderTypeId: tender.line.tenderTypeId,
                    amount: tender.line.amount, currencyCode: channel.currencyCode, status: "Authorized", connector: tender.connector,
                    authorizationReference: reference, cardTokenReference: result.cardTokenReference, createdAt: now
                )))
            }
            writes.append(OrderEventStore.recordStatement(
                OrderEventRecord(orderId: orderId, salesId: record.salesId, eventType: "Created", status: record.status, occurredAt: now),
                channelId: channel.recordId
            ))
            writes.append(CartStore.deleteStatement(id: cart.id))
            writes.append(StoredProperties.forgetCartStatement(cart.id, context: context))
            try await context.transaction.executeTogether(writes)
            StoredProperties.rememberNew(ownerType: StoredProperties.salesOrderOwner, ownerId: orderId, context: context)
        } catch {
            await authorized.voidAll(context: context)
            if let error = error as? DatabaseError, error.kind == .constraintViolation, request.idempotencyKey != nil {
                throw CommerceError(
                    .conflict, code: "IdempotencyKeyInUse", "another checkout with this Idempotency-Key completed at the same time; repeat the request to read its order"
                )
            }
            throw error
        }
        // The cart's properties go with it; the completion of this request stores them (and
        // whatever the post-triggers add) for the order.
        var order = SalesOrder(record)
        order.extensionProperties = cart.extensionProperties
        let propertiesOfLine = Dictionary(cart.cartLines.map { ($0.lineId, $0.extensionProperties) }, uniquingKeysWith: { first, _ in first })
        for (index, line) in salesLines.enumerated() where index < order.salesLines.count {
            order.salesLines[index].extensionProperties = propertiesOfLine[line.cartLineId] ?? []
        }
        return order
    }

    /// The order an earlier checkout with the same key created. Keys are chosen by clients and
    /// may collide, so an order is answered only for the cart it came from: knowing the cart's
    /// unguessable id is what makes the caller its owner.
    private func previousOrder(_ orders: OrderStore) async throws -> SalesOrder? {
        guard let key = request.idempotencyKey, let existing = try await orders.order(idempotencyKey: key, channelId: channel.recordId) else {
            return nil
        }
        guard existing.channelReferenceId == request.cartId else {
            throw CommerceError(
                .conflict, code: "IdempotencyKeyReused", "this Idempotency-Key was used for the checkout of another cart; use a new key per checkout",
                target: "Idempotency-Key"
            )
        }
        var order = SalesOrder(existing)
        try await StoredProperties.attach(to: &order, context: context)
        return order
    }

    struct ValidTender {
        var line: CartTenderLine
        var connector: String
        var token: String
        var paymentId: String
    }

    private func validatedTenders(amountDue: Decimal) async throws -> [ValidTender] {
        guard !request.cartTenderLines.isEmpty else {
            throw CommerceError(.invalidRequest, code: "TenderLinesRequired", "checkout needs at least one tender line", target: "cartTenderLines")
        }
        let types = try await ChannelStore(context.transaction).tenderTypes(channelId: channel.recordId)
        var tenders: [ValidTender] = []
        var total = Decimal(0)
        for line in request.cartTenderLines {
            guard let type = types.first(where: { $0.tenderTypeId == line.tenderTypeId }) else {
                throw CommerceError(
                    .invalidRequest, code: "UnknownTenderType", "the channel accepts no tender type '\(line.tenderTypeId)'", target: "cartTenderLines/TenderTypeId"
                )
            }
            if let currency = line.currency, currency != channel.currencyCode {
                throw CommerceError(
                    .invalidRequest, code: "CurrencyMismatch", "tender lines must be in the channel currency \(channel.currencyCode), not \(currency)",
                    target: "cartTenderLines/Currency"
                )
            }
            guard line.amount > 0, line.amount.rounded(toDecimals: channel.currencyDecimals) == line.amount else {
                throw CommerceError(
                    .invalidRequest, code: "InvalidAmount",
                    "a tender amount must be positive with at most \(channel.currencyDecimals) fractional digits", target: "cartTenderLines/Amount"
                )
            }
            guard let connector = type.connector else {
                throw CommerceError(
                    .invalidRequest, code: "TenderTypeNotPayable", "tender type '\(type.tenderTypeId)' cannot be paid online", target: "cartTenderLines/TenderTypeId"
                )
            }
            guard let token = line.tokenizedPaymentCard?.cardTokenInfo?.cardToken, !token.isEmpty else {
                throw CommerceError(
                    .invalidRequest, code: "CardTokenRequired", "tender type '\(type.tenderTypeId)' needs TokenizedPaymentCard.CardTokenInfo.CardToken",
                    target: "cartTenderLines/TokenizedPaymentCard"
                )
            }
            tenders.append(ValidTender(line: line, connector: connector, token: token, paymentId: RandomIdentifier.timeOrdered()))
            total += line.amount
        }
        guard total == amountDue else {
            throw CommerceError(
                .invalidRequest, code: "TenderAmountMismatch", "the tender lines add up to \(total) \(channel.currencyCode); the amount due is \(amountDue)",
                target: "cartTenderLines"
            )
        }
        return tenders
    }

    /// Card numbers must never reach the engine: a token that looks like one is refused before
    /// anything is stored or sent, and the message does not repeat it.
    private func checkTokensAreNotCardNumbers() throws {
        for line in request.cartTenderLines {
            guard let token = line.tokenizedPaymentCard?.cardTokenInfo?.cardToken else { continue }
            let digits = token.filter { $0 != " " && $0 != "-" }
            if (12...19).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
                throw CommerceError(
                    .invalidRequest, code: "CardNumberNotAccepted",
                    "CardToken looks like a card number; send the token your payment page issued, never the card number",
                    target: "cartTenderLines/TokenizedPaymentCard"
                )
            }
        }
    }

    /// The sales lines of a cart: one per cart line and warehouse it was reserved in. A line
    /// split over warehouses keeps its price; its quantity and amounts are divided by the
    /// reserved quantities, each part rounded to the currency and the last part taking the
    /// remainder, so the parts add up to the cart line exactly.
    static func salesLines(
        of lines: [CartLine], reservations: [String: [StockReservation]], decimals: Int, deliveryMode: String? = nil
    ) -> [(cartLineId: String, record: SalesLineRecord)] {
        var result: [(cartLineId: String, record: SalesLineRecord)] = []
        for line in lines {
            let first = result.count
            defer {
                // Every part of the line is delivered the line's way; its own address stays with
                // it (otherwise the order's applies).
                for index in first..<result.count {
                    result[index].record.deliveryMode = line.deliveryMode ?? deliveryMode
                    result[index].record.shippingAddress = try? CartHandlers.encodeAddress(line.shippingAddress)
                }
            }
            let parts = reservations[line.lineId] ?? []
            let quantities = parts.map { $0.quantity ?? line.quantity }
            guard parts.count > 1, line.quantity > 0, quantities.reduce(0, +) == line.quantity else {
                result.append((line.lineId, SalesLineRecord(
                    lineNumber: result.count + 1, productId: line.productId, itemId: line.itemId, quantity: line.quantity, price: line.price,
                    discountAmount: line.discountAmount, taxAmount: line.taxAmount, netAmount: line.netAmountWithoutTax,
                    totalAmount: line.totalAmount, warehouseId: parts.first?.warehouseId
                )))
                continue
            }
            var given = (discount: Decimal(0), tax: Decimal(0), net: Decimal(0))
            for (index, part) in parts.enumerated() {
                let last = index == parts.count - 1
                let share = { (amount: Decimal, sofar: Decimal) -> Decimal in
                    last ? amount - sofar : (amount * quantities[index] / line.quantity).rounded(toDecimals: decimals)
                }
                let discount = share(line.discountAmount, given.discount)
                let tax = share(line.taxAmount, given.tax)
                let net = share(line.netAmountWithoutTax, given.net)
                given = (given.discount + discount, given.tax + tax, given.net + net)
                result.append((line.lineId, SalesLineRecord(
                    lineNumber: result.count + 1, productId: line.productId, itemId: line.itemId, quantity: quantities[index], price: line.price,
                    discountAmount: discount, taxAmount: tax, netAmount: net, totalAmount: net + tax, warehouseId: part.warehouseId
                )))
            }
        }
        return result
    }

    /// A line to deliver (its own or the cart's delivery mode) needs a mode the channel still
    /// offers and an address with a country to deliver to.
    private func checkDelivery(of cart: Cart) async throws {
        let wanted = Set(cart.cartLines.compactMap { $0.deliveryMode ?? cart.deliveryMode })
        guard !wanted.isEmpty else { return }
        let offered = Set(try await CartHandlers.deliveryModes(context).map(\.code))
        if let gone = wanted.subtracting(offered).sorted().first {
            throw CommerceError(
                .validation, code: "UnknownDeliveryMode", "the channel no longer offers the delivery mode '\(gone)'; choose another", target: "DeliveryMode"
            )
        }
        for line in cart.cartLines where (line.deliveryMode ?? cart.deliveryMode) != nil {
            let country = (line.shippingAddress ?? cart.shippingAddress)?.threeLetterISORegionName ?? ""
            guard !country.isEmpty else {
                throw CommerceError(
                    .validation, code: "ShippingAddressRequired",
                    "line \(line.lineId) is to be delivered but has no shipping address with a country (ThreeLetterISORegionName)",
                    target: "ShippingAddress"
                )
            }
        }
    }

    static func padded(_ number: Int64) -> String {
        let text = String(number)
        return text.count >= 8 ? text : String(repeating: "0", count: 8 - text.count) + text
    }
}

/// The authorizations a checkout holds until its order commits.
///
/// Shared between the checkout handler (which voids them when one of its own steps fails) and
/// the compensation the runtime runs after a rollback; whichever comes first voids them, and
/// the other finds nothing left.
final class PendingAuthorizations: Sendable {
    struct Entry: Sendable {
        var connector: String
        var paymentId: String
        var reference: String
        var amount: Decimal
        var currency: String
    }

    private let entries = Mutex<[Entry]>([])

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    /// Voids every authorization not voided yet. Failures are logged (without card data) and
    /// do not hide the error that stopped the checkout: an authorization that cannot be voided
    /// expires at the connector.
    func voidAll(context: RequestContext) async {
        let pending = entries.withLock { entries in
            defer { entries.removeAll() }
            return entries
        }
        for entry in pending {
            do {
                _ = try await context.execute(VoidPaymentRequest(
                    connector: entry.connector, authorizationReference: entry.reference, amount: entry.amount, currency: entry.currency
                ))
            } catch {
                context.logger.warning("could not void an authorization of a failed checkout", metadata: [
                    "connector": "\(entry.connector)", "payment": "\(entry.paymentId)", "error": "\(error)",
                ])
            }
        }
    }
}
