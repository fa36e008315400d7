import ChannelDatabase
public import CommerceRuntime
import HTTPTypes
public import Hummingbird
public import Logging
import Foundation
import NIOCore

/// Settings of the consumer API.
public struct APIOptions: Sendable {
    /// The largest page served; larger `$top` values and unbounded reads are paged with `@odata.nextLink`.
    public var maxPageSize: Int
    /// The largest request body read; larger ones are answered 413 without being read whole.
    public var maxBodySize: Int
    public var authentication: AuthenticationSettings
    /// Per-caller request limit; nil serves without one.
    public var rateLimit: RateLimit?
    /// The longest request target (path and query) served; longer ones get 414.
    public var maxURLLength: Int
    /// How long a request under `/Commerce` may run before it is answered 504 and its
    /// transaction rolled back; nil runs requests without a deadline.
    public var requestTimeout: Duration?
    /// Anonymous catalog answers served again while master data is unchanged; nil computes
    /// every answer. Used only where the engine's own code answers on SQLite (see ``CatalogCache``).
    public var catalogCache: CatalogCacheOptions?

    public init(
        maxPageSize: Int = 1_000, maxBodySize: Int = 4 * 1024 * 1024, authentication: AuthenticationSettings = AuthenticationSettings(),
        rateLimit: RateLimit? = nil, maxURLLength: Int = 16 * 1024, requestTimeout: Duration? = nil, catalogCache: CatalogCacheOptions? = nil
    ) {
        self.catalogCache = catalogCache
        self.maxPageSize = maxPageSize
        self.maxBodySize = maxBodySize
        self.authentication = authentication
        self.rateLimit = rateLimit
        self.maxURLLength = maxURLLength
        self.requestTimeout = requestTimeout
    }
}

/// The consumer API: OData v4 under `/Commerce`, on top of the Commerce Runtime.
///
/// Knows HTTP and OData, never SQL: every read and write is a CRT request.
public struct CommerceAPI: Sendable {
    let runtime: CommerceRuntime
    let options: APIOptions
    let logger: Logger
    let model: EntityModel
    /// `$metadata` is derived from the model once: the model is frozen when serving starts.
    let metadata: MetadataDocuments
    let authenticator: Authenticator
    /// Whether reads can be held to their deadline inside their own task: only the engine's own
    /// code runs and its statements are SQLite's, which stop at the deadline
    /// (``StatementDeadline``). Otherwise every request runs in a task that can be abandoned.
    let readsStopThemselves: Bool
    let catalogCache: CatalogCache?

    public init(runtime: CommerceRuntime, model: EntityModel = .retailServer(), options: APIOptions = APIOptions(), logger: Logger) {
        self.runtime = runtime
        self.options = options
        self.logger = logger
        self.model = model
        self.metadata = MetadataDocuments(model)
        self.authenticator = Authenticator(settings: options.authentication)
        let ownReadPath = runtime.database.dialect == .sqlite && !model.hasExternalParts && runtime.registry.isBuiltInOnly
        self.readsStopThemselves = ownReadPath
        // An answer may be kept where it is the engine's own, from a database that tells of its changes.
        self.catalogCache = options.catalogCache.flatMap { cacheOptions in
            ownReadPath && runtime.database.masterDataVersion != nil ? CatalogCache(options: cacheOptions) : nil
        }
    }

    /// The HTTP responder of the whole service: `GET /health` and everything under `/Commerce`.
    ///
    /// The API owns its URL space and parses OData paths itself, so it answers requests directly
    /// instead of through a route trie (which cost 4% of a product read for no decision it made).
    /// `healthDetail` adds members with JSON values (e.g. the loaded extensions).
    public func responder(
        health: @escaping @Sendable () -> [(String, String)] = { [] }, healthDetail: [(String, [UInt8])] = []
    ) -> CommerceResponder {
        CommerceResponder(api: self, health: health, healthDetail: healthDetail, limiter: options.rateLimit.map(RateLimiter.init))
    }

