/// What a collection read asks for beyond paging: which rows (`filter`, `search`) in which
/// order. Carried unchanged from the API through the CRT to the store that translates it, so
/// extensions see (and may change) the same criteria in a request's JSON.
public struct QueryCriteria: Codable, Sendable, Hashable {
    public var filter: QueryExpression?
    public var orderBy: [OrderByItem]
    public var search: SearchExpression?

    public init(filter: QueryExpression? = nil, orderBy: [OrderByItem] = [], search: SearchExpression? = nil) {
        self.filter = filter
        self.orderBy = orderBy
        self.search = search
    }

    public var isEmpty: Bool { filter == nil && orderBy.isEmpty && search == nil }
}
