import Foundation

/// A handler for requests known only as JSON: receives the request body, may call the next
/// handler with a (possibly changed) body, and answers the response body, or nil to decline:
/// then the next handler runs with the request as it was, without a JSON round trip.
public typealias JSONHandler = @Sendable (
    _ request: [UInt8], _ context: RequestContext, _ next: @escaping @Sendable ([UInt8]) async throws -> [UInt8]
) async throws -> [UInt8]?

/// A pre-trigger on a JSON body; throwing vetoes the request.
public typealias JSONPreTrigger = @Sendable (_ request: [UInt8], _ context: RequestContext) async throws -> Void

/// A post-trigger on JSON bodies; answers the response body to pass on (the same or changed).
public typealias JSONPostTrigger = @Sendable (_ request: [UInt8], _ response: [UInt8], _ context: RequestContext) async throws -> [UInt8]

/// The handlers and triggers of every request type, filled at start-up and then frozen into
/// the runtime.
///
/// Built-in code registers typed Swift closures; extensions register JSON closures by type
/// name. Both land in the same chain: a later registration overrides an earlier one and may
/// call it as `next`. Triggers run in registration order.
public struct HandlerRegistry: Sendable {
    var entries: [String: Entry] = [:]

    public init() {}

    /// The names of all request types with at least one handler.
    public var requestTypeNames: [String] { entries.values.filter { !$0.handlers.isEmpty }.map(\.typeName).sorted() }

    /// True when every handler and trigger is the engine's own: no extension code can run in a
    /// request, so none can block where a deadline cannot stop it.
    public var isBuiltInOnly: Bool {
        entries.values.allSatisfy { entry in
            entry.handlers.allSatisfy { $0.owner == "core" } && entry.preTriggers.allSatisfy { $0.owner == "core" }
                && entry.postTriggers.allSatisfy { $0.owner == "core" }
        }
    }

    /// True when a request type of this name is declared (typed or JSON).
    public func isDeclared(_ typeName: String) -> Bool { entries[typeName] != nil }

    /// Who registered what for a request type, for diagnostics (`extensions list`, `/health`).
    public func owners(of typeName: String) -> (handlers: [String], preTriggers: [String], postTriggers: [String]) {
        guard let entry = entries[typeName] else { return ([], [], []) }
        return (entry.handlers.map(\.owner), entry.preTriggers.map(\.owner), entry.postTriggers.map(\.owner))
    }

    // MARK: Typed registration (Swift)

    /// Registers a handler that may call the handler registered before it.
    public mutating func register<Request: CommerceRequest>(
        _ type: Request.Type,
        owner: String = "core",
        _ handler: @escaping @Sendable (Request, RequestContext, NextHandler<Request>) async throws -> Request.Response
    ) {
        let erased: ErasedHandler.Body = { value, context, next in
            let request = try cast(value, to: Request.self)
            let typedNext = NextHandler<Request> { request, context in
                try cast(try await next(request, context), to: Request.Response.self)
            }
            return try await handler(request, context, typedNext)
        }
        withEntry(type) { $0.handlers.append(ErasedHandler(owner: owner, body: erased)) }
    }

    /// Registers a handler that does not chain.
    public mutating func register<Request: CommerceRequest>(
        _ type: Request.Type,
        owner: String = "core",
        _ handler: @escaping @Sendable (Request, RequestContext) async throws -> Request.Response
    ) {
        register(type, owner: owner) { request, context, _ in try await handler(request, context) }
    }

    /// A pre-trigger runs before the handlers; throwing vetoes the request and nothing it did stays.
    public mutating func addPreTrigger<Request: CommerceRequest>(
        _ type: Request.Type,
        owner: String = "core",
        _ trigger: @escaping @Sendable (Request, RequestContext) async throws -> Void
    ) {
        let erased = ErasedPreTrigger(owner: owner) { value, context in
            try await trigger(try cast(value, to: Request.self), context)
        }
        withEntry(type) { $0.preTriggers.append(erased) }
    }

    /// A post-trigger sees the request and the response and answers the response to pass on.
    public mutating func addPostTrigger<Request: CommerceRequest>(
        _ type: Request.Type,
        owner: String = "core",
        _ trigger: @escaping @Sendable (Request, Request.Response, RequestContext) async throws -> Request.Response
    ) {
        let erased = ErasedPostTrigger(owner: owner) { value, response, context in
            try await trigger(try cast(value, to: Request.self), try cast(response, to: Request.Response.self), context)
        }
        withEntry(type) { $0.postTriggers.append(erased) }
    }

    /// A completion runs after every post-trigger, extensions' included, and sees the response
    /// as the client will: the place to store what triggers attached to it (`ExtensionProperties`).
    /// It cannot change the response.
    public mutating func addCompletion<Request: CommerceRequest>(
        _ type: Request.Type,
        _ completion: @escaping @Sendable (Request, Request.Response, RequestContext) async throws -> Void
    ) {
        let erased: ErasedCompletion = { value, response, context in
            try await completion(try cast(value, to: Request.self), try cast(response, to: Request.Response.self), context)
        }
        withEntry(type) { $0.completions.append(erased) }
    }

