import CommerceRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// `SalesOrders`: orders created by checkout, read by key or listed (newest first, with the
/// query options; `StatusValue` is Retail Server's `SalesStatus`). A customer sees only its own.
enum SalesOrdersController {
    static func handle(_ call: APICall) async throws -> Response {
        if let operation = try call.boundOperation(entityType: "SalesOrder") {
            guard case .string(let id) = call.path.key else {
                throw ODataError.badRequest("SalesOrders/\(operation.name) is bound to one order: write SalesOrders('id')/\(operation.name)", target: "Id")
            }
            let order: SalesOrder
            do {
                switch operation.name {
                case "Cancel": order = try await call.runtime.execute(CancelSalesOrderRequest(salesOrderId: id), channel: call.channel, caller: call.caller)
                case "Invoice": order = try await call.runtime.execute(InvoiceSalesOrderRequest(salesOrderId: id), channel: call.channel, caller: call.caller)
                default: throw ODataError.notImplemented("SalesOrders/\(operation.name) is declared but not implemented yet")
                }
            } catch let error as CommerceError where ODataError.paymentCodes.contains(error.code) {
                throw ODataError(paymentAware: error)
            }
            return orderResponse(order, call)
        }
        try call.requireMethods([.get], resource: "SalesOrders")
        switch (call.path.key, call.path.rest) {
        case (.string(let id), []):
            guard let order = try await call.runtime.execute(GetSalesOrderRequest(salesOrderId: id), channel: call.channel, caller: call.caller) else {
                throw ODataError(.notFound, code: "SalesOrderNotFound", "the channel has no sales order '\(id)'")
            }
            let select = try call.selection(of: "SalesOrder")
            return try call.entityResponse(order, select: select, key: { "'\($0.id)'" }) { writeProperties($0, select, &$1) }
        case (.integer, _):
            throw ODataError.badRequest("the key of SalesOrders is Id, an Edm.String: write SalesOrders('id')", target: "Id")
        case (nil, []):
            // A customer lists its own orders, applications and employees the channel's.
            return try await call.readCollection(of: "SalesOrder", GetSalesOrdersRequest.init)
        case (nil, ["$count"]):
            return try await call.readCount(GetSalesOrdersRequest.init)
        case (_, let rest):
            throw ODataError.notImplemented("SalesOrders/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }

    /// The order a bound action (checkout) answers, with the context of the SalesOrders set.
    static func orderResponse(_ order: SalesOrder, _ call: APICall) -> Response {
        var properties = JSONWriter()
        writeProperties(order, .all, &properties)
        let etag = ETag.weak(of: properties.bytes)
        var writer = JSONWriter()
        writer.beginObject()
        if call.format.metadata != .none {
            writer.field("@odata.context", "\(call.serviceRoot)/$metadata#SalesOrders/$entity")
            if call.format.metadata == .full {
                writer.field("@odata.type", "#\(EntityModel.namespace).SalesOrder")
                writer.field("@odata.id", "\(call.serviceRoot)/SalesOrders('\(order.id)')")
            }
            writer.field("@odata.etag", etag)
        }
        writer.members(of: properties)
        writer.endObject()
        var response = CommerceAPI.json(writer.bytes, status: .ok, contentType: call.format.contentType)
        response.headers[.eTag] = etag
        return response
    }

    static func writeProperties(_ order: SalesOrder, _ select: PropertySelection, _ writer: inout JSONWriter) {
        if select.includes("Id") { writer.field("Id", order.id) }
        if select.includes("SalesId") { writer.field("SalesId", order.salesId) }
        if select.includes("ChannelReferenceId") { writer.field("ChannelReferenceId", order.channelReferenceId) }
        if select.includes("CustomerId") { writer.field("CustomerId", order.customerId) }
        if select.includes("ReceiptEmail") { writer.field("ReceiptEmail", order.receiptEmail) }
        if select.includes("ShippingAddress") {
            writer.key("ShippingAddress")
            if let address = order.shippingAddress { CartsController.writeAddress(address, &writer) } else { writer.null() }
        }
        if select.includes("DeliveryMode") { writer.field("DeliveryMode", order.deliveryMode) }
        if select.includes("StatusValue") { writer.field("StatusValue", Int64(order.statusValue)) }
        if select.includes("SalesLines") {
            writer.key("SalesLines")
            writer.beginArray()
            for line in order.salesLines {
                writer.beginObject()
                writer.field("LineId", line.lineId)
                writer.field("ProductId", line.productId)
                writer.field("ItemId", line.itemId)
                writer.field("Quantity", line.quantity)
                writer.field("Price", line.price)
                writer.field("DiscountAmount", line.discountAmount)
                writer.field("TaxAmount", line.taxAmount)
                writer.field("TotalAmount", line.totalAmount)
                writer.field("WarehouseId", line.warehouseId)
                writer.field("DeliveryMode", line.deliveryMode)
                writer.key("ShippingAddress")
                if let address = line.shippingAddress { CartsController.writeAddress(address, &writer) } else { writer.null() }
                EntityJSON.writeExtensionProperties(line.extensionProperties, to: &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        if select.includes("SubtotalAmount") { writer.field("SubtotalAmount", order.subtotalAmount) }
        if select.includes("DiscountAmount") { writer.field("DiscountAmount", order.discountAmount) }
        if select.includes("TaxAmount") { writer.field("TaxAmount", order.taxAmount) }
        if select.includes("TotalAmount") { writer.field("TotalAmount", order.totalAmount) }
        if select.includes("CreatedDateTime") { writer.field("CreatedDateTime", order.createdDateTime) }
        if select.includes("ExtensionProperties") { EntityJSON.writeExtensionProperties(order.extensionProperties, to: &writer) }
    }
}
