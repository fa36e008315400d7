import CommerceQuery
import CommerceRuntime
import Hummingbird

/// `Products`: the channel's sellable products and variants.
enum ProductsController {
    static func handle(_ call: APICall) async throws -> Response {
        try call.requireMethods([.get], resource: "Products")
        switch (call.path.key, call.path.rest) {
        case (nil, []):
            let select = try call.selection(of: "Product")
            let (paging, pageSize) = call.paging()
            let page = try await call.runtime.execute(
                GetProductsRequest(paging: paging, criteria: call.options.criteria), channel: call.channel, caller: call.caller
            )
            return call.collectionResponse(page, pageSize: pageSize, select: select) { EntityJSON.writeProperties($0, select, to: &$1) }
        case (nil, ["$count"]):
            let page = try await call.runtime.execute(
                GetProductsRequest(paging: PagingOptions(top: 0, includeCount: true), criteria: QueryCriteria(filter: call.options.criteria.filter, search: call.options.criteria.search)),
                channel: call.channel, caller: call.caller
            )
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: .init(string: "\(page.totalCount ?? 0)")))
        case (.integer(let id), []):
            let select = try call.selection(of: "Product")
            guard let product = try await call.runtime.execute(GetProductRequest(recordId: id), channel: call.channel, caller: call.caller) else {
                throw ODataError.notFound("the channel has no product with RecordId \(id)")
            }
            return call.entityResponse(product, select: select) { EntityJSON.writeProperties($0, select, to: &$1) }
        case (.string, _):
            throw ODataError.badRequest("the key of Products is RecordId, an Edm.Int64", target: "RecordId")
        case (_, let rest):
            throw ODataError.notImplemented("Products/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }
}

/// `Categories`: the category tree.
enum CategoriesController {
    static func handle(_ call: APICall) async throws -> Response {
        try call.requireMethods([.get], resource: "Categories")
        switch (call.path.key, call.path.rest) {
        case (nil, []):
            let select = try call.selection(of: "Category")
            let (paging, pageSize) = call.paging()
            let page = try await call.runtime.execute(
                GetCategoriesRequest(paging: paging, criteria: call.options.criteria), channel: call.channel, caller: call.caller
            )
            return call.collectionResponse(page, pageSize: pageSize, select: select) { EntityJSON.writeProperties($0, select, to: &$1) }
        case (nil, ["$count"]):
            let page = try await call.runtime.execute(
                GetCategoriesRequest(paging: PagingOptions(top: 0, includeCount: true), criteria: QueryCriteria(filter: call.options.criteria.filter, search: call.options.criteria.search)),
                channel: call.channel, caller: call.caller
            )
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: .init(string: "\(page.totalCount ?? 0)")))
        case (.integer(let id), []):
            let select = try call.selection(of: "Category")
            guard let category = try await call.runtime.execute(GetCategoryRequest(recordId: id), channel: call.channel, caller: call.caller) else {
                throw ODataError.notFound("there is no category with RecordId \(id)")
            }
            return call.entityResponse(category, select: select) { EntityJSON.writeProperties($0, select, to: &$1) }
        case (.string, _):
            throw ODataError.badRequest("the key of Categories is RecordId, an Edm.Int64", target: "RecordId")
        case (_, let rest):
            throw ODataError.notImplemented("Categories/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }
}

extension APICall {
    /// A collection response: context, optional count, one page of entities, next link.
    func collectionResponse<Entity>(_ page: Page<Entity>, pageSize: Int, select: PropertySelection, write: (Entity, inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter(capacity: 512 * min(page.items.count + 1, 64))
        writer.beginObject()
        writer.field("@odata.context", "\(serviceRoot)/$metadata#\(path.entitySet)\(select.contextSuffix)")
        if let count = page.totalCount { writer.field("@odata.count", Int64(count)) }
        writer.key("value")
        writer.beginArray()
        for entity in page.items.prefix(pageSize) {
            writer.beginObject()
            write(entity, &writer)
            writer.endObject()
        }
        writer.endArray()
        if let next = nextLink(received: page.items.count, pageSize: pageSize) { writer.field("@odata.nextLink", next) }
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok)
    }

    /// A single-entity response with its context.
    func entityResponse<Entity>(_ entity: Entity, select: PropertySelection, write: (Entity, inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("@odata.context", "\(serviceRoot)/$metadata#\(path.entitySet)\(select.contextSuffix)/$entity")
        write(entity, &writer)
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok)
    }
}
