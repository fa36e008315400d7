public import Foundation
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

/// The media locations (images) of one product of the channel, in display order; nil when the
/// channel has no such product.
public struct GetMediaLocationsRequest: CommerceRequest {
    public typealias Response = Page<MediaLocation>?
    public static let typeName = "GetMediaLocationsRequest"
    public static let mode = RequestMode.read
    public var productId: Int64
    public var paging: PagingOptions

    public init(productId: Int64, paging: PagingOptions) {
        self.productId = productId
        self.paging = paging
    }
}

/// Reads a page of the categories the channel shows (its navigation hierarchy), names in the
/// request's language.
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

/// Reads one category of the channel's navigation hierarchy by record id; nil outside it.
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
                let records = try await store.products(
                    channelId: channelId, skip: request.paging.skip, top: request.paging.top, criteria: request.criteria, language: context.language
                )
                let count = request.paging.includeCount
                    ? try await store.productCount(channelId: channelId, criteria: request.criteria, language: context.language) : nil
                return Page(items: records.map(Product.init), totalCount: count)
            }
        }
        registry.register(GetProductRequest.self) { request, context in
            try await CatalogStore(context.transaction)
                .product(recordId: request.recordId, channelId: context.channel.recordId, language: context.language)
                .map(Product.init)
        }
        registry.register(GetMediaLocationsRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            guard let locations = try await store.mediaLocations(
                productId: request.productId, channelId: context.channel.recordId, skip: request.paging.skip, top: request.paging.top
            ) else { return nil }
            // The count is of the product's media, which are few: counted from a full read.
            let count = request.paging.includeCount
                ? try await store.mediaLocations(
                    productId: request.productId, channelId: context.channel.recordId, skip: 0, top: Int(Int32.max)
                )?.count
                : nil
            return Page(items: locations.map(MediaLocation.init), totalCount: count)
        }
        registry.register(GetCategoriesRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            return try await translatingQueryErrors {
                let channelId = context.channel.recordId
                let records = try await store.categories(
                    channelId: channelId, language: context.language, skip: request.paging.skip, top: request.paging.top, criteria: request.criteria
                )
                let count = request.paging.includeCount
                    ? try await store.categoryCount(channelId: channelId, language: context.language, criteria: request.criteria) : nil
                return Page(items: records.map(Category.init), totalCount: count)
            }
        }
        registry.register(GetCategoryRequest.self) { request, context in
            try await CatalogStore(context.transaction)
                .category(recordId: request.recordId, channelId: context.channel.recordId, language: context.language)
                .map(Category.init)
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

/// What `Products/Search` and `Products/GetRefinersByCriteria` look for: Retail Server's
/// `ProductSearchCriteria` as far as this engine searches.
public struct ProductSearchCriteria: Codable, Sendable, Hashable {
    /// Words and phrases matched against name, description, item id and attribute text; nil
    /// finds every product of the channel.
    public var searchText: SearchExpression?
    /// Products in any of these categories; empty means every category.
    public var categoryIds: [Int64]
    /// Whether a category also stands for the categories below it.
    public var includeProductsFromSubcategories: Bool
    /// Selected refiner values (Retail Server's `Refinement`): values of one refiner are
    /// alternatives, different refiners all apply.
    public var refinement: [ProductRefinement]

    public init(
        searchText: SearchExpression? = nil, categoryIds: [Int64] = [], includeProductsFromSubcategories: Bool = true,
        refinement: [ProductRefinement] = []
    ) {
        self.searchText = searchText
        self.categoryIds = categoryIds
        self.includeProductsFromSubcategories = includeProductsFromSubcategories
        self.refinement = refinement
    }
}

/// One selected refiner value.
public enum ProductRefinement: Codable, Sendable, Hashable {
    /// The attribute (by record id) has this text value.
    case attribute(id: Int64, value: String)
    /// The product is in this category or one below it.
    case category(Int64)
    /// The price is at least `minimum` and below `maximum`; nil bounds are open.
    case price(minimum: Decimal?, maximum: Decimal?)
}

/// Finds a page of the channel's products: by relevance when there is search text and no
/// ordering in `query`, then by record id.
public struct SearchProductsRequest: CommerceRequest {
    public typealias Response = Page<Product>
    public static let typeName = "SearchProductsRequest"
    public static let mode = RequestMode.read
    public var criteria: ProductSearchCriteria
    public var paging: PagingOptions
    /// `$filter` and `$orderby` on top of the search.
    public var query: QueryCriteria

    public init(criteria: ProductSearchCriteria, paging: PagingOptions, query: QueryCriteria = QueryCriteria()) {
        self.criteria = criteria
        self.paging = paging
        self.query = query
    }
}

/// The refiners (facets) of what a search finds, with product counts.
public struct GetProductRefinersRequest: CommerceRequest {
    public typealias Response = [ProductRefiner]
    public static let typeName = "GetProductRefinersRequest"
    public static let mode = RequestMode.read
    public var criteria: ProductSearchCriteria

    public init(criteria: ProductSearchCriteria) { self.criteria = criteria }
}

enum SearchHandlers {
    static func register(in registry: inout HandlerRegistry) {
        registry.register(SearchProductsRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            let channelId = context.channel.recordId
            let query = try await storeQuery(request.criteria, query: request.query, store: store)
            return try await translatingQueryErrors {
                let records = try await store.searchProducts(
                    channelId: channelId, skip: request.paging.skip, top: request.paging.top, search: query, language: context.language
                )
                let count = request.paging.includeCount
                    ? try await store.searchCount(channelId: channelId, search: query, language: context.language) : nil
                return Page(items: records.map(Product.init), totalCount: count)
            }
        }
        registry.register(GetProductRefinersRequest.self) { request, context in
            let store = CatalogStore(context.transaction)
            let query = try await storeQuery(request.criteria, query: QueryCriteria(), store: store)
            return try await translatingQueryErrors {
                try await store.refiners(channelId: context.channel.recordId, search: query, language: context.language).map(ProductRefiner.init)
            }
        }
    }

    /// The store's query for `criteria`, after checking what the database cannot: refinements
    /// name refinable attributes and price ranges that are not empty.
    static func storeQuery(_ criteria: ProductSearchCriteria, query: QueryCriteria, store: CatalogStore) async throws -> ProductSearchQuery {
        var refinable: Set<Int64>?
        for (index, refinement) in criteria.refinement.enumerated() {
            let target = "searchCriteria/Refinement/\(index)"
            switch refinement {
            case .attribute(let id, _):
                if refinable == nil { refinable = try await store.refinableAttributeIds() }
                guard refinable?.contains(id) == true else {
                    throw CommerceError.invalidRequest("there is no refinable attribute with RecordId \(id)", target: target + "/RefinerRecordId")
                }
            case .price(let minimum?, let maximum?) where minimum >= maximum:
                throw CommerceError.invalidRequest("the price range is empty: its lower bound is not below its upper bound", target: target)
            case .category, .price:
                break
            }
        }
        let refinements = criteria.refinement.map { refinement -> ProductRefinementValue in
            switch refinement {
            case .attribute(let id, let value): .attribute(id: id, value: value)
            case .category(let id): .category(id)
            case .price(let minimum, let maximum): .price(minimum: minimum, maximum: maximum)
            }
        }
        return ProductSearchQuery(
            text: criteria.searchText, categoryIds: criteria.categoryIds, includeSubcategories: criteria.includeProductsFromSubcategories,
            refinements: refinements, criteria: QueryCriteria(filter: query.filter, orderBy: query.orderBy)
        )
    }
}
