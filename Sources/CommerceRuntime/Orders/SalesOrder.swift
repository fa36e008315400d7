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

/// Reserves stock for lines, each line from one warehouse of the channel (its default
/// warehouse first); throws `OutOfStock` (a conflict) when a line cannot be reserved, and the
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

public struct StockReservation: Codable, Sendable, Equatable {
    public var lineId: String
    public var warehouseId: String

    public init(lineId: String, warehouseId: String) {
        self.lineId = lineId
        self.warehouseId = warehouseId
    }

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case warehouseId = "WarehouseId"
    }
}
