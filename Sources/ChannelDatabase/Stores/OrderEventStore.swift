/// Something that happened to a sales order, as headquarters pulls it.
public struct OrderEventRecord: Sendable, Equatable {
    /// The event's place in its channel's feed; nil until the event is handed out.
    public var sequence: Int64?
    public var orderId: String
    public var salesId: String
    /// `Created`, `StatusChanged`, ...
    public var eventType: String
    /// The order's status after the event (Retail Server's `SalesStatus` value).
    public var status: Int
    public var occurredAt: Int64

    public init(sequence: Int64? = nil, orderId: String, salesId: String, eventType: String, status: Int, occurredAt: Int64) {
        self.sequence = sequence
        self.orderId = orderId
        self.salesId = salesId
        self.eventType = eventType
        self.status = status
        self.occurredAt = occurredAt
    }
}

/// The feed of order events per channel: written in the transaction that changes the order,
/// read by data exchange after a watermark.
///
/// Events get their feed numbers when they are handed out, not when they are written. Number
/// assignment is serialized by a lock on the channel's `OrderEvents` row of `number_sequences`
/// and, under that lock, sees every event committed so far; so a number is never given to an
/// event while an event that committed earlier waits without one, and a reader that has seen
/// number N will never find a new event at N or below. Concurrent checkouts never wait for
/// each other here: they only insert.
public struct OrderEventStore: Sendable {
    private let transaction: any DatabaseTransaction
    static let sequenceName = "OrderEvents"

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    public func record(_ event: OrderEventRecord, channelId: Int64) async throws {
        let statement = Self.recordStatement(event, channelId: channelId)
        try await transaction.execute(statement.sql, statement.arguments)
    }

    public static func recordStatement(_ event: OrderEventRecord, channelId: Int64) -> SQLFragment {
        SQLFragment(
            sql: """
                INSERT INTO order_events (channel_id, order_id, sales_id, event_type, status, occurred_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                .integer(channelId), .text(event.orderId), .text(event.salesId), .text(event.eventType), .integer(Int64(event.status)),
                .integer(event.occurredAt),
            ]
        )
    }

    /// Numbers up to `limit` events not handed out yet, oldest first, continuing the channel's
    /// feed. Needs a write transaction.
    public func number(channelId: Int64, limit: Int) async throws {
        // Taking the row lock first is what serializes numbering; on PostgreSQL (read
        // committed) the statements after it see every event committed before the lock.
        var next: Int64
        if try await transaction.execute(
            "UPDATE number_sequences SET next_value = next_value WHERE channel_id = ? AND name = ?", [.integer(channelId), .text(Self.sequenceName)]
        ) == 0 {
            try await transaction.execute(
                "INSERT INTO number_sequences (channel_id, name, next_value) VALUES (?, ?, 1)", [.integer(channelId), .text(Self.sequenceName)]
            )
            next = 1
        } else {
            next = try await transaction.queryFirst(
                "SELECT next_value FROM number_sequences WHERE channel_id = ? AND name = ?", [.integer(channelId), .text(Self.sequenceName)]
            )?.int64("next_value") ?? 1
        }
        let pending = try await transaction.query(
            "SELECT event_id FROM order_events WHERE channel_id = ? AND sequence IS NULL ORDER BY event_id LIMIT ?",
            [.integer(channelId), .integer(Int64(limit))]
        ).compactMap { $0.int64("event_id") }
        guard !pending.isEmpty else { return }
        for eventId in pending {
            try await transaction.execute("UPDATE order_events SET sequence = ? WHERE event_id = ?", [.integer(next), .integer(eventId)])
            next += 1
        }
        try await transaction.execute(
            "UPDATE number_sequences SET next_value = ? WHERE channel_id = ? AND name = ?", [.integer(next), .integer(channelId), .text(Self.sequenceName)]
        )
    }

    /// Numbered events after `sequence`, in feed order.
    public func events(channelId: Int64, after sequence: Int64, limit: Int) async throws -> [OrderEventRecord] {
        try await transaction.query(
            """
            SELECT sequence, order_id, sales_id, event_type, status, occurred_at FROM order_events
            WHERE channel_id = ? AND sequence > ? ORDER BY sequence LIMIT ?
            """,
            [.integer(channelId), .integer(sequence), .integer(Int64(limit))]
        ).map { row in
            OrderEventRecord(
                sequence: row.int64("sequence"), orderId: row.string("order_id") ?? "", salesId: row.string("sales_id") ?? "",
                eventType: row.string("event_type") ?? "", status: row.int("status") ?? 0, occurredAt: row.int64("occurred_at") ?? 0
            )
        }
    }
}
