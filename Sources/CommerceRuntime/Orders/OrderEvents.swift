import Foundation
import ChannelDatabase

/// The channel's order events after a watermark, for headquarters to pull (data exchange
/// upload). Headquarters keeps the last `Sequence` it stored and asks again from there: a
/// repeated pull answers the same events, and an event is never numbered below one already
/// handed out, so nothing is lost or handed out twice, across restarts and hosts.
/// Applications only.
public struct GetOrderEventsRequest: CommerceRequest {
    public typealias Response = OrderEventPage
    public static let typeName = "GetOrderEventsRequest"
    // Handing events out numbers them, which writes.
    public static let mode = RequestMode.write
    public var afterSequence: Int64
    public var limit: Int

    public init(afterSequence: Int64, limit: Int = 500) {
        self.afterSequence = afterSequence
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case afterSequence = "AfterSequence"
        case limit = "Limit"
    }
}

public struct OrderEventPage: Codable, Sendable, Equatable {
    public var events: [OrderEvent]
    /// The watermark to ask from next: the last event's sequence, or the one asked from when
    /// there was nothing new.
    public var lastSequence: Int64

    enum CodingKeys: String, CodingKey {
        case events = "Events"
        case lastSequence = "LastSequence"
    }
}

public struct OrderEvent: Codable, Sendable, Equatable {
    public var sequence: Int64
    public var salesOrderId: String
    public var salesId: String
    /// `Created` when checkout made the order.
    public var eventType: String
    public var statusValue: Int
    /// ISO 8601 in UTC.
    public var occurredDateTime: String

    enum CodingKeys: String, CodingKey {
        case sequence = "Sequence"
        case salesOrderId = "SalesOrderId"
        case salesId = "SalesId"
        case eventType = "EventType"
        case statusValue = "StatusValue"
        case occurredDateTime = "OccurredDateTime"
    }
}

enum OrderEventHandlers {
    static let maximumPage = 1_000

    static func register(in registry: inout HandlerRegistry) {
        registry.register(GetOrderEventsRequest.self) { request, context in
            guard case .application = context.caller else {
                throw CommerceError(.forbidden, code: "Forbidden", "order events are for applications (data exchange) only")
            }
            guard request.afterSequence >= 0, (1...maximumPage).contains(request.limit) else {
                throw CommerceError.invalidRequest(
                    "AfterSequence must be 0 or more and Limit between 1 and \(maximumPage)", target: request.afterSequence < 0 ? "AfterSequence" : "Limit"
                )
            }
            let store = OrderEventStore(context.transaction)
            try await store.number(channelId: context.channel.recordId, limit: request.limit)
            let events = try await store.events(channelId: context.channel.recordId, after: request.afterSequence, limit: request.limit)
            return OrderEventPage(
                events: events.map { event in
                    OrderEvent(
                        sequence: event.sequence ?? 0, salesOrderId: event.orderId, salesId: event.salesId, eventType: event.eventType,
                        statusValue: event.status, occurredDateTime: SalesOrder.timestamp(event.occurredAt)
                    )
                },
                lastSequence: events.last?.sequence ?? request.afterSequence
            )
        }
    }
}
