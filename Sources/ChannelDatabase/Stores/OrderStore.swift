public import CommerceQuery
public import Foundation

/// A sales order as stored, with its lines in line-number order.
public struct SalesOrderRecord: Sendable, Equatable {
    public var id: String
    public var salesId: String
    public var channelId: Int64
    public var channelReferenceId: String
    public var customerAccount: String?
    public var receiptEmail: String?
    public var shippingAddress: String?
    public var deliveryMode: String?
    public var status: Int
    public var currencyCode: String
    public var subtotalAmount: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var totalAmount: Decimal
    public var idempotencyKey: String?
    public var createdAt: Int64
    public var lines: [SalesLineRecord]

    public init(
        id: String, salesId: String, channelId: Int64, channelReferenceId: String, customerAccount: String?, receiptEmail: String?,
        shippingAddress: String?, status: Int, currencyCode: String, subtotalAmount: Decimal, discountAmount: Decimal, taxAmount: Decimal,
        totalAmount: Decimal, idempotencyKey: String?, createdAt: Int64, lines: [SalesLineRecord]
    ) {
        self.id = id
        self.salesId = salesId
        self.channelId = channelId
        self.channelReferenceId = channelReferenceId
        self.customerAccount = customerAccount
        self.receiptEmail = receiptEmail
        self.shippingAddress = shippingAddress
        self.status = status
        self.currencyCode = currencyCode
        self.subtotalAmount = subtotalAmount
        self.discountAmount = discountAmount
        self.taxAmount = taxAmount
        self.totalAmount = totalAmount
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
        self.lines = lines
    }
}

public struct SalesLineRecord: Sendable, Equatable {
    public var lineNumber: Int
    public var productId: Int64
    public var itemId: String
    public var quantity: Decimal
    public var price: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var netAmount: Decimal
    public var totalAmount: Decimal
    public var warehouseId: String?
    public var deliveryMode: String?
    /// The line's delivery address as JSON text, when it differs from the order's.
    public var shippingAddress: String?

    public init(
        lineNumber: Int, productId: Int64, itemId: String, quantity: Decimal, price: Decimal, discountAmount: Decimal, taxAmount: Decimal,
        netAmount: Decimal, totalAmount: Decimal, warehouseId: String?
    ) {
        self.lineNumber = lineNumber
        self.productId = productId
        self.itemId = itemId
        self.quantity = quantity
        self.price = price
        self.discountAmount = discountAmount
        self.taxAmount = taxAmount
        self.netAmount = netAmount
        self.totalAmount = totalAmount
        self.warehouseId = warehouseId
    }
}

/// A payment of an order as stored: only references, never card data.
public struct PaymentRecord: Sendable, Equatable {
    public var id: String
    public var orderId: String?
    public var cartId: String?
    public var channelId: Int64
    public var tenderTypeId: String
    public var amount: Decimal
    public var currencyCode: String
    public var status: String
    public var connector: String?
    public var authorizationReference: String?
    public var cardTokenReference: String?
    /// Set when invoicing captured the payment.
    public var captureReference: String?
    public var createdAt: Int64

    public init(
        id: String, orderId: String?, cartId: String?, channelId: Int64, tenderTypeId: String, amount: Decimal, currencyCode: String,
        status: String, connector: String?, authorizationReference: String?, cardTokenReference: String?, createdAt: Int64
    ) {
        self.id = id
        self.orderId = orderId
        self.cartId = cartId
        self.channelId = channelId
        self.tenderTypeId = tenderTypeId
        self.amount = amount
        self.currencyCode = currencyCode
        self.status = status
        self.connector = connector
        self.authorizationReference = authorizationReference
        self.cardTokenReference = cardTokenReference
        self.createdAt = createdAt
    }
}

