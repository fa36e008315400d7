import ChannelDatabase

/// The frozen registry: runs one request through pre-triggers, the handler chain and post-triggers.
struct Pipeline: Sendable {
    let entries: [String: HandlerRegistry.Entry]

    init(_ registry: HandlerRegistry) {
        entries = registry.entries
    }

    func mode(of typeName: String) -> RequestMode? { entries[typeName]?.mode }

    func run<Request: CommerceRequest>(_ request: Request, context: RequestContext) async throws -> Request.Response {
        let entry = try self.entry(Request.typeName, context: context)
        return try cast(try await run(entry, request, context), to: Request.Response.self)
    }

    func runJSON(_ request: JSONRequest, context: RequestContext) async throws -> [UInt8] {
        let entry = try self.entry(request.typeName, context: context)
        let value = try entry.codec.decodeRequest(request.body)
        return try entry.codec.encodeResponse(try await run(entry, value, context))
    }

    private func entry(_ typeName: String, context: RequestContext) throws -> HandlerRegistry.Entry {
        guard let entry = entries[typeName], !entry.handlers.isEmpty else { throw CommerceError.unknownRequestType(typeName) }
        if entry.mode == .write, context.transaction.mode == .read {
            throw CommerceError.internalError("request type '\(typeName)' writes but was called inside a read-only request")
        }
        return entry
    }

    private func run(_ entry: HandlerRegistry.Entry, _ request: any Sendable, _ context: RequestContext) async throws -> any Sendable {
        for trigger in entry.preTriggers {
            try await trigger.body(request, context)
        }
        var response = try await callChain(entry.handlers, at: entry.handlers.count - 1, request, context)
        for trigger in entry.postTriggers {
            response = try await trigger.body(request, response, context)
        }
        for completion in entry.completions {
            try await completion(request, response, context)
        }
        return response
    }

    /// Calls the handler at `index`; its `next` is the one registered before it.
    private func callChain(
        _ handlers: [ErasedHandler], at index: Int, _ request: any Sendable, _ context: RequestContext
    ) async throws -> any Sendable {
        guard index >= 0 else {
            throw CommerceError.internalError("the first handler of this request type called next, but there is none before it")
        }
        return try await handlers[index].body(request, context) { request, context in
            try await callChain(handlers, at: index - 1, request, context)
        }
    }
}
