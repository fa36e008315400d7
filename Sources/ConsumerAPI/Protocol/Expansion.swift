import CommerceQuery
import CommerceRuntime
import HTTPTypes

/// An entity the API writes and can expand from.
protocol ODataEntity: Sendable {
    static var entityTypeName: String { get }
    /// The key as it appears in a URL: `5637145327`, `'abc'`.
    var keyText: String { get }
    func writeProperties(_ select: PropertySelection, into writer: inout JSONWriter)
    /// The entity's ETag when it has a version of its own (`W/"3"`); nil: a digest of its JSON.
    var etag: String? { get }
}

extension ODataEntity {
    var etag: String? { nil }
}

extension Product: ODataEntity {
    static var entityTypeName: String { "Product" }
    var keyText: String { "\(recordId)" }
    func writeProperties(_ select: PropertySelection, into writer: inout JSONWriter) { EntityJSON.writeProperties(self, select, &writer) }
}

extension Category: ODataEntity {
    static var entityTypeName: String { "Category" }
    var keyText: String { "\(recordId)" }
    func writeProperties(_ select: PropertySelection, into writer: inout JSONWriter) { EntityJSON.writeProperties(self, select, &writer) }
}

extension Cart: ODataEntity {
    static var entityTypeName: String { "Cart" }
    var keyText: String { "'\(id)'" }
    var etag: String? { CartsController.etag(of: self) }
    func writeProperties(_ select: PropertySelection, into writer: inout JSONWriter) { CartsController.writeProperties(self, select, &writer) }
}

extension SalesOrder: ODataEntity {
    static var entityTypeName: String { "SalesOrder" }
    var keyText: String { "'\(id)'" }
    func writeProperties(_ select: PropertySelection, into writer: inout JSONWriter) { SalesOrdersController.writeProperties(self, select, &writer) }
}

extension Customer: ODataEntity {
    static var entityTypeName: String { "Customer" }
    var keyText: String { "'\(accountNumber)'" }
    var etag: String? { CustomersController.etag(of: self) }
    func writeProperties(_ select: PropertySelection, into writer: inout JSONWriter) { CustomersController.writeProperties(self, select, &writer) }
}

/// One `$expand` item checked against the model: the navigation property, what to select of
/// its target and the items nested in it.
struct ResolvedExpand: Sendable {
    let navigation: EdmNavigationProperty
    let item: ExpandItem
    let select: PropertySelection
    let children: [ResolvedExpand]

    /// `Categories(Name)` for the context URL; `Categories()` when every property is selected.
    var contextItem: String {
        let inner = (select.names ?? []) + children.map(\.contextItem)
        return navigation.name + "(" + inner.joined(separator: ",") + ")"
    }
}

/// What a navigation property reaches from one entity.
struct NavigationValue: Sendable {
    var entities: [any ODataEntity]
    var count: Int?
    var nextLink: String?
}

/// The expanded values of one level: per navigation property, per parent key, and the level
/// below for the entities reached.
struct ExpandedLevel: Sendable {
    var values: [String: [String: NavigationValue]] = [:]
    var below: [String: ExpandedLevel] = [:]

    static let none = ExpandedLevel()

    /// Writes the expanded navigation properties of `entity` as members of the open object.
    func write(_ entity: any ODataEntity, _ expands: [ResolvedExpand], into writer: inout JSONWriter) {
        for expand in expands {
            let name = expand.navigation.name
            let value = values[name]?[entity.keyText] ?? NavigationValue(entities: [])
            if expand.item.count { writer.field("\(name)@odata.count", Int64(value.count ?? value.entities.count)) }
            writer.key(name)
            writer.beginArray()
            let level = below[name] ?? .none
            for child in value.entities {
                writer.beginObject()
                child.writeProperties(expand.select, into: &writer)
                level.write(child, expand.children, into: &writer)
                writer.endObject()
            }
            writer.endArray()
            if let next = value.nextLink { writer.field("\(name)@odata.nextLink", next) }
        }
    }
}

extension APICall {
    /// The call's `$expand` for `entityType`, checked against the model: unknown navigation
    /// properties and nested `$select` names are a 400, `$levels` a 501.
    func expansion(of entityType: String) throws -> [ResolvedExpand] {
        try resolve(options.expand, on: entityType)
    }

    private func resolve(_ items: [ExpandItem], on entityType: String) throws -> [ResolvedExpand] {
        guard !items.isEmpty, let type = model.entityType(named: entityType) else { return [] }
        var resolved: [ResolvedExpand] = []
        for item in items {
            if item.levels != nil { throw ODataError.notImplemented("$levels in $expand is not implemented yet") }
            let navigations: [EdmNavigationProperty]
            if item.path == ["*"] {
                navigations = type.navigationProperties
            } else {
                guard item.path.count == 1, let navigation = type.navigationProperties.first(where: { $0.name == item.path[0] }) else {
                    throw ODataError.badRequest(
                        "\(entityType) has no navigation property '\(item.path.joined(separator: "/"))' to expand", target: "$expand"
                    )
                }
                navigations = [navigation]
            }
            for navigation in navigations where !resolved.contains(where: { $0.navigation.name == navigation.name }) {
                try authorizeReading(navigation.target)
                resolved.append(ResolvedExpand(
                    navigation: navigation, item: item, select: try selection(of: navigation.target, paths: item.select),
                    children: try resolve(item.expand, on: navigation.target)
                ))
            }
        }
        return resolved
    }

