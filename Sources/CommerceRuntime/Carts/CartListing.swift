public import CommerceQuery
import ChannelDatabase

/// A page of the channel's live carts: a customer's own only, every cart of the channel for
/// applications and employees. Anonymous callers list nothing (`Unauthorized`): their carts are
/// reachable only by their unguessable id. Last changed first unless `criteria` orders otherwise.
public struct GetCartsRequest: CommerceRequest {
    public typealias Response = Page<Cart>
    public static let typeName = "GetCartsRequest"
    public static let mode = RequestMode.read
    public var paging: PagingOptions
    public var criteria: QueryCriteria

    public init(paging: PagingOptions, criteria: QueryCriteria = QueryCriteria()) {
        self.paging = paging
        self.criteria = criteria
    }
}

extension CartHandlers {
    static func registerListing(in registry: inout HandlerRegistry) {
        registry.register(GetCartsRequest.self) { request, context in
            let customer: String?
            switch context.caller {
            case .anonymous: throw CommerceError(.unauthorized, code: "Unauthorized", "listing carts needs an authenticated caller")
            case .customer(let account): customer = account
            case .application, .employee: customer = nil
            }
            // Expired carts are gone for reads by id; the listing leaves them out the same way.
            let since = context.settings.cartIdleSeconds.map { PricingHandlers.currentInstant() - $0 * 1_000 }
            let store = CartStore(context.transaction)
            let channelId = context.channel.recordId
            let paging = request.paging
            return try await translatingQueryErrors {
                let records = try await store.carts(
                    channelId: channelId, customer: customer, modifiedSince: since, skip: paging.skip, top: paging.top, criteria: request.criteria
                )
                let count = paging.includeCount
                    ? try await store.cartCount(channelId: channelId, customer: customer, modifiedSince: since, criteria: request.criteria) : nil
                var carts = try records.map { try CartHandlers.cart(from: $0, decimals: context.channel.currencyDecimals) }
                try await StoredProperties.attach(to: &carts, context: context)
                return Page(items: carts, totalCount: count)
            }
        }
    }
}
