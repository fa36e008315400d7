import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST $batch` in the OData 4.01 JSON batch format: each request runs as if sent alone, in
/// the order given, and its response (status, headers, body) comes back in `responses`.
///
/// Requests run one after another so `dependsOn` holds by order; a request whose dependency
/// failed answers 424. Atomicity groups would need one transaction across several requests,
/// which the runtime does not offer yet, so they are refused (501) rather than run non-atomically.
enum BatchController {
    static let maximumRequests = 100

    static func handle(_ call: APICall, api: CommerceAPI, context: CommerceRequestContext) async throws -> Response {
        try call.requireMethods([.post], resource: "$batch")
        guard let body = try await call.readBody() else {
            throw ODataError.badRequest("the batch body is empty")
        }
        guard let root = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let requests = root["requests"] as? [Any] else {
            throw ODataError.badRequest("a JSON batch is an object with a 'requests' array")
        }
        guard requests.count <= maximumRequests else {
            throw ODataError.badRequest("a batch holds at most \(maximumRequests) requests, this one \(requests.count)")
        }
        var parsed: [BatchRequest] = []
        var ids: Set<String> = []
        for (index, item) in requests.enumerated() {
            let request = try BatchRequest(item, index: index)
            guard ids.insert(request.id).inserted else { throw ODataError.badRequest("the batch request id '\(request.id)' is used twice") }
            if let missing = request.dependsOn.first(where: { !ids.contains($0) || $0 == request.id }) {
                throw ODataError.badRequest("batch request '\(request.id)' depends on '\(missing)', which does not come before it")
            }
            parsed.append(request)
        }
        var failed: Set<String> = []
        var writer = JSONWriter(capacity: 4096)
        writer.beginObject()
        writer.key("responses")
        writer.beginArray()
        for request in parsed {
            let response: Response
            if let dependency = request.dependsOn.first(where: failed.contains) {
                response = try ODataError(HTTPResponse.Status(code: 424, reasonPhrase: "Failed Dependency"), code: "FailedDependency", "request '\(dependency)', which this one depends on, failed")
                    .response(from: call.request, context: context)
            } else {
                response = await run(request, call: call, api: api, context: context)
            }
            if response.status.code >= 400 { failed.insert(request.id) }
            try await write(response, id: request.id, into: &writer)
        }
        writer.endArray()
        writer.endObject()
        return CommerceAPI.json(writer.bytes, status: .ok, contentType: "application/json")
    }

    /// Runs one part through the same dispatch as a top-level request; errors become responses.
    private static func run(_ part: BatchRequest, call: APICall, api: CommerceAPI, context: CommerceRequestContext) async -> Response {
        var fields = HTTPFields()
        // The batch's own headers (channel, auth, Accept) apply unless the part overrides them.
        for field in call.request.headers where field.name != .contentLength && field.name != .contentType { fields[field.name] = field.value }
        for (name, value) in part.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        if part.body != nil { fields[.contentType] = "application/json" }
        let head = HTTPRequest(method: part.method, scheme: "http", authority: call.request.head.authority, path: part.path, headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: part.body ?? [])))
        do {
            guard part.path.hasPrefix("/Commerce/") || part.path == "/Commerce" else {
                throw ODataError.badRequest("batch request '\(part.id)' addresses \(part.path), outside the service")
            }
            if part.path.hasPrefix("/Commerce/$batch") { throw ODataError.badRequest("a batch cannot contain another batch") }
            return try await api.dispatch(request, context)
        } catch let error as any HTTPResponseError {
            return (try? error.response(from: request, context: context)) ?? Response(status: .internalServerError)
        } catch {
            return Response(status: .internalServerError)
        }
    }

    private static func write(_ response: Response, id: String, into writer: inout JSONWriter) async throws {
        let collector = BodyCollector()
        try await response.body.write(collector)
        let bytes = collector.bytes
        writer.beginObject()
        writer.field("id", id)
        writer.field("status", Int64(response.status.code))
        writer.key("headers")
        writer.beginObject()
        for field in response.headers where field.name != .contentLength && field.name != .date && field.name != .server {
            writer.field(field.name.canonicalName, field.value)
        }
        writer.endObject()
        if !bytes.isEmpty {
            writer.key("body")
            if response.headers[.contentType]?.hasPrefix("application/json") == true {
                writer.raw(bytes)
            } else {
                writer.string(String(decoding: bytes, as: UTF8.self))
            }
        }
        writer.endObject()
    }
}

/// One part of a JSON batch, checked.
private struct BatchRequest {
    let id: String
    let method: HTTPRequest.Method
    /// Absolute path with query, e.g. `/Commerce/Products?$top=1`.
    let path: String
    let headers: [(String, String)]
    let body: [UInt8]?
    let dependsOn: [String]

    init(_ item: Any, index: Int) throws {
        guard let object = item as? [String: Any] else { throw ODataError.badRequest("batch request \(index) is not an object") }
        guard let id = object["id"] as? String, !id.isEmpty else { throw ODataError.badRequest("batch request \(index) has no id") }
        guard let methodName = object["method"] as? String, let method = HTTPRequest.Method(methodName.uppercased()),
              [.get, .post, .patch, .put, .delete].contains(method) else {
            throw ODataError.badRequest("batch request '\(id)' has no valid method")
        }
        guard let url = object["url"] as? String, !url.isEmpty else { throw ODataError.badRequest("batch request '\(id)' has no url") }
        if object["atomicityGroup"] != nil {
            throw ODataError.notImplemented("atomicity groups in $batch are not implemented yet (batch request '\(id)')")
        }
        self.id = id
        self.method = method
        // Relative URLs resolve against the service root; absolute ones keep only their path.
        if url.hasPrefix("http://") || url.hasPrefix("https://"), let components = URLComponents(string: url) {
            path = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        } else if url.hasPrefix("/") {
            path = url
        } else if url.hasPrefix("$") && !url.hasPrefix("$metadata") && !url.hasPrefix("$batch") {
            throw ODataError.notImplemented("batch request '\(id)': references to other requests' results ($id) are not implemented yet")
        } else {
            path = "/Commerce/" + url
        }
        headers = (object["headers"] as? [String: Any] ?? [:]).compactMap { key, value in (value as? String).map { (key, $0) } }
        if let body = object["body"], !(body is NSNull) {
            guard JSONSerialization.isValidJSONObject(body) else { throw ODataError.badRequest("batch request '\(id)' has a body that is not a JSON object or array") }
            self.body = Array(try JSONSerialization.data(withJSONObject: body))
        } else {
            body = nil
        }
        dependsOn = object["dependsOn"] as? [String] ?? []
    }
}

/// Collects a response body written through Hummingbird's writer interface.
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    private(set) var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