    /// What a navigation reaches is read only when the caller's role (and an application's
    /// scopes) may read the entity set of its type, as if it had asked that set directly.
    func authorizeReading(_ entityType: String) throws {
        guard let set = model.entitySets.first(where: { $0.entityType == entityType }) else {
            throw ODataError.notImplemented("\(entityType) is not served by an entity set")
        }
        try authorize(roles: set.roles, scope: set.applicationScope, what: set.name, verb: "read")
    }

    /// Fetches what `expands` reach from `parents`, level by level: one query per navigation
    /// property and level where the store can answer for all parents at once, else one per
    /// parent, each bounded by the page size.
    func expand<Entity: ODataEntity>(_ parents: ArraySlice<Entity>, _ expands: [ResolvedExpand]) async throws -> ExpandedLevel {
        // Nearly every read expands nothing: then the page is not boxed entity by entity.
        guard !expands.isEmpty else { return .none }
        return try await expand(parents.map { $0 as any ODataEntity }, expands)
    }

    func expand(_ parents: [any ODataEntity], _ expands: [ResolvedExpand]) async throws -> ExpandedLevel {
        var level = ExpandedLevel()
        guard !parents.isEmpty else { return level }
        for expand in expands {
            let values = try await navigate(expand, from: parents)
            level.values[expand.navigation.name] = values
            if !expand.children.isEmpty {
                var seen: Set<String> = []
                var reached: [any ODataEntity] = []
                for value in values.values {
                    for entity in value.entities where seen.insert(entity.keyText).inserted { reached.append(entity) }
                }
                level.below[expand.navigation.name] = try await self.expand(reached, expand.children)
            }
        }
        return level
    }

    private func navigate(_ expand: ResolvedExpand, from parents: [any ODataEntity]) async throws -> [String: NavigationValue] {
        switch (type(of: parents[0]).entityTypeName, expand.navigation.name) {
        case ("Product", "Categories"):
            return try await categoriesOfProducts(parents.compactMap { $0 as? Product }, expand.item)
        case ("Category", "Products"):
            var values: [String: NavigationValue] = [:]
            for category in parents.compactMap({ $0 as? Category }) {
                values[category.keyText] = try await productsOfCategory(category.recordId, expand.item)
            }
            return values
        default:
            throw ODataError.notImplemented("$expand of \(expand.navigation.name) is not implemented yet")
        }
    }

    /// Every product's categories in one query (their ids are on the products), then split per
    /// product with the nested `$skip`/`$top` applied to each.
    private func categoriesOfProducts(_ products: [Product], _ item: ExpandItem) async throws -> [String: NavigationValue] {
        let ids = Array(Set(products.flatMap(\.categoryIds))).sorted()
        var found: [Category] = []
        if !ids.isEmpty {
            let criteria = Self.restricted(item.criteria, to: .inList(.property(["RecordId"]), ids.map { .literal(.integer($0)) }))
            found = try await runtime.execute(
                GetCategoriesRequest(paging: PagingOptions(top: ids.count), criteria: criteria), channel: channel, caller: caller, language: language
            ).items
        }
        var values: [String: NavigationValue] = [:]
        for product in products {
            let own = Set(product.categoryIds)
            let matching = found.filter { own.contains($0.recordId) }
            let page = matching.dropFirst(item.skip).prefix(item.top ?? matching.count)
            values[product.keyText] = NavigationValue(entities: Array(page), count: matching.count)
        }
        return values
    }

    private func productsOfCategory(_ categoryId: Int64, _ item: ExpandItem) async throws -> NavigationValue {
        let limit = min(item.top ?? apiOptions.maxPageSize, apiOptions.maxPageSize)
        let paged = item.top.map { $0 > apiOptions.maxPageSize } ?? true
        let page = try await runtime.execute(
            GetProductsRequest(
                paging: PagingOptions(skip: item.skip, top: paged ? limit + 1 : limit, includeCount: item.count),
                criteria: Self.restricted(item.criteria, to: Self.inCategory(categoryId))
            ),
            channel: channel, caller: caller, language: language
        )
        var next: String?
        if page.items.count > limit {
            var query = item.rawOptions.filter { !$0.hasPrefix("$skip=") && !$0.hasPrefix("$top=") }.map { option in
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                return QueryOptions.encode(parts[0]) + "=" + QueryOptions.encode(parts.count > 1 ? parts[1] : "")
            }
            query.append("$skip=\(item.skip + limit)")
            if let top = item.top { query.append("$top=\(top - limit)") }
            next = "\(serviceRoot)/Categories(\(categoryId))/Products?" + query.joined(separator: "&")
        }
        return NavigationValue(entities: Array(page.items.prefix(limit)), count: page.totalCount, nextLink: next)
    }

    /// Products assigned to a category (directly, as `CategoryIds` lists them).
    static func inCategory(_ categoryId: Int64) -> QueryExpression {
        .lambda(.any, collection: .property(["CategoryIds"]), variable: "c", predicate: .binary(.eq, .lambdaVariable(name: "c", path: []), .literal(.integer(categoryId))))
    }

    /// `criteria` with `condition` added to its filter.
    static func restricted(_ criteria: QueryCriteria, to condition: QueryExpression) -> QueryCriteria {
        var result = criteria
        result.filter = criteria.filter.map { .binary(.and, condition, $0) } ?? condition
        return result
    }
}