    // MARK: JSON registration (extensions)

    /// Registers a JSON handler. For a known type it joins that type's chain; an unknown name
    /// declares a new JSON-only request type with `mode`.
    public mutating func registerJSON(typeName: String, mode: RequestMode = .write, owner: String, _ handler: @escaping JSONHandler) {
        if entries[typeName] == nil {
            entries[typeName] = Entry(typeName: typeName, mode: mode, codec: .json)
        }
        guard var entry = entries[typeName] else { return }
        let codec = entry.codec
        entry.handlers.append(ErasedHandler(owner: owner) { value, context, next in
            let body = try codec.encodeRequest(value)
            let output = try await handler(body, context) { nextBody in
                let nextRequest = try codec.decodeRequest(nextBody)
                return try codec.encodeResponse(try await next(nextRequest, context))
            }
            guard let output else { return try await next(value, context) }
            return try codec.decodeResponse(output)
        })
        entries[typeName] = entry
    }

    /// Adds a JSON pre-trigger to a declared request type; throws for an unknown type name.
    public mutating func addJSONPreTrigger(typeName: String, owner: String, _ trigger: @escaping JSONPreTrigger) throws {
        guard var entry = entries[typeName] else { throw CommerceError.unknownRequestType(typeName) }
        let codec = entry.codec
        entry.preTriggers.append(ErasedPreTrigger(owner: owner) { value, context in
            try await trigger(try codec.encodeRequest(value), context)
        })
        entries[typeName] = entry
    }

    /// Adds a JSON post-trigger to a declared request type; throws for an unknown type name.
    public mutating func addJSONPostTrigger(typeName: String, owner: String, _ trigger: @escaping JSONPostTrigger) throws {
        guard var entry = entries[typeName] else { throw CommerceError.unknownRequestType(typeName) }
        let codec = entry.codec
        entry.postTriggers.append(ErasedPostTrigger(owner: owner) { value, response, context in
            let output = try await trigger(try codec.encodeRequest(value), try codec.encodeResponse(response), context)
            return try codec.decodeResponse(output)
        })
        entries[typeName] = entry
    }

    private mutating func withEntry<Request: CommerceRequest>(_ type: Request.Type, _ body: (inout Entry) -> Void) {
        var entry = entries[Request.typeName] ?? Entry(typeName: Request.typeName, mode: Request.mode, codec: .typed(Request.self))
        body(&entry)
        entries[Request.typeName] = entry
    }
}

extension HandlerRegistry {
    struct Entry: Sendable {
        var typeName: String
        var mode: RequestMode
        var codec: RequestCodec
        var handlers: [ErasedHandler] = []
        var preTriggers: [ErasedPreTrigger] = []
        var postTriggers: [ErasedPostTrigger] = []
        var completions: [ErasedCompletion] = []
    }
}

typealias ErasedCompletion = @Sendable (any Sendable, any Sendable, RequestContext) async throws -> Void

struct ErasedHandler: Sendable {
    typealias Next = @Sendable (any Sendable, RequestContext) async throws -> any Sendable
    typealias Body = @Sendable (any Sendable, RequestContext, @escaping Next) async throws -> any Sendable
    let owner: String
    let body: Body
}

struct ErasedPreTrigger: Sendable {
    let owner: String
    let body: @Sendable (any Sendable, RequestContext) async throws -> Void
}

struct ErasedPostTrigger: Sendable {
    let owner: String
    let body: @Sendable (any Sendable, any Sendable, RequestContext) async throws -> any Sendable
}

/// Converts a request type's values to and from the JSON that extensions see.
struct RequestCodec: Sendable {
    let encodeRequest: @Sendable (any Sendable) throws -> [UInt8]
    let decodeRequest: @Sendable ([UInt8]) throws -> any Sendable
    let encodeResponse: @Sendable (any Sendable) throws -> [UInt8]
    let decodeResponse: @Sendable ([UInt8]) throws -> any Sendable

    static func typed<Request: CommerceRequest>(_: Request.Type) -> RequestCodec {
        RequestCodec(
            encodeRequest: { try encode(try cast($0, to: Request.self)) },
            decodeRequest: { try decode(Request.self, from: $0, what: "request") },
            encodeResponse: { try encode(try cast($0, to: Request.Response.self)) },
            decodeResponse: { try decode(Request.Response.self, from: $0, what: "response") }
        )
    }

    /// JSON-only request types carry their bodies as they are.
    static let json = RequestCodec(
        encodeRequest: { try cast($0, to: [UInt8].self) },
        decodeRequest: { $0 },
        encodeResponse: { try cast($0, to: [UInt8].self) },
        decodeResponse: { $0 }
    )

    private static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        try CompactJSONEncoder.encodeFallingBack(value)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw CommerceError.invalidRequest("the \(what) JSON does not match \(Value.self): \(error)")
        }
    }
}

func cast<Value>(_ value: any Sendable, to type: Value.Type) throws -> Value {
    guard let typed = value as? Value else {
        throw CommerceError.internalError("a pipeline value of type \(Swift.type(of: value)) was expected to be \(Value.self)")
    }
    return typed
}
