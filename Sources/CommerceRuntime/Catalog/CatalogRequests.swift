import ChannelDatabase

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

    public init(paging: PagingOptions) { self.paging = paging }
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

    public init(paging: PagingOptions) { self.paging = paging }
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
            let records = try await store.products(channelId: channelId, skip: request.paging.skip, top: request.paging.top)
            let count = request.paging.includeCount ? try await store.productCount(channelId: channelId) : nil
            return Page(items: records.map(Product.init), totalCount: count)
        }
        registry.register(GetProductRequest.self) { request, context in
            try await CatalogStore(context.transaction).product(recordId: request.recordId, channelId: context.channel.recordId).map(Product.init)
        }
        registry.register(GetCategoriesRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            let records = try await store.categories(skip: request.paging.skip, top: request.paging.top)
            let count = request.paging.includeCount ? try await store.categoryCount() : nil
            return Page(items: records.map(Category.init), totalCount: count)
        }
        registry.register(GetCategoryRequest.self) { request, context in
            try await CatalogStore(context.transaction).category(recordId: request.recordId).map(Category.init)
        }
    }
}
