public import Foundation

/// Stock per product and warehouse: what is on hand and what orders have reserved of it.
public struct InventoryStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// The warehouses a channel sells from, its default warehouse first.
    public func warehouses(channelId: Int64, defaultWarehouse: String?) async throws -> [String] {
        let all = try await transaction.query(
            "SELECT warehouse_id FROM channel_warehouses WHERE channel_id = ? ORDER BY warehouse_id", [.integer(channelId)]
        ).compactMap { $0.string("warehouse_id") }
        guard let preferred = defaultWarehouse else { return all }
        return [preferred] + all.filter { $0 != preferred }
    }

    /// Reserves `quantity` of a product in one warehouse when that much is still available there;
    /// answers false (and changes nothing) when it is not.
    ///
    /// One conditional UPDATE, never a read and then a write: concurrent checkouts for the last
    /// units cannot both see them available. PostgreSQL re-checks the condition on the row
    /// after a concurrent writer commits; SQLite runs writers one at a time.
    /// `evenIfShort` reserves whatever is there (a backorder), creating the stock row if needed.
    @discardableResult
    public func reserve(productId: Int64, warehouseId: String, quantity: Decimal, evenIfShort: Bool = false) async throws -> Bool {
        let amount = try DatabaseValue.decimal(quantity)
        if evenIfShort {
            try await transaction.execute(
                """
                INSERT INTO stock (product_id, warehouse_id, on_hand, reserved) VALUES (?, ?, 0, ?)
                ON CONFLICT (product_id, warehouse_id) DO UPDATE SET reserved = stock.reserved + excluded.reserved
                """,
                [.integer(productId), .text(warehouseId), amount]
            )
            return true
        }
        return try await transaction.execute(
            "UPDATE stock SET reserved = reserved + ? WHERE product_id = ? AND warehouse_id = ? AND on_hand - reserved >= ?",
            [amount, .integer(productId), .text(warehouseId), amount]
        ) == 1
    }

    /// Gives a reservation back (an order cancelled).
    public func release(productId: Int64, warehouseId: String, quantity: Decimal) async throws {
        let amount = try DatabaseValue.decimal(quantity)
        try await transaction.execute(
            "UPDATE stock SET reserved = reserved - ? WHERE product_id = ? AND warehouse_id = ?", [amount, .integer(productId), .text(warehouseId)]
        )
    }

    /// Takes reserved units out of stock (an order invoiced, its goods gone): on hand and
    /// reserved both drop.
    public func issue(productId: Int64, warehouseId: String, quantity: Decimal) async throws {
        let amount = try DatabaseValue.decimal(quantity)
        try await transaction.execute(
            "UPDATE stock SET on_hand = on_hand - ?, reserved = reserved - ? WHERE product_id = ? AND warehouse_id = ?",
            [amount, amount, .integer(productId), .text(warehouseId)]
        )
    }

    /// On hand minus reserved, summed over the given warehouses (all when empty).
    public func available(productId: Int64, warehouses: [String] = []) async throws -> Decimal {
        var sql = "SELECT on_hand, reserved FROM stock WHERE product_id = ?"
        var arguments: [DatabaseValue] = [.integer(productId)]
        if !warehouses.isEmpty {
            sql += " AND warehouse_id IN (" + Array(repeating: "?", count: warehouses.count).joined(separator: ", ") + ")"
            arguments += warehouses.map(DatabaseValue.text)
        }
        return try await transaction.query(sql, arguments).reduce(Decimal(0)) { sum, row in
            sum + (row.decimal("on_hand") ?? 0) - (row.decimal("reserved") ?? 0)
        }
    }

    /// Sets what is on hand and clears reservations (master data, tests).
    public func setOnHand(productId: Int64, warehouseId: String, quantity: Decimal) async throws {
        let updated = try await transaction.execute(
            "UPDATE stock SET on_hand = ?, reserved = 0 WHERE product_id = ? AND warehouse_id = ?",
            [try .decimal(quantity), .integer(productId), .text(warehouseId)]
        )
        if updated == 0 {
            try await transaction.execute(
                "INSERT INTO stock (product_id, warehouse_id, on_hand, reserved) VALUES (?, ?, ?, 0)",
                [.integer(productId), .text(warehouseId), try .decimal(quantity)]
            )
        }
    }
}