    /// Answers one request under `/Commerce`. `gate` is the HTTP request's rate limit: given
    /// for a request from the network, nil for the parts of a `$batch`, which the batch paid for.
    func dispatch(_ request: Request, _ context: CommerceRequestContext, gate: RateLimitGate? = nil) async throws -> Response {
        // Whatever fails before the caller is known still costs its address a token.
        defer { gate?.chargeAddressIfUncharged() }
        do {
            let path = try ResourcePath(segments: ResourcePath.segments(of: request.uri.path))
            let call = try await APICall(
                request: request, path: path, runtime: runtime, model: model, options: options, authenticator: authenticator, gate: gate
            )
            try call.authorize()
            if model.hasExternalParts, let response = try await ExtensionController.handle(call) { return response }
            switch path.entitySet {
            case "Products":
                return try await ProductsController.handle(call)
            case "Categories":
                return try await CategoriesController.handle(call)
            case "OrgUnits":
                return try await OrgUnitsController.handle(call)
            case "GetTenderTypes":
                return try await TenderTypesController.handle(call)
            case "Carts": return try await CartsController.handle(call)
            case "SalesOrders": return try await SalesOrdersController.handle(call)
            case "Customers": return try await CustomersController.handle(call)
            case "":
                try call.requireMethods([.get], resource: "the service document")
                return metadata.serviceDocument(serviceRoot: call.serviceRoot)
            case "$metadata":
                try call.requireMethods([.get], resource: "$metadata")
                return try metadata.response(for: request, format: call.options.format)
            case "$batch":
                return try await BatchController.handle(call, api: self, context: context)
            case let name where model.entitySet(named: name) != nil || model.unboundOperation(name) != nil:
                throw ODataError.notImplemented("\(name) is part of the Retail Server surface but not implemented yet")
            default:
                throw ODataError.notFound("the service has no entity set or operation named '\(path.entitySet)'")
            }
        } catch let error as ODataError {
            throw error
        } catch is CancellationError {
            // Only a request past its deadline is cancelled, and its caller has been answered.
            throw ODataError.requestTimedOut(options.requestTimeout ?? .zero)
        } catch let error as DatabaseError where error.kind == .interrupted {
            throw ODataError.requestTimedOut(options.requestTimeout ?? .zero)
        } catch let error as CommerceError {
            if error.kind == .internal || error.kind == .extensionFailure {
                logger.error("request failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            }
            throw ODataError(error)
        } catch {
            // Database and other unexpected errors: log the detail, answer without it.
            logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw ODataError(.internalServerError, code: "InternalError", "the request failed on the server; nothing was changed")
        }
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status, contentType: String = ODataHeaders.jsonContentType) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(12)
        headers.append(ODataHeaders.contentTypeField(contentType))
        headers.append(ODataHeaders.odataVersionField)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Answers every HTTP request of the host: health, the consumer API, 404 for the rest.
public struct CommerceResponder: HTTPResponder {
    public typealias Context = CommerceRequestContext
    let api: CommerceAPI
    let health: @Sendable () -> [(String, String)]
    let healthDetail: [(String, [UInt8])]
    let limiter: RateLimiter?

    public func respond(to request: Request, context: CommerceRequestContext) async throws -> Response {
        var response = try await answer(request, context: context)
        // Appended, not set: nothing else writes these, and setting searches the fields first.
        response.headers.append(contentsOf: ODataHeaders.securityFields)
        return response
    }

    private func answer(_ request: Request, context: CommerceRequestContext) async throws -> Response {
        let path = request.uri.path
        do {
            if (request.head.path?.utf8.count ?? 0) > api.options.maxURLLength {
                throw ODataError(.uriTooLong, code: "URITooLong", "the request target is longer than \(api.options.maxURLLength) bytes")
            }
            let gate = limiter.map { RateLimitGate($0, address: context.remoteAddress?.ipAddress ?? "unknown") }
            if path == "/Commerce" || path.hasPrefix("/Commerce/") {
                if let cache = api.catalogCache, let key = CatalogCache.key(of: request), let version = api.runtime.database.masterDataVersion {
                    if let response = cache.response(to: request, key: key, version: version) {
                        // A stored answer is only ever one an anonymous caller was given.
                        try gate?.admit(.anonymous)
                        return response
                    }
                    return try await cache.keep(try await serve(request, context, gate: gate), key: key, version: version)
                }
                return try await serve(request, context, gate: gate)
            }
            // Health and unknown paths: no credentials are looked at, the address pays.
            try gate?.admit(.anonymous)
            if path == "/health" {
                guard request.method == .get || request.method == .head else {
                    throw ODataError.methodNotAllowed(request.method, allowed: [.get], resource: "health")
                }
                var writer = JSONWriter()
                writer.beginObject()
                writer.field("status", "ok")
                for (key, value) in health() { writer.field(key, value) }
                for (key, json) in healthDetail {
                    writer.key(key)
                    writer.raw(json)
                }
                writer.endObject()
                return CommerceAPI.json(writer.bytes, status: .ok)
            }
            throw ODataError.notFound("nothing is served at \(path); the consumer API is under /Commerce")
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
    }

    /// A request under `/Commerce`, held to its deadline.
    private func serve(_ request: Request, _ context: CommerceRequestContext, gate: RateLimitGate?) async throws -> Response {
        guard let limit = api.options.requestTimeout else { return try await api.dispatch(request, context, gate: gate) }
        do {
            if api.readsStopThemselves, request.method == .get || request.method == .head {
                // No task of its own: two thread switches less per read (see StatementDeadline).
                return try await StatementDeadline.$current.withValue(.now + limit) { try await api.dispatch(request, context, gate: gate) }
            }
            return try await RequestDeadline.run(within: limit) { [api] in try await api.dispatch(request, context, gate: gate) }
        } catch let error as ODataError where error.code == "RequestTimeout" {
            api.logger.warning("request stopped at its deadline", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)"])
            throw error
        }
    }
}

/// One API call, with what every controller needs: path, options, channel, caller, base URL.
///
/// A class: controllers and their closures hand it on many times per request, and copying a
/// struct of this many fields (retaining each) showed in every read's profile.
final class APICall: Sendable {
    let request: Request
    let path: ResourcePath
    let options: QueryOptions
    let runtime: CommerceRuntime
    let model: EntityModel
    let apiOptions: APIOptions
    let channel: ChannelRecord
    let caller: Caller
    /// The language the catalog answers in: negotiated from `Accept-Language` among the
    /// channel's languages, else the channel's (see ``AcceptLanguage``).
    let language: String
    /// What an application caller was granted; empty for the other roles.
    let scopes: Set<String>
    let authenticator: Authenticator
    let serviceRoot: String
    let format: ResponseFormat

    init(
        request: Request, path: ResourcePath, runtime: CommerceRuntime, model: EntityModel, options: APIOptions, authenticator: Authenticator,
        gate: RateLimitGate? = nil
    ) async throws {
        self.request = request
        self.authenticator = authenticator
        self.path = path
        self.runtime = runtime
        self.model = model
        self.apiOptions = options
        // Clients may percent-encode the names too (`%24filter`, as python-odata does); Hummingbird
        // decodes only the values.
        let parameters = try request.uri.queryParameters.map { parameter in
            guard let name = parameter.key.percentDecoded() else {
                throw ODataError.badRequest("the query parameter name '\(parameter.key)' has a malformed percent escape")
            }
            return (name, String(parameter.value))
        }
        self.options = try QueryOptions(parameters)
        try ODataVersionCheck.check(maxVersion: request.headers[ODataHeaders.odataMaxVersion], version: request.headers[ODataHeaders.odataVersion])
        self.format = path.entitySet == "$metadata" ? .default : try ResponseFormat.negotiate(format: self.options.formatValue, accept: request.headers[.accept])
        self.channel = try runtime.channel(orgUnitNumber: request.headers[ODataHeaders.operatingUnitNumber])
        self.language = AcceptLanguage.negotiate(request.headers[.acceptLanguage], supported: channel.languages, fallback: channel.languageId)
        let identity: Identity
        if let gate, request.headers[.authorization] != nil {
            try gate.checkCredentialFailures()
            do {
                identity = try await authenticator.caller(of: request, channel: channel, runtime: runtime)
            } catch let error as ODataError where error.status == .unauthorized {
                gate.chargeCredentialFailure()
                throw error
            }
        } else {
            identity = try await authenticator.caller(of: request, channel: channel, runtime: runtime)
        }
        try gate?.admit(identity)
        self.caller = identity.caller
        self.scopes = identity.scopes
        let host = request.head.authority ?? "localhost"
        self.serviceRoot = "http://\(host)/Commerce"
    }

    /// The action or function bound to the addressed entity (or collection) named by the next
    /// path segment, qualified (`Microsoft...DataModel.Search`) or not (`Search`, as Retail
    /// Server clients write it); nil when the segment names no operation. Checks the method:
    /// POST for actions, GET for functions.
    func boundOperation(entityType: String) throws -> EdmOperation? {
        guard let operation = addressedOperation(entityType: entityType) else { return nil }
        try requireMethods([operation.kind == .action ? .post : .get], resource: "\(path.entitySet)/\(operation.name)")
        return operation
    }

    /// The operation bound to `entityType` that the segment after the set (and key) names, if any.
    func addressedOperation(entityType: String) -> EdmOperation? {
        guard path.rest.count == 1, var name = path.rest.first, !name.hasPrefix("$") else { return nil }
        if name.hasPrefix(EntityModel.namespace + ".") { name.removeFirst(EntityModel.namespace.count + 1) }
        // A function's parameters follow its name: `GetMediaLocations(channelId=1,catalogId=0)`.
        if let open = name.firstIndex(of: "("), name.hasSuffix(")") { name = String(name[..<open]) }
        return model.boundOperation(name, entityType: entityType, collection: path.key == nil)
    }

    /// The text inside the parentheses of the addressed function: of the segment after the set
    /// and key for a bound one, of the first segment for an unbound one.
    var functionParameterText: String? {
        guard let segment = path.rest.first else { return path.parenthesized }
        guard let open = segment.firstIndex(of: "("), segment.hasSuffix(")") else { return nil }
        return String(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)])
    }

    /// Reads the JSON body (at most ``APIOptions/maxBodySize``) into `type`: 413 when larger,
    /// 415 when not JSON, 400 naming the problem when it does not match.
    func decodeBody<Body: Decodable>(_ type: Body.Type) async throws -> Body {
        let data = try await readBody() ?? Data()
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw ODataError.badRequest("the body does not match: \(Self.describe(error))")
        } catch {
            throw ODataError.badRequest("the body is not valid JSON")
        }
    }

    /// The raw JSON body, at most ``APIOptions/maxBodySize`` bytes: 413 when larger, 415 when
    /// it is not JSON; nil when empty.
    func readBody() async throws -> Data? {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw ODataError(.unsupportedMediaType, code: "UnsupportedMediaType", "the body must be application/json, not \(contentType)")
        }
        return try await readRawBody()
    }

