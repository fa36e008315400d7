import ChannelDatabase
public import CommerceQuery

/// A page of entities, with the total count when it was asked for.
public struct Page<Element: Codable & Sendable>: Codable, Sendable {
    public var items: [Element]
    public var totalCount: Int?

    public init(items: [Element], totalCount: Int?) {
        self.items = items
        self.totalCount = totalCount
    }
}

/// How much of a list to read; the database pages, the caller never gets a whole table.
public struct PagingOptions: Codable, Sendable, Equatable {
    public var skip: Int
    public var top: Int
    public var includeCount: Bool

    public init(skip: Int = 0, top: Int, includeCount: Bool = false) {
        self.skip = skip
        self.top = top
        self.includeCount = includeCount
    }
}

/// Reads a page of the channel's products.
public struct GetProductsRequest: CommerceRequest {
    public typealias Response = Page<Product>
    public static let typeName = "GetProductsRequest"
    public static let mode = RequestMode.read
    public var paging: PagingOptions
    /// Filter, search and order; empty reads all in record-id order.
    public var criteria: QueryCriteria

    public init(paging: PagingOptions, criteria: QueryCriteria = QueryCriteria()) {
        self.paging = paging
        self.criteria = criteria
    }
}

/// Reads one product of the channel by its record id; answers nil when the channel has none.
public struct GetProductRequest: CommerceRequest {
    public typealias Response = Product?
    public static let typeName = "GetProductRequest"
    public static let mode = RequestMode.read
    public var recordId: Int64

    public init(recordId: Int64) { self.recordId = recordId }
}

/// Reads a page of categories.
public struct GetCategoriesRequest: CommerceRequest {
    public typealias Response = Page<Category>
    public static let typeName = "GetCategoriesRequest"
    public static let mode = RequestMode.read
    public var paging: PagingOptions
    /// Filter, search and order; empty reads all in record-id order.
    public var criteria: QueryCriteria

    public init(paging: PagingOptions, criteria: QueryCriteria = QueryCriteria()) {
        self.paging = paging
        self.criteria = criteria
    }
}

/// Reads one category by record id.
public struct GetCategoryRequest: CommerceRequest {
    public typealias Response = Category?
    public static let typeName = "GetCategoryRequest"
    public static let mode = RequestMode.read
    public var recordId: Int64

    public init(recordId: Int64) { self.recordId = recordId }
}

enum CatalogHandlers {
    static func register(in registry: inout HandlerRegistry) {
        registry.register(GetProductsRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            let channelId = context.channel.recordId
            return try await translatingQueryErrors {
                let records = try await store.products(channelId: channelId, skip: request.paging.skip, top: request.paging.top, criteria: request.criteria)
                let count = request.paging.includeCount ? try await store.productCount(channelId: channelId, criteria: request.criteria) : nil
                return Page(items: records.map(Product.init), totalCount: count)
            }
        }
        registry.register(GetProductRequest.self) { request, context in
            try await CatalogStore(context.transaction).product(recordId: request.recordId, channelId: context.channel.recordId).map(Product.init)
        }
        registry.register(GetCategoriesRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            return try await translatingQueryErrors {
                let records = try await store.categories(skip: request.paging.skip, top: request.paging.top, criteria: request.criteria)
                let count = request.paging.includeCount ? try await store.categoryCount(criteria: request.criteria) : nil
                return Page(items: records.map(Category.init), totalCount: count)
            }
        }
        registry.register(GetCategoryRequest.self) { request, context in
            try await CatalogStore(context.transaction).category(recordId: request.recordId).map(Category.init)
        }
    }
}

/// Criteria the store cannot translate (an unknown property, a type mismatch) are the caller's
/// mistake: a 400 naming the problem, not an internal error.
func translatingQueryErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as QueryTranslationError {
        throw CommerceError.invalidRequest(error.message, target: error.target)
    }
}