/// Reads and writes sales orders, their payments and the channel's number sequences.
public struct OrderStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// Takes the next number of a channel's sequence. The UPDATE locks the sequence row until the
    /// transaction ends, so concurrent checkouts get distinct numbers and a rolled-back one
    /// gives its number back. A channel without the sequence starts it at 1.
    public func nextNumber(channelId: Int64, sequence: String) async throws -> Int64 {
        let moved = try await transaction.query(
            "UPDATE number_sequences SET next_value = next_value + 1 WHERE channel_id = ? AND name = ? RETURNING next_value",
            [.integer(channelId), .text(sequence)]
        )
        if let next = moved.first?.int64("next_value") { return next - 1 }
        try await transaction.execute(
            "INSERT INTO number_sequences (channel_id, name, next_value) VALUES (?, ?, 2)", [.integer(channelId), .text(sequence)]
        )
        return 1
    }

    /// The statements that insert `order` with its lines, for ``DatabaseTransaction/executeTogether(_:)``.
    public static func insertStatements(_ order: SalesOrderRecord, now: Int64) throws -> [SQLFragment] {
        var statements = [SQLFragment(
            sql: """
                INSERT INTO sales_orders (id, sales_id, channel_id, channel_reference_id, customer_account, receipt_email, shipping_address,
                                          status, currency_code, subtotal_amount, discount_amount, tax_amount, total_amount, idempotency_key,
                                          created_at, modified_at, delivery_mode)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                .text(order.id), .text(order.salesId), .integer(order.channelId), .text(order.channelReferenceId), .optional(order.customerAccount),
                .optional(order.receiptEmail), .optional(order.shippingAddress), .integer(Int64(order.status)), .text(order.currencyCode),
                try .decimal(order.subtotalAmount), try .decimal(order.discountAmount), try .decimal(order.taxAmount), try .decimal(order.totalAmount),
                .optional(order.idempotencyKey), .integer(order.createdAt), .integer(now), .optional(order.deliveryMode),
            ]
        )]
        // Several lines per statement: on PostgreSQL the order is written while the checkout holds
        // the stock rows it reserved, and each round trip there lengthens the wait of the next
        // buyer of the same products. At most `linesPerInsert` rows per statement keeps the
        // texts, and so the prepared statements SQLite caches, to a handful.
        var start = order.lines.startIndex
        while start < order.lines.endIndex {
            let chunk = order.lines[start..<min(start + linesPerInsert, order.lines.endIndex)]
            var arguments: [DatabaseValue] = []
            arguments.reserveCapacity(chunk.count * 13)
            for line in chunk {
                arguments += [
                    .text(order.id), .integer(Int64(line.lineNumber)), .integer(line.productId), .text(line.itemId), try .decimal(line.quantity),
                    try .decimal(line.price), try .decimal(line.discountAmount), try .decimal(line.taxAmount), try .decimal(line.netAmount),
                    try .decimal(line.totalAmount), .optional(line.warehouseId), .optional(line.deliveryMode), .optional(line.shippingAddress),
                ]
            }
            statements.append(SQLFragment(sql: insertLines[chunk.count - 1], arguments: arguments))
            start = chunk.endIndex
        }
        return statements
    }

    public static let linesPerInsert = 8
    /// `INSERT INTO sales_lines` of 1 to ``linesPerInsert`` rows, by row count less one.
    private static let insertLines: [String] = (1...linesPerInsert).map { rows in
        """
        INSERT INTO sales_lines (order_id, line_number, product_id, item_id, quantity, price, discount_amount, tax_amount,
                                 net_amount, total_amount, warehouse_id, delivery_mode, shipping_address)
        VALUES
        """ + " " + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }

    /// Moves an order from one status to another only if it is still in `from`: the UPDATE is
    /// the check, so two concurrent status changes cannot both succeed. Answers whether it moved.
    public func changeStatus(orderId: String, channelId: Int64, from: Int, to: Int, now: Int64) async throws -> Bool {
        try await transaction.execute(
            "UPDATE sales_orders SET status = ?, modified_at = ? WHERE id = ? AND channel_id = ? AND status = ?",
            [.integer(Int64(to)), .integer(now), .text(orderId), .integer(channelId), .integer(Int64(from))]
        ) == 1
    }

    /// Records what the connector did with a payment (`Voided`, `Captured`) and the capture's reference.
    public func updatePayment(id: String, status: String, captureReference: String? = nil, now: Int64) async throws {
        try await transaction.execute(
            "UPDATE payments SET status = ?, capture_reference = COALESCE(?, capture_reference), modified_at = ? WHERE id = ?",
            [.text(status), .optional(captureReference), .integer(now), .text(id)]
        )
    }

    private static let selectOrder = """
        SELECT id, sales_id, channel_id, channel_reference_id, customer_account, receipt_email, shipping_address, status, currency_code,
               subtotal_amount, discount_amount, tax_amount, total_amount, idempotency_key, created_at, delivery_mode
        FROM sales_orders
        """

    public func order(id: String, channelId: Int64) async throws -> SalesOrderRecord? {
        guard let row = try await transaction.queryFirst(Self.selectOrder + " WHERE id = ? AND channel_id = ?", [.text(id), .integer(channelId)]) else {
            return nil
        }
        return try await withLines(row)
    }

    public func order(idempotencyKey: String, channelId: Int64) async throws -> SalesOrderRecord? {
        guard let row = try await transaction.queryFirst(
            Self.selectOrder + " WHERE channel_id = ? AND idempotency_key = ?", [.integer(channelId), .text(idempotencyKey)]
        ) else { return nil }
        return try await withLines(row)
    }

    /// One page of the channel's orders matching `criteria` (of one customer when `customer` is
    /// set; that condition is part of the SQL, so nothing of another customer is ever read), in
    /// the criteria's order, else newest first, then by id so pages never overlap.
    public func orders(
        channelId: Int64, customer: String?, skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria()
    ) async throws -> [SalesOrderRecord] {
        let (base, baseArguments) = Self.listingBase(channelId: channelId, customer: customer)
        let key = criteria.orderBy.isEmpty ? "so.created_at DESC, so.id" : "so.id"
        let query = try CatalogStore.selection(criteria, table: Self.orderTable, key: key, base: base, dialect: transaction.dialect)
        let paging: [DatabaseValue] = [.integer(Int64(top)), .integer(Int64(skip))]
        let rows = try await transaction.query(
            Self.selectOrderAliased + query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?", baseArguments + query.arguments + paging
        )
        return try await withLines(rows)
    }

    public func orderCount(channelId: Int64, customer: String?, criteria: QueryCriteria = QueryCriteria()) async throws -> Int {
        let (base, baseArguments) = Self.listingBase(channelId: channelId, customer: customer)
        let query = try CatalogStore.selection(
            QueryCriteria(filter: criteria.filter, search: criteria.search), table: Self.orderTable, key: nil, base: base, dialect: transaction.dialect
        )
        return try await transaction.queryFirst("SELECT COUNT(*) AS n FROM sales_orders so" + query.whereSQL, baseArguments + query.arguments)?.int("n") ?? 0
    }

    private static func listingBase(channelId: Int64, customer: String?) -> (String, [DatabaseValue]) {
        guard let customer else { return ("so.channel_id = ?", [.integer(channelId)]) }
        return ("so.channel_id = ? AND so.customer_account = ?", [.integer(channelId), .text(customer)])
    }

    /// How `SalesOrders` properties map onto the table, for `$filter`, `$orderby` and `$search`.
    public static let orderTable = SQLQueryTable(
        alias: "so",
        properties: [
            "Id": SQLQueryColumn("so.id", .string),
            "SalesId": SQLQueryColumn("so.sales_id", .string),
            "ChannelReferenceId": SQLQueryColumn("so.channel_reference_id", .string),
            "CustomerId": SQLQueryColumn("so.customer_account", .string, nullable: true),
            "ReceiptEmail": SQLQueryColumn("so.receipt_email", .string, nullable: true),
            "StatusValue": SQLQueryColumn("so.status", .int32),
            "SubtotalAmount": SQLQueryColumn("so.subtotal_amount", .decimal),
            "DiscountAmount": SQLQueryColumn("so.discount_amount", .decimal),
            "TaxAmount": SQLQueryColumn("so.tax_amount", .decimal),
            "TotalAmount": SQLQueryColumn("so.total_amount", .decimal),
            "CreatedDateTime": SQLQueryColumn("so.created_at", .dateTimeOffset),
        ],
        collections: [
            "SalesLines": SQLQueryCollection(
                table: "sales_lines sl", correlation: "sl.order_id = so.id",
                element: .complex([
                    "ProductId": SQLQueryColumn("sl.product_id", .int64),
                    "ItemId": SQLQueryColumn("sl.item_id", .string),
                    "Quantity": SQLQueryColumn("sl.quantity", .decimal),
                    "Price": SQLQueryColumn("sl.price", .decimal),
                    "TotalAmount": SQLQueryColumn("sl.total_amount", .decimal),
                ])
            ),
        ],
        searchProperties: ["SalesId", "ReceiptEmail"]
    )

    private static let selectOrderAliased = """
        SELECT so.id, so.sales_id, so.channel_id, so.channel_reference_id, so.customer_account, so.receipt_email, so.shipping_address,
               so.status, so.currency_code, so.subtotal_amount, so.discount_amount, so.tax_amount, so.total_amount, so.idempotency_key,
               so.created_at, so.delivery_mode
        FROM sales_orders so
        """

    /// The statement that inserts `payment`, for ``DatabaseTransaction/executeTogether(_:)``.
    public static func insertStatement(_ payment: PaymentRecord) throws -> SQLFragment {
        SQLFragment(
            sql: """
                INSERT INTO payments (id, order_id, cart_id, channel_id, tender_type_id, amount, currency_code, status, connector,
                                      authorization_reference, card_token_reference, created_at, modified_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                .text(payment.id), .optional(payment.orderId), .optional(payment.cartId), .integer(payment.channelId), .text(payment.tenderTypeId),
                try .decimal(payment.amount), .text(payment.currencyCode), .text(payment.status), .optional(payment.connector),
                .optional(payment.authorizationReference), .optional(payment.cardTokenReference), .integer(payment.createdAt), .integer(payment.createdAt),
            ]
        )
    }

    public func payments(orderId: String) async throws -> [PaymentRecord] {
        try await transaction.query(
            """
            SELECT id, order_id, cart_id, channel_id, tender_type_id, amount, currency_code, status, connector, authorization_reference,
                   card_token_reference, capture_reference, created_at
            FROM payments WHERE order_id = ? ORDER BY created_at, id
            """,
            [.text(orderId)]
        ).map { row in
            var payment = PaymentRecord(
                id: row.string("id") ?? "", orderId: row.string("order_id"), cartId: row.string("cart_id"), channelId: row.int64("channel_id") ?? 0,
                tenderTypeId: row.string("tender_type_id") ?? "", amount: row.decimal("amount") ?? 0, currencyCode: row.string("currency_code") ?? "",
                status: row.string("status") ?? "", connector: row.string("connector"), authorizationReference: row.string("authorization_reference"),
                cardTokenReference: row.string("card_token_reference"), createdAt: row.int64("created_at") ?? 0
            )
            payment.captureReference = row.string("capture_reference")
            return payment
        }
    }

    private func withLines(_ row: DatabaseRow) async throws -> SalesOrderRecord {
        guard let order = try await withLines([row]).first else { throw DatabaseError.statementFailed("a sales order row vanished") }
        return order
    }

    /// The lines of several orders in one statement.
    private func withLines(_ rows: [DatabaseRow]) async throws -> [SalesOrderRecord] {
        guard !rows.isEmpty else { return [] }
        let ids = rows.map { $0.string("id") ?? "" }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        var linesByOrder: [String: [SalesLineRecord]] = [:]
        for line in try await transaction.query(
            """
            SELECT order_id, line_number, product_id, item_id, quantity, price, discount_amount, tax_amount, net_amount, total_amount, warehouse_id,
                   delivery_mode, shipping_address
            FROM sales_lines WHERE order_id IN (\(placeholders)) ORDER BY order_id, line_number
            """,
            ids.map { .text($0) }
        ) {
            var record = SalesLineRecord(
                lineNumber: line.int("line_number") ?? 0, productId: line.int64("product_id") ?? 0, itemId: line.string("item_id") ?? "",
                quantity: line.decimal("quantity") ?? 0, price: line.decimal("price") ?? 0, discountAmount: line.decimal("discount_amount") ?? 0,
                taxAmount: line.decimal("tax_amount") ?? 0, netAmount: line.decimal("net_amount") ?? 0, totalAmount: line.decimal("total_amount") ?? 0,
                warehouseId: line.string("warehouse_id")
            )
            record.deliveryMode = line.string("delivery_mode")
            record.shippingAddress = line.string("shipping_address")
            linesByOrder[line.string("order_id") ?? "", default: []].append(record)
        }
        return rows.map { row in
            let id = row.string("id") ?? ""
            var order = SalesOrderRecord(
                id: id, salesId: row.string("sales_id") ?? "", channelId: row.int64("channel_id") ?? 0,
                channelReferenceId: row.string("channel_reference_id") ?? "", customerAccount: row.string("customer_account"),
                receiptEmail: row.string("receipt_email"), shippingAddress: row.string("shipping_address"), status: row.int("status") ?? 0,
                currencyCode: row.string("currency_code") ?? "", subtotalAmount: row.decimal("subtotal_amount") ?? 0,
                discountAmount: row.decimal("discount_amount") ?? 0, taxAmount: row.decimal("tax_amount") ?? 0,
                totalAmount: row.decimal("total_amount") ?? 0, idempotencyKey: row.string("idempotency_key"), createdAt: row.int64("created_at") ?? 0,
                lines: linesByOrder[id] ?? []
            )
            order.deliveryMode = row.string("delivery_mode")
            return order
        }
    }
}