    /// The body whatever its media type, at most ``APIOptions/maxBodySize`` bytes: 413 when
    /// larger; nil when empty.
    func readRawBody() async throws -> Data? {
        let limit = apiOptions.maxBodySize
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw ODataError(.contentTooLarge, code: "PayloadTooLarge", "the body is \(length) bytes; the limit is \(limit)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw ODataError(.contentTooLarge, code: "PayloadTooLarge", "the body is larger than the limit of \(limit) bytes")
        }
        return buffer.readableBytes == 0 ? nil : Data(buffer.readableBytesView)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the body" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)) is missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return "\(path(context)) is not valid JSON"
        @unknown default: return "it is not the expected JSON"
        }
    }

    func requireMethods(_ allowed: [HTTPRequest.Method], resource: String) throws {
        guard allowed.contains(request.method) else {
            throw ODataError.methodNotAllowed(request.method, allowed: allowed, resource: resource)
        }
    }

    /// The page to read for a collection, with server-driven paging: one row more than the
    /// page is read, so the presence of a next page is known without a count.
    func paging() -> (paging: PagingOptions, pageSize: Int) {
        let pageSize = min(options.top ?? apiOptions.maxPageSize, apiOptions.maxPageSize)
        let serverPaged = options.top.map { $0 > apiOptions.maxPageSize } ?? true
        return (PagingOptions(skip: options.skip, top: serverPaged ? pageSize + 1 : pageSize, includeCount: options.count), pageSize)
    }

    /// The `@odata.nextLink` after a page, or nil when the page is the last.
    func nextLink(received: Int, pageSize: Int, resource: String? = nil) -> String? {
        guard received > pageSize else { return nil }
        let query = options.nextPageQuery(skip: options.skip + pageSize, top: options.top.map { $0 - pageSize })
        return "\(serviceRoot)/\(resource ?? path.entitySet)?" + query
    }

    /// `$select` checked against the entity type's properties, and `$expand` against its
    /// navigation properties; unknown names are a 400 that names them.
    func selection(of entityType: String) throws -> PropertySelection {
        var selection = try selection(of: entityType, paths: options.select)
        selection.expanded = try expansion(of: entityType).map(\.contextItem)
        return selection
    }

    /// A `$select` (top-level or nested in `$expand`) checked against the entity type.
    func selection(of entityType: String, paths: [[String]]?) throws -> PropertySelection {
        // Absent `$select` first: the type lookup copies the type's description, on every read.
        guard let paths, let type = model.entityType(named: entityType) else { return .all }
        var names: [String] = []
        for path in paths {
            guard path.count == 1, let name = path.first, type.property(named: name) != nil else {
                throw ODataError.badRequest("\(entityType) has no property '\(path.joined(separator: "/"))' to select", target: "$select")
            }
            if !names.contains(name) { names.append(name) }
        }
        return PropertySelection(names: names)
    }
}
