import Foundation
import ChannelDatabase

/// Cancels an order that is still `Created`: its stock reservations are released and its
/// payment authorizations voided. Applications and employees only.
public struct CancelSalesOrderRequest: CommerceRequest {
    public typealias Response = SalesOrder
    public static let typeName = "CancelSalesOrderRequest"
    public static let mode = RequestMode.write
    public var salesOrderId: String

    public init(salesOrderId: String) { self.salesOrderId = salesOrderId }

    enum CodingKeys: String, CodingKey {
        case salesOrderId = "SalesOrderId"
    }
}

/// Invoices an order that is still `Created`: its goods leave stock (on hand and reserved both
/// drop) and its authorizations are captured. Applications and employees only.
public struct InvoiceSalesOrderRequest: CommerceRequest {
    public typealias Response = SalesOrder
    public static let typeName = "InvoiceSalesOrderRequest"
    public static let mode = RequestMode.write
    public var salesOrderId: String

    public init(salesOrderId: String) { self.salesOrderId = salesOrderId }

    enum CodingKeys: String, CodingKey {
        case salesOrderId = "SalesOrderId"
    }
}

/// Status changes after checkout. Each is one conditional UPDATE of the status (so of two
/// concurrent changes one wins and the other gets a conflict), then the stock, then the
/// payment connector last: when the connector fails, everything before rolls back with the
/// request, and a capture that happened before a later failure is refunded by a compensation.
enum OrderStatusHandlers {
    static func register(in registry: inout HandlerRegistry) {
        registry.register(CancelSalesOrderRequest.self) { request, context in
            try await change(request.salesOrderId, to: .canceled, context: context) { record, orders, now in
                let inventory = InventoryStore(context.transaction)
                for line in record.lines {
                    guard let warehouse = line.warehouseId else { continue }
                    try await inventory.release(productId: line.productId, warehouseId: warehouse, quantity: line.quantity)
                }
                for payment in try await orders.payments(orderId: record.id) where payment.status == "Authorized" {
                    guard let connector = payment.connector, let reference = payment.authorizationReference else { continue }
                    let result = try await context.execute(VoidPaymentRequest(
                        connector: connector, authorizationReference: reference, amount: payment.amount, currency: payment.currencyCode
                    ))
                    guard result.status == .voided else { throw refused("void", result) }
                    try await orders.updatePayment(id: payment.id, status: "Voided", now: now)
                }
            }
        }

        registry.register(InvoiceSalesOrderRequest.self) { request, context in
            try await change(request.salesOrderId, to: .invoiced, context: context) { record, orders, now in
                let inventory = InventoryStore(context.transaction)
                for line in record.lines {
                    guard let warehouse = line.warehouseId else { continue }
                    try await inventory.issue(productId: line.productId, warehouseId: warehouse, quantity: line.quantity)
                }
                for payment in try await orders.payments(orderId: record.id) where payment.status == "Authorized" {
                    guard let connector = payment.connector, let reference = payment.authorizationReference else { continue }
                    let result = try await context.execute(CapturePaymentRequest(
                        connector: connector, authorizationReference: reference, amount: payment.amount, currency: payment.currencyCode
                    ))
                    guard result.status == .captured, let capture = result.reference else { throw refused("capture", result) }
                    // Money has moved: should this request not commit, it goes back.
                    context.onRollback { rollback in
                        _ = try await rollback.execute(RefundPaymentRequest(
                            connector: connector, captureReference: capture, amount: payment.amount, currency: payment.currencyCode
                        ))
                    }
                    try await orders.updatePayment(id: payment.id, status: "Captured", captureReference: capture, now: now)
                }
            }
        }
    }

    private static func change(
        _ orderId: String, to status: SalesOrder.Status, context: RequestContext,
        _ effects: (SalesOrderRecord, OrderStore, Int64) async throws -> Void
    ) async throws -> SalesOrder {
        switch context.caller {
        case .application, .employee: break
        case .anonymous, .customer:
            throw CommerceError(.forbidden, code: "Forbidden", "only applications and employees change the status of an order")
        }
        let orders = OrderStore(context.transaction)
        guard let record = try await orders.order(id: orderId, channelId: context.channel.recordId) else {
            throw CommerceError(.notFound, code: "SalesOrderNotFound", "the channel has no sales order '\(orderId)'")
        }
        let now = PricingHandlers.currentInstant()
        guard try await orders.changeStatus(
            orderId: orderId, channelId: context.channel.recordId, from: SalesOrder.Status.created.rawValue, to: status.rawValue, now: now
        ) else {
            // Read again: a concurrent change may have moved it since the read above.
            let current = try await orders.order(id: orderId, channelId: context.channel.recordId)?.status ?? record.status
            throw CommerceError(
                .conflict, code: "SalesOrderStatusConflict",
                "the order is \(SalesOrder.Status(rawValue: current).map { "\($0)" } ?? "in status \(current)"), not created; only a created order can be \(status)",
                target: "StatusValue"
            )
        }
        try await OrderEventStore(context.transaction).record(
            OrderEventRecord(orderId: record.id, salesId: record.salesId, eventType: "StatusChanged", status: status.rawValue, occurredAt: now),
            channelId: context.channel.recordId
        )
        // Last, so that after the connector only the commit can fail.
        try await effects(record, orders, now)
        var changed = record
        changed.status = status.rawValue
        var order = SalesOrder(changed)
        try await StoredProperties.attach(to: &order, context: context)
        return order
    }

    private static func refused(_ what: String, _ result: PaymentResult) -> CommerceError {
        CommerceError(
            .unavailable, code: "PaymentConnectorRefused",
            "the payment connector did not \(what) the payment: \(result.message ?? "no reason given"); the order is unchanged"
        )
    }
}
