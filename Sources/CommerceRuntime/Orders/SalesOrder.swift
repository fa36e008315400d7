public import Foundation
import ChannelDatabase

/// An order created by checkout, as the API and extensions see it, with Retail Server's names.
public struct SalesOrder: Codable, Sendable, Equatable {
    /// Retail Server's `SalesStatus` values.
    public enum Status: Int, Codable, Sendable {
        case unknown = 0
        case created = 1
        case processing = 2
        case delivered = 3
        case invoiced = 4
        case canceled = 5
    }

    public var id: String
    public var salesId: String
    /// The cart the order was checked out from.
    public var channelReferenceId: String
    public var customerId: String?
    public var receiptEmail: String?
    public var shippingAddress: Address?
    public var deliveryMode: String?
    public var statusValue: Int
    public var salesLines: [SalesLine]
    public var subtotalAmount: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var totalAmount: Decimal
    /// ISO 8601 in UTC, e.g. `2025-01-31T12:00:00.000Z`.
    public var createdDateTime: String
    public var extensionProperties: [CommerceProperty]

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case salesId = "SalesId"
        case channelReferenceId = "ChannelReferenceId"
        case customerId = "CustomerId"
        case receiptEmail = "ReceiptEmail"
        case shippingAddress = "ShippingAddress"
        case deliveryMode = "DeliveryMode"
        case statusValue = "StatusValue"
        case salesLines = "SalesLines"
        case subtotalAmount = "SubtotalAmount"
        case discountAmount = "DiscountAmount"
        case taxAmount = "TaxAmount"
        case totalAmount = "TotalAmount"
        case createdDateTime = "CreatedDateTime"
        case extensionProperties = "ExtensionProperties"
    }

    init(_ record: SalesOrderRecord) {
        id = record.id
        salesId = record.salesId
        channelReferenceId = record.channelReferenceId
        customerId = record.customerAccount
        receiptEmail = record.receiptEmail
        shippingAddress = CartHandlers.decodeAddress(record.shippingAddress)
        deliveryMode = record.deliveryMode
        statusValue = record.status
        salesLines = record.lines.map(SalesLine.init)
        subtotalAmount = record.subtotalAmount
        discountAmount = record.discountAmount
        taxAmount = record.taxAmount
        totalAmount = record.totalAmount
        createdDateTime = Self.timestamp(record.createdAt)
        extensionProperties = []
    }

    static func timestamp(_ milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}

public struct SalesLine: Codable, Sendable, Equatable {
    public var lineId: String
    public var productId: Int64
    public var itemId: String
    public var quantity: Decimal
    public var price: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var totalAmount: Decimal
    /// The warehouse the line's stock was reserved in (and ships from).
    public var warehouseId: String?
    public var deliveryMode: String?
    /// Set when the line goes to another address than the order's.
    public var shippingAddress: Address?
    public var extensionProperties: [CommerceProperty]

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case productId = "ProductId"
        case itemId = "ItemId"
        case quantity = "Quantity"
        case price = "Price"
        case discountAmount = "DiscountAmount"
        case taxAmount = "TaxAmount"
        case totalAmount = "TotalAmount"
        case warehouseId = "WarehouseId"
        case deliveryMode = "DeliveryMode"
        case shippingAddress = "ShippingAddress"
        case extensionProperties = "ExtensionProperties"
    }

    init(_ record: SalesLineRecord) {
        lineId = String(record.lineNumber)
        productId = record.productId
        itemId = record.itemId
        quantity = record.quantity
        price = record.price
        discountAmount = record.discountAmount
        taxAmount = record.taxAmount
        totalAmount = record.totalAmount
        warehouseId = record.warehouseId
        deliveryMode = record.deliveryMode
        shippingAddress = CartHandlers.decodeAddress(record.shippingAddress)
        extensionProperties = []
    }
}

/// Reads a sales order of the request's channel; nil when there is none the caller may see
/// (a customer sees only its own orders; anonymous callers none).
public struct GetSalesOrderRequest: CommerceRequest {
    public typealias Response = SalesOrder?
    public static let typeName = "GetSalesOrderRequest"
    public static let mode = RequestMode.read
    public var salesOrderId: String

    public init(salesOrderId: String) { self.salesOrderId = salesOrderId }

    enum CodingKeys: String, CodingKey {
        case salesOrderId = "SalesOrderId"
    }
}

/// Reserves stock for lines from the warehouses of the channel (its default warehouse first):
/// each line from one warehouse when one has all of it, else split over several; throws
/// `OutOfStock` (a conflict) when the warehouses together cannot serve a line, and the
/// transaction then rolls every reservation back.
public struct ReserveStockRequest: CommerceRequest {
    public typealias Response = [StockReservation]
    public static let typeName = "ReserveStockRequest"
    public static let mode = RequestMode.write
    public var lines: [StockLine]

    public init(lines: [StockLine]) { self.lines = lines }

    enum CodingKeys: String, CodingKey {
        case lines = "Lines"
    }
}

public struct StockLine: Codable, Sendable, Equatable {
    public var lineId: String
    public var productId: Int64
    public var quantity: Decimal

    public init(lineId: String, productId: Int64, quantity: Decimal) {
        self.lineId = lineId
        self.productId = productId
        self.quantity = quantity
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case productId = "ProductId"
        case quantity = "Quantity"
    }
}

/// Stock of one line reserved in one warehouse. A line the warehouses can only serve together
/// has several; the checkout makes a sales line of each.
public struct StockReservation: Codable, Sendable, Equatable {
    public var lineId: String
    public var warehouseId: String
    /// The part of the line's quantity reserved here; nil (as SDK 1.0 handlers answer) is the
    /// whole line.
    public var quantity: Decimal?

    public init(lineId: String, warehouseId: String, quantity: Decimal?) {
        self.lineId = lineId
        self.warehouseId = warehouseId
        self.quantity = quantity
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case warehouseId = "WarehouseId"
        case quantity = "Quantity"
    }
}
