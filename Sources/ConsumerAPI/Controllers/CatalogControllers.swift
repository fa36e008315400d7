import Foundation
import HTTPTypes
import ChannelDatabase
import CommerceQuery
import CommerceRuntime
import Hummingbird

/// `Products`: the channel's sellable products and variants.
enum ProductsController {
    static func handle(_ call: APICall) async throws -> Response {
        call.inLanguage(try await route(call))
    }

    private static func route(_ call: APICall) async throws -> Response {
        if let operation = try call.boundOperation(entityType: "Product") {
            switch operation.name {
            case "GetMediaLocations": return try await mediaLocations(call)
            case "Search": return try await search(call)
            case "GetRefinersByCriteria": return try await refiners(call)
            case "GetActivePrices": return try await activePrices(call)
            case "GetProductAvailabilities": return try await availabilities(call)
            default: throw ODataError.notImplemented("Products/\(operation.name) is declared but not implemented yet")
            }
        }
        try call.requireMethods([.get], resource: "Products")
        switch (call.path.key, call.path.rest) {
        case (nil, []):
            return try await call.readCollection(of: "Product", GetProductsRequest.init)
        case (nil, ["$count"]):
            return try await call.readCount(GetProductsRequest.init)
        case (.integer(let id), []):
            return try await call.readEntity(of: "Product") { try await product(id, call) }
        case (.integer(let id), ["Categories"]), (.integer(let id), ["Categories", "$count"]):
            // The product's categories: its CategoryIds, with the call's query options.
            let ids = try await product(id, call).categoryIds
            let inProduct: QueryExpression = ids.isEmpty
                ? .binary(.eq, .literal(.integer(1)), .literal(.integer(0)))
                : .inList(.property(["RecordId"]), ids.map { .literal(.integer($0)) })
            if call.path.rest.last == "$count" { return try await call.readCount(GetCategoriesRequest.init, restrictedTo: inProduct) }
            return try await call.readCollection(
                of: "Category", GetCategoriesRequest.init, restrictedTo: inProduct, entitySet: "Categories", resource: "Products(\(id))/Categories"
            )
        case (.string, _):
            throw ODataError.badRequest("the key of Products is RecordId, an Edm.Int64", target: "RecordId")
        case (_, let rest):
            throw ODataError.notImplemented("Products/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }
}

extension ProductsController {
    /// Retail Server's `searchCriteria` body of `Search` and `GetRefinersByCriteria`.
    struct SearchBody: Decodable {
        struct Criteria: Decodable {
            var SearchCondition: String?
            var CategoryIds: [Int64]?
            var IncludeProductsFromSubcategories: Bool?
            var Refinement: [RefinerValue]?
        }
        struct RefinerValue: Decodable {
            var RefinerRecordId: Int64?
            var RefinerSourceValue: Int?
            var LeftValueBoundString: String?
            var RightValueBoundString: String?
        }
        var searchCriteria: Criteria
    }

    /// `POST Products/Search`: full text over name, description, item id and attribute text
    /// (every word must match; the last token of a word matches as a prefix) within
    /// `CategoryIds` (and the categories below them) and the selected `Refinement` values.
    /// Best match first unless `$orderby` says otherwise; `$top`, `$skip`, `$count`, `$select`,
    /// `$filter` and `$search` (as more words) apply as to the set.
    static func search(_ call: APICall) async throws -> Response {
        var criteria = try searchCriteria(try await call.decodeBody(SearchBody.self).searchCriteria)
        if let extra = call.options.criteria.search {
            criteria.searchText = criteria.searchText.map { .and($0, extra) } ?? extra
        }
        let select = try call.selection(of: "Product")
        let expands = try call.expansion(of: "Product")
        let (paging, pageSize) = call.paging()
        let query = QueryCriteria(filter: call.options.criteria.filter, orderBy: call.options.criteria.orderBy)
        let page = try await call.runtime.execute(
            SearchProductsRequest(criteria: criteria, paging: paging, query: query),
            channel: call.channel, caller: call.caller, language: call.language
        )
        let expanded = try await call.expand(page.items.prefix(pageSize), expands)
        return call.collectionResponse(
            page, pageSize: pageSize, select: select, key: { $0.keyText }, write: { EntityJSON.writeProperties($0, select, &$1) },
            expanded: { expanded.write($0, expands, into: &$1) }
        )
    }

    /// `POST Products/GetActivePrices` with `productIds` and an optional `customerId`: each
    /// product's base price, best trade agreement and resulting price in the channel currency.
    /// A customer asks for its own prices only; anonymous callers get the prices for everyone.
    static func activePrices(_ call: APICall) async throws -> Response {
        struct Body: Decodable {
            var productIds: [Int64]
            var customerId: String?
        }
        let body = try await call.decodeBody(Body.self)
        guard !body.productIds.isEmpty, body.productIds.count <= 1_000 else {
            throw ODataError.badRequest("productIds lists 1 to 1000 products", target: "productIds")
        }
        let customer: String?
        switch call.caller {
        case .customer(let account):
            guard body.customerId == nil || body.customerId == account else {
                throw ODataError(.forbidden, code: "Forbidden", "a customer may ask only for its own prices", target: "customerId")
            }
            customer = account
        case .anonymous:
            guard body.customerId == nil else {
                throw ODataError(.forbidden, code: "Forbidden", "an anonymous caller cannot ask for a customer's prices", target: "customerId")
            }
            customer = nil
        case .application, .employee:
            customer = body.customerId
        }
        let prices = try await call.runtime.execute(
            CalculatePricesRequest(productIds: body.productIds, customerAccount: customer), channel: call.channel, caller: call.caller
        )
        return call.complexCollectionResponse(of: "ProductPrice", prices) { price, writer in
            writer.field("ProductId", price.productId)
            writer.field("BasePrice", price.basePrice)
            writer.field("TradeAgreementPrice", price.tradeAgreementPrice ?? price.basePrice)
            writer.field("AdjustedPrice", price.adjustedPrice)
            writer.field("CustomerContextualPrice", price.adjustedPrice)
            writer.field("CurrencyCode", price.currencyCode)
        }
    }

    /// `POST Products/GetProductAvailabilities` with `itemIds`: what the channel's warehouses
    /// can sell now of each (never below zero), in item id order; unknown items are left out.
    static func availabilities(_ call: APICall) async throws -> Response {
        struct Body: Decodable { var itemIds: [String] }
        let body = try await call.decodeBody(Body.self)
        let availabilities = try await call.runtime.execute(GetProductAvailabilitiesRequest(itemIds: body.itemIds), channel: call.channel, caller: call.caller)
        return call.complexCollectionResponse(of: "ProductAvailableQuantity", availabilities) { availability, writer in
            writer.field("ProductId", availability.productId)
            writer.field("ItemId", availability.itemId)
            writer.field("AvailableQuantity", availability.availableQuantity)
            writer.field("UnitOfMeasure", availability.unitOfMeasure)
        }
    }

    /// `POST Products/GetRefinersByCriteria`: the refiners of what the same criteria find in
    /// `Search`, each value with the number of products found that have it.
    static func refiners(_ call: APICall) async throws -> Response {
        let criteria = try searchCriteria(try await call.decodeBody(SearchBody.self).searchCriteria)
        let refiners = try await call.runtime.execute(
            GetProductRefinersRequest(criteria: criteria), channel: call.channel, caller: call.caller, language: call.language
        )
        return call.complexCollectionResponse(of: "ProductRefiner", refiners) { refiner, writer in
            writer.field("RecordId", refiner.recordId)
            writer.field("KeyName", refiner.keyName)
            writer.field("SourceValue", Int64(refiner.sourceValue))
            writer.field("DataTypeValue", Int64(refiner.dataTypeValue))
            writer.field("RefinerTypeValue", Int64(refiner.refinerTypeValue))
            writer.field("DisplayTemplateValue", Int64(refiner.displayTemplateValue))
            writer.key("Values")
            writer.beginArray()
            for value in refiner.values {
                writer.beginObject()
                writer.field("RefinerRecordId", value.refinerRecordId)
                writer.field("RefinerSourceValue", Int64(value.refinerSourceValue))
                writer.field("DataTypeValue", Int64(value.dataTypeValue))
                writer.field("LeftValueBoundString", value.leftValueBoundString)
                writer.field("RightValueBoundString", value.rightValueBoundString)
                writer.field("LeftValueBoundLocalizedString", value.leftValueBoundLocalizedString)
                writer.field("RowNumber", Int64(value.rowNumber))
                writer.field("Count", Int64(value.count))
                writer.endObject()
            }
            writer.endArray()
        }
    }

    /// The CRT's criteria from the body; malformed refinements are a 400 naming the value.
    static func searchCriteria(_ body: SearchBody.Criteria) throws -> ProductSearchCriteria {
        var criteria = ProductSearchCriteria(
            categoryIds: body.CategoryIds ?? [], includeProductsFromSubcategories: body.IncludeProductsFromSubcategories ?? true
        )
        if let condition = body.SearchCondition?.trimmingCharacters(in: .whitespaces), !condition.isEmpty {
            do {
                criteria.searchText = try QueryParser.search(condition)
            } catch {
                throw ODataError.badRequest("searchCriteria.SearchCondition: \(error.message)", target: "searchCriteria/SearchCondition")
            }
        }
        for (index, value) in (body.Refinement ?? []).enumerated() {
            let target = "searchCriteria/Refinement/\(index)"
            switch value.RefinerSourceValue {
            case 1:
                guard let attribute = value.RefinerRecordId else {
                    throw ODataError.badRequest("an attribute refinement needs the attribute's RefinerRecordId", target: target + "/RefinerRecordId")
                }
                guard let text = value.LeftValueBoundString else {
                    throw ODataError.badRequest("an attribute refinement needs the value in LeftValueBoundString", target: target + "/LeftValueBoundString")
                }
                criteria.refinement.append(.attribute(id: attribute, value: text))
            case 2:
                guard let category = value.LeftValueBoundString.flatMap({ Int64($0) }) else {
                    throw ODataError.badRequest(
                        "a category refinement needs the category's RecordId in LeftValueBoundString", target: target + "/LeftValueBoundString"
                    )
                }
                criteria.refinement.append(.category(category))
            case 3:
                let minimum = try priceBound(value.LeftValueBoundString, target: target + "/LeftValueBoundString")
                let maximum = try priceBound(value.RightValueBoundString, target: target + "/RightValueBoundString")
                guard minimum != nil || maximum != nil else {
                    throw ODataError.badRequest("a price refinement needs LeftValueBoundString, RightValueBoundString or both", target: target)
                }
                criteria.refinement.append(.price(minimum: minimum, maximum: maximum))
            default:
                throw ODataError.badRequest(
                    "RefinerSourceValue must be 1 (attribute), 2 (category) or 3 (price)", target: target + "/RefinerSourceValue"
                )
            }
        }
        return criteria
    }

    /// A plain decimal (`12`, `-3.50`); Foundation's parser would accept a prefix of `12abc`.
    private static func priceBound(_ text: String?, target: String) throws -> Decimal? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else {
            throw ODataError.badRequest("a price bound must be a decimal number such as 25 or 99.99", target: target)
        }
        return value
    }
}

extension ProductsController {
    /// `GET Products(id)/GetMediaLocations(channelId=..,catalogId=..)`: the product's images in
    /// display order, with `$top`, `$skip` and `$count`. As in Retail Server the channel may be
    /// named; it must then be the request's channel (the `OUN` header's), since that decides the
    /// assortment. `catalogId` is accepted (catalogs are not built: 0 is every product).
    static func mediaLocations(_ call: APICall) async throws -> Response {
        guard case .integer(let id) = call.path.key else {
            throw ODataError.badRequest(
                "GetMediaLocations is bound to one product: Products(68719476737)/GetMediaLocations(channelId=..,catalogId=0)"
            )
        }
        var parameters: [String: String] = [:]
        if let text = call.functionParameterText, !text.isEmpty {
            for (name, literal) in try FunctionParameters.split(text, function: "GetMediaLocations") {
                guard name == "channelId" || name == "catalogId" else {
                    throw ODataError.badRequest("GetMediaLocations has no parameter '\(name)'", target: name)
                }
                let json = try FunctionParameters.json(
                    of: literal, name: name, aliases: call.request.uri.queryParameters, function: "GetMediaLocations"
                )
                let value = String(decoding: json.bytes, as: UTF8.self)
                guard json.isNull || Int64(value) != nil else {
                    throw ODataError.badRequest("the parameter '\(name)' must be of type Edm.Int64", target: name)
                }
                parameters[name] = value
            }
        }
        if let channelId = parameters["channelId"].flatMap({ Int64($0) }), channelId != 0, channelId != call.channel.recordId {
            throw ODataError.badRequest(
                "channelId \(channelId) is not the request's channel (\(call.channel.recordId), chosen by the OUN header)", target: "channelId"
            )
        }
        let (paging, pageSize) = call.paging()
        guard let page = try await call.runtime.execute(
            GetMediaLocationsRequest(productId: id, paging: paging), channel: call.channel, caller: call.caller, language: call.language
        ) else {
            throw ODataError.notFound("the channel has no product with RecordId \(id)")
        }
        var writer = JSONWriter(capacity: 128 * (page.items.count + 1))
        writer.beginObject()
        if call.format.metadata != .none {
            writer.field("@odata.context", "\(call.serviceRoot)/$metadata#Collection(\(EntityModel.namespace).MediaLocation)")
        }
        if let count = page.totalCount { writer.field("@odata.count", Int64(count)) }
        writer.key("value")
        writer.beginArray()
        for location in page.items.prefix(pageSize) {
            writer.beginObject()
            writer.field("Uri", location.uri)
            writer.field("AltText", location.altText)
            writer.field("IsDefault", location.isDefault)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok, contentType: call.format.contentType)
    }

    static func product(_ id: Int64, _ call: APICall) async throws -> Product {
        guard let product = try await call.runtime.execute(
            GetProductRequest(recordId: id), channel: call.channel, caller: call.caller, language: call.language
        ) else {
            throw ODataError.notFound("the channel has no product with RecordId \(id)")
        }
        return product
    }
}

/// `Categories`: the channel's navigation hierarchy (the sub-trees of the category tree it
/// shows), names in the request's language.
enum CategoriesController {
    static func handle(_ call: APICall) async throws -> Response {
        call.inLanguage(try await route(call))
    }

    private static func route(_ call: APICall) async throws -> Response {
        try call.requireMethods([.get], resource: "Categories")
        switch (call.path.key, call.path.rest) {
        case (nil, []):
            return try await call.readCollection(of: "Category", GetCategoriesRequest.init)
        case (nil, ["$count"]):
            return try await call.readCount(GetCategoriesRequest.init)
        case (.integer(let id), []):
            return try await call.readEntity(of: "Category") { try await category(id, call) }
        case (.integer(let id), ["Products"]), (.integer(let id), ["Products", "$count"]):
            // Products assigned to the category itself (not its sub-categories), with the call's options.
            _ = try await category(id, call)
            if call.path.rest.last == "$count" { return try await call.readCount(GetProductsRequest.init, restrictedTo: APICall.inCategory(id)) }
            return try await call.readCollection(
                of: "Product", GetProductsRequest.init, restrictedTo: APICall.inCategory(id), entitySet: "Products", resource: "Categories(\(id))/Products"
            )
        case (.string, _):
            throw ODataError.badRequest("the key of Categories is RecordId, an Edm.Int64", target: "RecordId")
        case (_, let rest):
            throw ODataError.notImplemented("Categories/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }
}

extension CategoriesController {
    static func category(_ id: Int64, _ call: APICall) async throws -> Category {
        guard let category = try await call.runtime.execute(
            GetCategoryRequest(recordId: id), channel: call.channel, caller: call.caller, language: call.language
        ) else {
            throw ODataError.notFound("the channel shows no category with RecordId \(id)")
        }
        return category
    }
}

extension APICall {
    /// Reads one page of an entity set (or of a navigation, `restrictedTo` its condition)
    /// through its CRT request, with the call's criteria, `$select`, `$expand` and paging.
    func readCollection<Request: CommerceRequest, Entity: ODataEntity>(
        of entityType: String,
        _ makeRequest: (PagingOptions, QueryCriteria) -> Request,
        restrictedTo condition: QueryExpression? = nil,
        entitySet: String? = nil,
        resource: String? = nil
    ) async throws -> Response where Request.Response == Page<Entity> {
        if entitySet != nil { try authorizeReading(entityType) }
        let select = try selection(of: entityType)
        let expands = try expansion(of: entityType)
        let (paging, pageSize) = paging()
        let criteria = condition.map { Self.restricted(options.criteria, to: $0) } ?? options.criteria
        let page = try await runtime.execute(makeRequest(paging, criteria), channel: channel, caller: caller, language: language)
        return try await collectionResponse(page, pageSize: pageSize, select: select, expands: expands, entitySet: entitySet, resource: resource)
    }

    /// A page of entities read elsewhere (a function's result), with `$select`, `$expand` and
    /// each entity's own ETag.
    func collectionResponse<Entity: ODataEntity>(
        _ page: Page<Entity>, pageSize: Int, select: PropertySelection, expands: [ResolvedExpand], entitySet: String? = nil, resource: String? = nil
    ) async throws -> Response {
        let expanded = try await expand(page.items.prefix(pageSize), expands)
        return collectionResponse(
            page, pageSize: pageSize, select: select, key: { $0.keyText }, entitySet: entitySet, resource: resource,
            write: { $0.writeProperties(select, into: &$1) }, etag: { $0.etag }, expanded: { expanded.write($0, expands, into: &$1) }
        )
    }

    /// A collection of a complex type (`Collection(ProductPrice)`), as actions and functions answer.
    func complexCollectionResponse<Item>(of typeName: String, _ items: [Item], write: (Item, inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter(capacity: 128 * (items.count + 1))
        writer.beginObject()
        if format.metadata != .none { writer.field("@odata.context", "\(serviceRoot)/$metadata#Collection(\(EntityModel.namespace).\(typeName))") }
        writer.key("value")
        writer.beginArray()
        for item in items {
            writer.beginObject()
            write(item, &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok, contentType: format.contentType)
    }

    /// One entity by key, with `$select` and `$expand`.
    func readEntity<Entity: ODataEntity>(of entityType: String, _ read: () async throws -> Entity) async throws -> Response {
        let select = try selection(of: entityType)
        let expands = try expansion(of: entityType)
        let entity = try await read()
        let expanded = try await expand([entity][...], expands)
        return try entityResponse(
            entity, select: select, key: { $0.keyText }, write: { $0.writeProperties(select, into: &$1) },
            expanded: { expanded.write($0, expands, into: &$1) }
        )
    }

    /// `/$count` of an entity set or navigation: the filter and search apply, ordering and paging do not.
    func readCount<Request: CommerceRequest, Entity>(
        _ makeRequest: (PagingOptions, QueryCriteria) -> Request, restrictedTo condition: QueryExpression? = nil
    ) async throws -> Response where Request.Response == Page<Entity> {
        var criteria = QueryCriteria(filter: options.criteria.filter, search: options.criteria.search)
        if let condition { criteria = Self.restricted(criteria, to: condition) }
        let page = try await runtime.execute(
            makeRequest(PagingOptions(top: 0, includeCount: true), criteria), channel: channel, caller: caller, language: language
        )
        return Self.plainCount(page.totalCount ?? 0)
    }

    /// A collection response: context, optional count, one page of entities, next link; the
    /// control information follows the negotiated `odata.metadata` level.
    /// `entitySet` names the set of the entities (for the context URL) when it is not the one
    /// addressed, `resource` the path next links continue from; `expanded` writes what `$expand`
    /// reached, after the properties the ETag covers.
    func collectionResponse<Entity>(
        _ page: Page<Entity>, pageSize: Int, select: PropertySelection, key: (Entity) -> String, entitySet: String? = nil,
        resource: String? = nil, write: (Entity, inout JSONWriter) -> Void, etag: ((Entity) -> String?)? = nil,
        expanded: ((Entity, inout JSONWriter) -> Void)? = nil
    ) -> Response {
        let entitySet = entitySet ?? path.entitySet
        var writer = JSONWriter(capacity: 512 * min(page.items.count + 1, 64))
        writer.beginObject()
        if format.metadata != .none { writer.field("@odata.context", "\(serviceRoot)/$metadata#\(entitySet)\(select.contextSuffix)") }
        if let count = page.totalCount { writer.field("@odata.count", Int64(count)) }
        writer.key("value")
        writer.beginArray()
        for entity in page.items.prefix(pageSize) {
            writer.beginObject()
            if format.metadata == .none {
                // No control information: no ETag in the body, and a collection has no ETag header.
                write(entity, &writer)
            } else {
                writeControlInformation(key: key(entity), entitySet: entitySet, into: &writer)
                writeTagged(entity, versionTag: etag?(entity), write: write, into: &writer)
            }
            expanded?(entity, &writer)
            writer.endObject()
        }
        writer.endArray()
        if let next = nextLink(received: page.items.count, pageSize: pageSize, resource: resource) { writer.field("@odata.nextLink", next) }
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok, contentType: format.contentType)
    }

    /// A single-entity response with its context and ETag; answers 304 when the client's
    /// `If-None-Match` already names this representation and 412 when `If-Match` names another.
    /// One entity with its control information. `etag` is the entity's own version tag when it
    /// has one (else a digest of its JSON); `conditional: false` skips `If-Match`/`If-None-Match`
    /// for a response to a change, whose preconditions were checked before the change.
    func entityResponse<Entity>(
        _ entity: Entity, select: PropertySelection, key: (Entity) -> String, etag versionTag: String? = nil,
        status: HTTPResponse.Status = .ok, conditional: Bool = true, write: (Entity, inout JSONWriter) -> Void,
        expanded: ((Entity, inout JSONWriter) -> Void)? = nil
    ) throws -> Response {
        // The properties are written once, straight into the response, behind the ETag that
        // covers them; a precondition that fails discards the body.
        var writer = JSONWriter()
        writer.beginObject()
        if format.metadata != .none { writer.field("@odata.context", "\(serviceRoot)/$metadata#\(path.entitySet)\(select.contextSuffix)/$entity") }
        let etag: String
        if format.metadata == .none {
            let start = writer.count
            write(entity, &writer)
            etag = versionTag ?? ETag.weak(digest: writer.withBytes(from: start, ETag.digestOfMembers))
        } else {
            writeControlInformation(key: key(entity), entitySet: path.entitySet, into: &writer)
            etag = writeTagged(entity, versionTag: versionTag, write: write, into: &writer)
        }
        if conditional, let ifMatch = request.headers[.ifMatch], !ETag.matches(ifMatch, etag) {
            throw ODataError(.preconditionFailed, code: "PreconditionFailed", "the entity has changed: its ETag is \(etag)")
        }
        if conditional, let notModified = ETag.notModified(request, etag) { return notModified }
        expanded?(entity, &writer)
        writer.endObject()
        var response = CommerceAPI.json(writer.bytes, status: status, contentType: format.contentType)
        response.headers.append(HTTPField(name: .eTag, value: etag))
        return response
    }

    /// `@odata.type`, `@odata.id` and `@odata.editLink` at `odata.metadata=full`.
    private func writeControlInformation(key: String, entitySet: String, into writer: inout JSONWriter) {
        if format.metadata == .full, let set = model.entitySet(named: entitySet) {
            writer.field("@odata.type", "#\(EntityModel.namespace).\(set.entityType)")
            writer.field("@odata.id", "\(serviceRoot)/\(entitySet)(\(key))")
            writer.field("@odata.editLink", "\(entitySet)(\(key))")
        }
    }

    /// `@odata.etag` and then the entity's properties; answers the ETag. Without a version tag
    /// of its own the entity's ETag is a digest of its properties' JSON: a fixed-length
    /// placeholder is written, then the properties, then the digest of those in its place, so
    /// the properties are written once and never copied.
    @discardableResult
    private func writeTagged<Entity>(
        _ entity: Entity, versionTag: String?, write: (Entity, inout JSONWriter) -> Void, into writer: inout JSONWriter
    ) -> String {
        if let versionTag {
            writer.field("@odata.etag", versionTag)
            write(entity, &writer)
            return versionTag
        }
        writer.key("@odata.etag")
        let placeholder = writer.count
        writer.raw(ETag.placeholderJSON)
        let start = writer.count
        write(entity, &writer)
        let digest = writer.withBytes(from: start, ETag.digestOfMembers)
        writer.overwrite(at: placeholder + ETag.digitsOffsetInJSON, with: ETag.hexDigits(digest))
        return ETag.weak(digest: digest)
    }
}

/// Weak ETags over an entity's JSON: equal representations, equal tags, whatever the store.
enum ETag {
    static func weak(of bytes: [UInt8]) -> String {
        weak(digest: bytes.withUnsafeBufferPointer(digest))
    }

    /// FNV-1a, 64 bits: a cheap, stable digest (not a security measure; the tag only detects change).
    static func digest(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The digest of members written after others (`,"k":v,...`): of the same bytes without
    /// the leading comma, so the tag equals the one of the members written alone.
    static func digestOfMembers(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let first = bytes.first, first == UInt8(ascii: ",") else { return digest(bytes) }
        return digest(UnsafeBufferPointer(rebasing: bytes.dropFirst()))
    }

    /// The digest as 16 lower-case hexadecimal digits, computed as read (no array).
    static func hexDigits(_ digest: UInt64) -> LazyMapCollection<Range<Int>, UInt8> {
        (0..<16).lazy.map { position in
            let nibble = UInt8(truncatingIfNeeded: digest >> UInt64(60 - 4 * position)) & 0xF
            return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        }
    }

    /// `W/"<16 hexadecimal digits>"`.
    static func weak(digest: UInt64) -> String {
        String(unsafeUninitializedCapacity: 20) { buffer in
            buffer[0] = UInt8(ascii: "W")
            buffer[1] = UInt8(ascii: "/")
            buffer[2] = UInt8(ascii: "\"")
            for (offset, digit) in hexDigits(digest).enumerated() { buffer[3 + offset] = digit }
            buffer[19] = UInt8(ascii: "\"")
            return 20
        }
    }

    /// A weak ETag's JSON string with zeros for its digits (`"W/\"0000000000000000\""`), and
    /// where in it the digits start.
    static let placeholderJSON: [UInt8] = Array(#""W/\"0000000000000000\"""#.utf8)
    static let digitsOffsetInJSON = 5

    /// `304` when the request's `If-None-Match` names `etag`; nil when it has none or names another.
    static func notModified(_ request: Request, _ etag: String) -> Response? {
        guard let ifNoneMatch = request.headers[.ifNoneMatch], matches(ifNoneMatch, etag) else { return nil }
        var headers = HTTPFields()
        headers.append(HTTPField(name: .eTag, value: etag))
        headers.append(ODataHeaders.odataVersionField)
        return Response(status: .notModified, headers: headers)
    }

    /// Whether an `If-Match`/`If-None-Match` list names `etag` (weak comparison) or is `*`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        let bare = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for candidate in header.split(separator: ",") {
            let trimmed = candidate.trimmingCharacters(in: .whitespaces)
            if trimmed == "*" { return true }
            let value = trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed
            if value == bare { return true }
        }
        return false
    }
}

extension APICall {
    /// Catalog answers carry `Content-Language`: the language names and descriptions are in
    /// where translated (see ``AcceptLanguage``); `Vary: Accept-Language` keeps caches from
    /// handing one language's answer to another's request.
    func inLanguage(_ response: Response) -> Response {
        var response = response
        response.headers.append(HTTPField(name: .contentLanguage, value: language))
        response.headers.append(ODataHeaders.varyLanguageField)
        return response
    }
}
