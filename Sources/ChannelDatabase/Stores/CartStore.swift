public import CommerceQuery
public import Foundation

/// A cart as stored: header, lines in line-number order, discount codes.
///
/// `shippingAddress` is the address as JSON text; the store does not interpret it.
public struct CartRecord: Sendable, Equatable {
    public var id: String
    public var channelId: Int64
    public var customerAccount: String?
    public var version: Int64
    public var receiptEmail: String?
    public var shippingAddress: String?
    public var deliveryMode: String?
    public var subtotalAmount: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var totalAmount: Decimal
    public var createdAt: Int64
    public var modifiedAt: Int64
    public var lines: [CartLineRecord]
    public var discountCodes: [String]
    /// Whether `extension_properties` holds anything of the cart or its lines, when the read
    /// that produced this record asked; nil when unknown.
    public var hasStoredProperties: Bool?

    public init(
        id: String, channelId: Int64, customerAccount: String? = nil, version: Int64 = 1, receiptEmail: String? = nil,
        shippingAddress: String? = nil, subtotalAmount: Decimal = 0, discountAmount: Decimal = 0, taxAmount: Decimal = 0,
        totalAmount: Decimal = 0, createdAt: Int64, modifiedAt: Int64, lines: [CartLineRecord] = [], discountCodes: [String] = []
    ) {
        self.id = id
        self.channelId = channelId
        self.customerAccount = customerAccount
        self.version = version
        self.receiptEmail = receiptEmail
        self.shippingAddress = shippingAddress
        self.subtotalAmount = subtotalAmount
        self.discountAmount = discountAmount
        self.taxAmount = taxAmount
        self.totalAmount = totalAmount
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.lines = lines
        self.discountCodes = discountCodes
    }
}

/// One cart line as stored, with the amounts of the last calculation.
public struct CartLineRecord: Sendable, Equatable {
    public var lineId: String
    public var lineNumber: Int
    public var productId: Int64
    public var itemId: String
    public var quantity: Decimal
    public var price: Decimal
    public var extendedPrice: Decimal
    public var discountAmount: Decimal
    public var taxAmount: Decimal
    public var netAmount: Decimal
    public var totalAmount: Decimal
    /// The line's own delivery mode and address (JSON text); nil follows the cart's.
    public var deliveryMode: String?
    public var shippingAddress: String?

    public init(
        lineId: String, lineNumber: Int, productId: Int64, itemId: String, quantity: Decimal, price: Decimal = 0,
        extendedPrice: Decimal = 0, discountAmount: Decimal = 0, taxAmount: Decimal = 0, netAmount: Decimal = 0, totalAmount: Decimal = 0,
        deliveryMode: String? = nil, shippingAddress: String? = nil
    ) {
        self.deliveryMode = deliveryMode
        self.shippingAddress = shippingAddress
        self.lineId = lineId
        self.lineNumber = lineNumber
        self.productId = productId
        self.itemId = itemId
        self.quantity = quantity
        self.price = price
        self.extendedPrice = extendedPrice
        self.discountAmount = discountAmount
        self.taxAmount = taxAmount
        self.netAmount = netAmount
        self.totalAmount = totalAmount
    }
}

