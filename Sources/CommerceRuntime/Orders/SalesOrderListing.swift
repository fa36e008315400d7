public import CommerceQuery
import ChannelDatabase

/// A page of the channel's sales orders: a customer's own only, every order of the channel for
/// applications and employees. Newest first unless `criteria` orders otherwise.
public struct GetSalesOrdersRequest: CommerceRequest {
    public typealias Response = Page<SalesOrder>
    public static let typeName = "GetSalesOrdersRequest"
    public static let mode = RequestMode.read
    public var paging: PagingOptions
    public var criteria: QueryCriteria

    public init(paging: PagingOptions, criteria: QueryCriteria = QueryCriteria()) {
        self.paging = paging
        self.criteria = criteria
    }
}

extension OrderHandlers {
    static func registerListing(in registry: inout HandlerRegistry) {
        registry.register(GetSalesOrdersRequest.self) { request, context in
            let customer: String?
            switch context.caller {
            case .anonymous: throw CommerceError(.unauthorized, code: "Unauthorized", "listing sales orders needs an authenticated caller")
            case .customer(let account): customer = account
            case .application, .employee: customer = nil
            }
            return try await page(customer: customer, paging: request.paging, criteria: request.criteria, context: context)
        }
    }

    /// One page of the channel's orders, of `customer` only when given: the condition is part of
    /// the SQL, so a customer's page never holds another's order, whatever `criteria` says.
    static func page(customer: String?, paging: PagingOptions, criteria: QueryCriteria, context: RequestContext) async throws -> Page<SalesOrder> {
        let store = OrderStore(context.transaction)
        let channelId = context.channel.recordId
        return try await translatingQueryErrors {
            let records = try await store.orders(channelId: channelId, customer: customer, skip: paging.skip, top: paging.top, criteria: criteria)
            let count = paging.includeCount ? try await store.orderCount(channelId: channelId, customer: customer, criteria: criteria) : nil
            var orders = records.map(SalesOrder.init)
            try await StoredProperties.attach(to: &orders, context: context)
            return Page(items: orders, totalCount: count)
        }
    }
}
