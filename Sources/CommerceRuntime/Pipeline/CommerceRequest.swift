/// A Commerce Runtime request: a typed message that runs through the pipeline
/// (pre-triggers, then the handler chain, then post-triggers).
///
/// Requests and responses are `Codable` because extensions written in C, Rust or Swift see them
/// as JSON: the same shapes cross the ABI as cross the API.
public protocol CommerceRequest: Codable, Sendable {
    associatedtype Response: Codable, Sendable

    /// The stable name extensions use to register handlers and triggers, e.g. `GetProductsRequest`.
    static var typeName: String { get }

    /// Whether the request may write, which picks the transaction it runs in.
    static var mode: RequestMode { get }
}

/// What a request does to the channel database.
public enum RequestMode: Sendable {
    case read
    case write
}

/// The handler further down the chain: the one registered before the current one.
public struct NextHandler<Request: CommerceRequest>: Sendable {
    let body: @Sendable (Request, RequestContext) async throws -> Request.Response

    public func callAsFunction(_ request: Request, _ context: RequestContext) async throws -> Request.Response {
        try await body(request, context)
    }
}

/// A request whose shape the runtime does not know: registered by an extension by name, with
/// a JSON body in and a JSON body out.
public struct JSONRequest: Sendable {
    public var typeName: String
    public var body: [UInt8]

    public init(typeName: String, body: [UInt8]) {
        self.typeName = typeName
        self.body = body
    }
}