/// Reads and writes carts. Every statement is portable; nothing here depends on the dialect.
///
/// The cart's `version` is its optimistic-concurrency token: writers first claim the cart with
/// ``claim(id:channelId:expectedVersion:now:)``, which bumps the version only when it is still
/// the one the caller read, so two writers can never both succeed on the same version.
public struct CartStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    public func insert(_ cart: CartRecord) async throws {
        try await transaction.execute(
            """
            INSERT INTO carts (id, channel_id, customer_account, version, receipt_email, shipping_address,
                               subtotal_amount, discount_amount, tax_amount, total_amount, created_at, modified_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(cart.id), .integer(cart.channelId), .optional(cart.customerAccount), .integer(cart.version),
                .optional(cart.receiptEmail), .optional(cart.shippingAddress), try .decimal(cart.subtotalAmount),
                try .decimal(cart.discountAmount), try .decimal(cart.taxAmount), try .decimal(cart.totalAmount),
                .integer(cart.createdAt), .integer(cart.modifiedAt),
            ]
        )
        for line in cart.lines { try await insertLine(line, cartId: cart.id) }
    }

    /// One page of the channel's carts matching `criteria`: of one customer when `customer` is set,
    /// changed at or after `modifiedSince` when set (older ones have expired). Both conditions are
    /// part of the SQL, so nothing of another customer is ever read. In the criteria's order, else
    /// last changed first, then by id so pages never overlap.
    public func carts(
        channelId: Int64, customer: String?, modifiedSince: Int64?, skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria()
    ) async throws -> [CartRecord] {
        let (base, baseArguments) = Self.listingBase(channelId: channelId, customer: customer, modifiedSince: modifiedSince)
        let key = criteria.orderBy.isEmpty ? "ca.modified_at DESC, ca.id" : "ca.id"
        let query = try CatalogStore.selection(criteria, table: Self.cartTable, key: key, base: base, dialect: transaction.dialect)
        let paging: [DatabaseValue] = [.integer(Int64(top)), .integer(Int64(skip))]
        let rows = try await transaction.query(
            """
            SELECT ca.id, ca.channel_id, ca.customer_account, ca.version, ca.receipt_email, ca.shipping_address, ca.delivery_mode,
                   ca.subtotal_amount, ca.discount_amount, ca.tax_amount, ca.total_amount, ca.created_at, ca.modified_at
            FROM carts ca
            """ + query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?",
            baseArguments + query.arguments + paging
        )
        guard !rows.isEmpty else { return [] }
        let ids = rows.map { $0.string("id") ?? "" }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        var lines: [String: [CartLineRecord]] = [:]
        for row in try await transaction.query(
            """
            SELECT cart_id, line_id, line_number, product_id, item_id, quantity, price, extended_price, discount_amount,
                   tax_amount, net_amount, total_amount, delivery_mode, shipping_address
            FROM cart_lines WHERE cart_id IN (\(placeholders)) ORDER BY cart_id, line_number
            """,
            ids.map { .text($0) }
        ) {
            lines[row.string("cart_id") ?? "", default: []].append(Self.line(row))
        }
        var codes: [String: [String]] = [:]
        for row in try await transaction.query(
            "SELECT cart_id, code FROM cart_discount_codes WHERE cart_id IN (\(placeholders)) ORDER BY cart_id, code", ids.map { .text($0) }
        ) {
            if let code = row.string("code") { codes[row.string("cart_id") ?? "", default: []].append(code) }
        }
        return rows.map { row in
            let id = row.string("id") ?? ""
            return Self.header(row, lines: lines[id] ?? [], codes: codes[id] ?? [])
        }
    }

    public func cartCount(channelId: Int64, customer: String?, modifiedSince: Int64?, criteria: QueryCriteria = QueryCriteria()) async throws -> Int {
        let (base, baseArguments) = Self.listingBase(channelId: channelId, customer: customer, modifiedSince: modifiedSince)
        let query = try CatalogStore.selection(
            QueryCriteria(filter: criteria.filter, search: criteria.search), table: Self.cartTable, key: nil, base: base, dialect: transaction.dialect
        )
        return try await transaction.queryFirst("SELECT COUNT(*) AS n FROM carts ca" + query.whereSQL, baseArguments + query.arguments)?.int("n") ?? 0
    }

    private static func listingBase(channelId: Int64, customer: String?, modifiedSince: Int64?) -> (String, [DatabaseValue]) {
        var conditions = ["ca.channel_id = ?"]
        var arguments: [DatabaseValue] = [.integer(channelId)]
        if let customer {
            conditions.append("ca.customer_account = ?")
            arguments.append(.text(customer))
        }
        if let modifiedSince {
            conditions.append("ca.modified_at >= ?")
            arguments.append(.integer(modifiedSince))
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// How `Carts` properties map onto the table, for `$filter`, `$orderby` and `$search`.
    public static let cartTable = SQLQueryTable(
        alias: "ca",
        properties: [
            "Id": SQLQueryColumn("ca.id", .string),
            "Version": SQLQueryColumn("ca.version", .int64),
            "CustomerId": SQLQueryColumn("ca.customer_account", .string, nullable: true),
            "ReceiptEmail": SQLQueryColumn("ca.receipt_email", .string, nullable: true),
            "SubtotalAmount": SQLQueryColumn("ca.subtotal_amount", .decimal),
            "DiscountAmount": SQLQueryColumn("ca.discount_amount", .decimal),
            "TaxAmount": SQLQueryColumn("ca.tax_amount", .decimal),
            "TotalAmount": SQLQueryColumn("ca.total_amount", .decimal),
            "AmountDue": SQLQueryColumn("ca.total_amount", .decimal),
        ],
        collections: [
            "CartLines": SQLQueryCollection(
                table: "cart_lines cl", correlation: "cl.cart_id = ca.id",
                element: .complex([
                    "LineId": SQLQueryColumn("cl.line_id", .string),
                    "ProductId": SQLQueryColumn("cl.product_id", .int64),
                    "ItemId": SQLQueryColumn("cl.item_id", .string),
                    "Quantity": SQLQueryColumn("cl.quantity", .decimal),
                    "Price": SQLQueryColumn("cl.price", .decimal),
                    "TotalAmount": SQLQueryColumn("cl.total_amount", .decimal),
                ])
            ),
            "DiscountCodes": SQLQueryCollection(
                table: "cart_discount_codes cdc", correlation: "cdc.cart_id = ca.id", element: .primitive(SQLQueryColumn("cdc.code", .string))
            ),
        ],
        searchProperties: ["ReceiptEmail"]
    )

    private static func header(_ row: DatabaseRow, lines: [CartLineRecord], codes: [String]) -> CartRecord {
        var record = CartRecord(
            id: row.string("id") ?? "",
            channelId: row.int64("channel_id") ?? 0,
            customerAccount: row.string("customer_account"),
            version: row.int64("version") ?? 0,
            receiptEmail: row.string("receipt_email"),
            shippingAddress: row.string("shipping_address"),
            subtotalAmount: row.decimal("subtotal_amount") ?? 0,
            discountAmount: row.decimal("discount_amount") ?? 0,
            taxAmount: row.decimal("tax_amount") ?? 0,
            totalAmount: row.decimal("total_amount") ?? 0,
            createdAt: row.int64("created_at") ?? 0,
            modifiedAt: row.int64("modified_at") ?? 0,
            lines: lines,
            discountCodes: codes
        )
        record.deliveryMode = row.string("delivery_mode")
        return record
    }

    /// The cart of a channel with its lines and codes; nil when the channel has no such cart.
    public func cart(id: String, channelId: Int64) async throws -> CartRecord? {
        // Most carts have neither discount codes nor extension properties: the two EXISTS probes
        // let the codes and the properties (`hasStoredProperties`) be read only when they are
        // there, two statements fewer per cart change.
        guard let row = try await transaction.queryFirst(
            """
            SELECT id, channel_id, customer_account, version, receipt_email, shipping_address, delivery_mode, subtotal_amount,
                   discount_amount, tax_amount, total_amount, created_at, modified_at,
                   CASE WHEN EXISTS (SELECT 1 FROM cart_discount_codes k WHERE k.cart_id = carts.id) THEN 1 ELSE 0 END AS has_codes,
                   CASE WHEN EXISTS (SELECT 1 FROM extension_properties p WHERE p.owner_type = ? AND p.owner_id = carts.id)
                        THEN 1 ELSE 0 END AS has_properties
            FROM carts WHERE id = ? AND channel_id = ?
            """,
            [.text(Self.propertiesOwnerType), .text(id), .integer(channelId)]
        ) else { return nil }
        let lines = try await lines(cartId: id)
        var codes: [String] = []
        if row.bool("has_codes") {
            codes = try await transaction.query("SELECT code FROM cart_discount_codes WHERE cart_id = ? ORDER BY code", [.text(id)])
                .compactMap { $0.string("code") }
        }
        var record = Self.header(row, lines: lines, codes: codes)
        record.hasStoredProperties = row.bool("has_properties")
        return record
    }

    /// The `owner_type` of a cart's rows in `extension_properties`.
    public static let propertiesOwnerType = "cart"

    /// A cart's lines in line-number order, as ``cart(id:channelId:)`` reads them.
    public func lines(cartId: String) async throws -> [CartLineRecord] {
        try await transaction.query(
            """
            SELECT line_id, line_number, product_id, item_id, quantity, price, extended_price, discount_amount,
                   tax_amount, net_amount, total_amount, delivery_mode, shipping_address
            FROM cart_lines WHERE cart_id = ? ORDER BY line_number
            """,
            [.text(cartId)]
        ).map(Self.line)
    }

    /// Moves the cart from `expectedVersion` to the next version; false when the cart is gone or
    /// another writer changed it first.
    ///
    /// One conditional UPDATE, no read before: on PostgreSQL a concurrent writer waits for the
    /// row lock and then finds the version changed, on SQLite writers are serialized anyway.
    public func claim(id: String, channelId: Int64, expectedVersion: Int64, now: Int64) async throws -> Bool {
        try await transaction.execute(
            "UPDATE carts SET version = version + 1, modified_at = ? WHERE id = ? AND channel_id = ? AND version = ?",
            [.integer(now), .text(id), .integer(channelId), .integer(expectedVersion)]
        ) == 1
    }

    public func updateHeader(id: String, customerAccount: String?, receiptEmail: String?, shippingAddress: String?, deliveryMode: String?) async throws {
        try await transaction.execute(
            "UPDATE carts SET customer_account = ?, receipt_email = ?, shipping_address = ?, delivery_mode = ? WHERE id = ?",
            [.optional(customerAccount), .optional(receiptEmail), .optional(shippingAddress), .optional(deliveryMode), .text(id)]
        )
    }

    /// Sets a line's own delivery mode and address (nil: the cart's); false when the cart has no such line.
    public func updateDelivery(cartId: String, lineId: String, deliveryMode: String?, shippingAddress: String?) async throws -> Bool {
        try await transaction.execute(
            "UPDATE cart_lines SET delivery_mode = ?, shipping_address = ? WHERE cart_id = ? AND line_id = ?",
            [.optional(deliveryMode), .optional(shippingAddress), .text(cartId), .text(lineId)]
        ) == 1
    }

    /// The delivery modes a channel offers, by code.
    public func deliveryModes(channelId: Int64) async throws -> [(code: String, description: String)] {
        try await transaction.query(
            "SELECT code, description FROM delivery_modes WHERE channel_id = ? ORDER BY code", [.integer(channelId)]
        ).map { ($0.string("code") ?? "", $0.string("description") ?? "") }
    }

    public func insertLine(_ line: CartLineRecord, cartId: String) async throws {
        try await transaction.execute(
            """
            INSERT INTO cart_lines (cart_id, line_id, line_number, product_id, item_id, quantity, price, extended_price,
                                    discount_amount, tax_amount, net_amount, total_amount)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(cartId), .text(line.lineId), .integer(Int64(line.lineNumber)), .integer(line.productId), .text(line.itemId),
                try .decimal(line.quantity), try .decimal(line.price), try .decimal(line.extendedPrice), try .decimal(line.discountAmount),
                try .decimal(line.taxAmount), try .decimal(line.netAmount), try .decimal(line.totalAmount),
            ]
        )
    }

    /// Sets a line's quantity; false when the cart has no such line.
    public func updateQuantity(cartId: String, lineId: String, quantity: Decimal) async throws -> Bool {
        try await transaction.execute(
            "UPDATE cart_lines SET quantity = ? WHERE cart_id = ? AND line_id = ?", [try .decimal(quantity), .text(cartId), .text(lineId)]
        ) == 1
    }

    /// Deletes a line; false when the cart has no such line.
    public func deleteLine(cartId: String, lineId: String) async throws -> Bool {
        try await transaction.execute("DELETE FROM cart_lines WHERE cart_id = ? AND line_id = ?", [.text(cartId), .text(lineId)]) == 1
    }

    /// Writes the amounts of a calculation: every line's and the header's totals.
    /// Stores the amounts of `cart`. With `stored`, the cart as it was read, only lines whose
    /// amounts changed are written (a recalculation often changes one line or none), and the
    /// header only when its totals changed.
    public func saveAmounts(_ cart: CartRecord, stored: CartRecord? = nil) async throws {
        var changed = cart
        if let stored {
            let before = Dictionary(stored.lines.map { ($0.lineId, $0) }, uniquingKeysWith: { first, _ in first })
            changed.lines = cart.lines.filter { line in
                guard let old = before[line.lineId] else { return true }
                return old.price != line.price || old.extendedPrice != line.extendedPrice || old.discountAmount != line.discountAmount
                    || old.taxAmount != line.taxAmount || old.netAmount != line.netAmount || old.totalAmount != line.totalAmount
            }
        }
        // PostgreSQL takes at most 65,535 parameters in a statement, seven per line here; carts stop
        // at 500 lines long before that.
        if transaction.dialect == .postgres, !changed.lines.isEmpty, changed.lines.count <= 9_000 {
            try await saveLineAmountsBatched(changed)
        } else {
            try await saveLineAmountsOneByOne(changed)
        }
        if let stored, stored.subtotalAmount == cart.subtotalAmount, stored.discountAmount == cart.discountAmount,
           stored.taxAmount == cart.taxAmount, stored.totalAmount == cart.totalAmount {
            return
        }
        try await transaction.execute(
            "UPDATE carts SET subtotal_amount = ?, discount_amount = ?, tax_amount = ?, total_amount = ? WHERE id = ?",
            [try .decimal(cart.subtotalAmount), try .decimal(cart.discountAmount), try .decimal(cart.taxAmount), try .decimal(cart.totalAmount), .text(cart.id)]
        )
    }

    /// SQLite runs in the process: a cached statement per line costs microseconds.
    private func saveLineAmountsOneByOne(_ cart: CartRecord) async throws {
        for line in cart.lines {
            try await transaction.execute(
                """
                UPDATE cart_lines SET price = ?, extended_price = ?, discount_amount = ?, tax_amount = ?, net_amount = ?, total_amount = ?
                WHERE cart_id = ? AND line_id = ?
                """,
                [
                    try .decimal(line.price), try .decimal(line.extendedPrice), try .decimal(line.discountAmount), try .decimal(line.taxAmount),
                    try .decimal(line.netAmount), try .decimal(line.totalAmount), .text(cart.id), .text(line.lineId),
                ]
            )
        }
    }

    /// On PostgreSQL every statement is a round trip to the server, and a cart change stores every
    /// line: one UPDATE from a VALUES list instead of one per line. The casts type the
    /// parameters, which PostgreSQL would otherwise take for text.
    private func saveLineAmountsBatched(_ cart: CartRecord) async throws {
        let row = "(CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))"
        var arguments: [DatabaseValue] = []
        arguments.reserveCapacity(cart.lines.count * 7 + 1)
        for line in cart.lines {
            arguments += [
                .text(line.lineId), try .decimal(line.price), try .decimal(line.extendedPrice), try .decimal(line.discountAmount),
                try .decimal(line.taxAmount), try .decimal(line.netAmount), try .decimal(line.totalAmount),
            ]
        }
        arguments.append(.text(cart.id))
        try await transaction.execute(
            """
            UPDATE cart_lines SET price = v.column2, extended_price = v.column3, discount_amount = v.column4, tax_amount = v.column5,
                net_amount = v.column6, total_amount = v.column7
            FROM (VALUES \(Array(repeating: row, count: cart.lines.count).joined(separator: ", "))) AS v
            WHERE cart_lines.line_id = v.column1 AND cart_lines.cart_id = ?
            """,
            arguments
        )
    }

    /// Puts a discount code on a cart; false when it is there already.
    public func addDiscountCode(cartId: String, code: String) async throws -> Bool {
        let present = try await transaction.queryFirst(
            "SELECT 1 AS found FROM cart_discount_codes WHERE cart_id = ? AND code = ?", [.text(cartId), .text(code)]
        )
        guard present == nil else { return false }
        try await transaction.execute("INSERT INTO cart_discount_codes (cart_id, code) VALUES (?, ?)", [.text(cartId), .text(code)])
        return true
    }

    /// Takes discount codes off a cart; answers how many were on it.
    public func removeDiscountCodes(cartId: String, codes: [String]) async throws -> Int {
        var removed = 0
        for code in Set(codes) {
            removed += try await transaction.execute("DELETE FROM cart_discount_codes WHERE cart_id = ? AND code = ?", [.text(cartId), .text(code)])
        }
        return removed
    }

    /// Ids of carts (of any channel) last changed before `instant`, oldest first.
    public func cartIds(modifiedBefore instant: Int64, limit: Int) async throws -> [String] {
        try await transaction.query(
            "SELECT id FROM carts WHERE modified_at < ? ORDER BY modified_at LIMIT ?", [.integer(instant), .integer(Int64(limit))]
        ).compactMap { $0.string("id") }
    }

    /// Deletes a cart with its lines and codes (checkout, a client's delete, the purge of idle carts).
    ///
    /// One statement: both child tables reference `carts` with `ON DELETE CASCADE` (foreign keys
    /// are on for every SQLite connection), and on PostgreSQL a checkout deletes its cart while it
    /// holds the stock rows it reserved, where every round trip lengthens the wait of the next
    /// buyer of the same products.
    public func delete(id: String) async throws {
        let statement = Self.deleteStatement(id: id)
        try await transaction.execute(statement.sql, statement.arguments)
    }

    public static func deleteStatement(id: String) -> SQLFragment {
        SQLFragment(sql: "DELETE FROM carts WHERE id = ?", arguments: [.text(id)])
    }

    /// The sales tax group of a delivery region: the state's own, else the country's (state '').
    public func salesTaxGroup(countryRegionId: String, state: String?) async throws -> String? {
        let rows = try await transaction.query(
            "SELECT state, sales_tax_group FROM tax_regions WHERE country_region_id = ? AND (state = ? OR state = '')",
            [.text(countryRegionId), .text(state ?? "")]
        )
        let exact = rows.first { ($0.string("state") ?? "") == (state ?? "") && !(state ?? "").isEmpty }
        return (exact ?? rows.first { ($0.string("state") ?? "").isEmpty })?.string("sales_tax_group")
    }

    public func customerExists(account: String) async throws -> Bool {
        try await transaction.queryFirst("SELECT 1 AS found FROM customers WHERE account_number = ?", [.text(account)]) != nil
    }

    static func line(_ row: DatabaseRow) -> CartLineRecord {
        CartLineRecord(
            lineId: row.string("line_id") ?? "",
            lineNumber: row.int("line_number") ?? 0,
            productId: row.int64("product_id") ?? 0,
            itemId: row.string("item_id") ?? "",
            quantity: row.decimal("quantity") ?? 0,
            price: row.decimal("price") ?? 0,
            extendedPrice: row.decimal("extended_price") ?? 0,
            discountAmount: row.decimal("discount_amount") ?? 0,
            taxAmount: row.decimal("tax_amount") ?? 0,
            netAmount: row.decimal("net_amount") ?? 0,
            totalAmount: row.decimal("total_amount") ?? 0,
            deliveryMode: row.string("delivery_mode"),
            shippingAddress: row.string("shipping_address")
        )
    }
}
