import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST $batch` in both OData formats: the 4.01 JSON format (`application/json`) and the
/// multipart format (`multipart/mixed`); the response comes in the request's format.
///
/// Requests run one after another, each as if sent alone, so `dependsOn` holds by order; a
/// request whose dependency failed answers 424. A JSON atomicity group or a multipart change set
/// runs in one transaction of the runtime (``CommerceRuntime/atomically(_:)``): it commits when
/// every request in it answers 2xx and leaves nothing behind otherwise. A request may address
/// the entity an earlier one created as `$<id>` (its `Location`).
enum BatchController {
    static let maximumRequests = 100

    static func handle(_ call: APICall, api: CommerceAPI, context: CommerceRequestContext) async throws -> Response {
        try call.requireMethods([.post], resource: "$batch")
        let contentType = call.request.headers[.contentType] ?? "application/json"
        let mediaType = MediaType(contentType)
        switch mediaType.name {
        case "application/json":
            return try await json(call, api: api, context: context)
        case "multipart/mixed":
            return try await multipart(call, mediaType: mediaType, api: api, context: context)
        default:
            throw ODataError(
                .unsupportedMediaType, code: "UnsupportedMediaType", "a batch is application/json or multipart/mixed, not \(contentType)"
            )
        }
    }

    private static func json(_ call: APICall, api: CommerceAPI, context: CommerceRequestContext) async throws -> Response {
        guard let body = try await call.readBody() else { throw ODataError.badRequest("the batch body is empty") }
        let units = try JSONBatch.units(of: body, maximumRequests: maximumRequests)
        let executor = BatchExecutor(api: api, batch: call.request, context: context, ownHeaders: [.contentLength, .contentType])
        try executor.checkChannels(of: units)
        var ledger = BatchLedger()
        var results: [(BatchUnit, BatchExecutor.GroupOutcome)] = []
        for unit in units {
            switch unit {
            case .single(let part):
                results.append((unit, .committed([await executor.runAlone(part, ledger: &ledger)])))
            case .group(let name, let parts):
                results.append((unit, await executor.runGroup(name, parts, ledger: &ledger)))
            }
        }
        return CommerceAPI.json(JSONBatch.write(results), status: .ok, contentType: "application/json")
    }

    /// Parts run in order; the first that fails ends the batch unless the client prefers
    /// `continue-on-error` (11.7.7.4), so its answer is the response's last part.
    private static func multipart(_ call: APICall, mediaType: MediaType, api: CommerceAPI, context: CommerceRequestContext) async throws -> Response {
        guard let body = try await call.readRawBody() else { throw ODataError.badRequest("the batch body is empty") }
        let units = try MultipartBatch.units(of: Array(body), contentType: mediaType, maximumRequests: maximumRequests)
        // The batch's Accept names the batch's format, which no single request can answer in.
        let executor = BatchExecutor(api: api, batch: call.request, context: context, ownHeaders: [.contentLength, .contentType, .accept])
        try executor.checkChannels(of: units)
        let continueOnError = Preferences(call.request.headers[values: ODataHeaders.prefer]).continueOnError
        var ledger = BatchLedger()
        var results: [(BatchUnit, BatchExecutor.GroupOutcome)] = []
        for unit in units {
            let outcome: BatchExecutor.GroupOutcome
            let failed: Bool
            switch unit {
            case .single(let part):
                let answer = await executor.runAlone(part, ledger: &ledger)
                outcome = .committed([answer])
                failed = answer.status.code >= 400
            case .group(let name, let parts):
                outcome = await executor.runGroup(name, parts, ledger: &ledger)
                if case .failed = outcome { failed = true } else { failed = false }
            }
            results.append((unit, outcome))
            if failed, !continueOnError { break }
        }
        let boundary = "batchresponse_" + UUID().uuidString.lowercased()
        var headers = HTTPFields()
        headers[.contentType] = "multipart/mixed; boundary=\(boundary)"
        headers[ODataHeaders.odataVersion] = "4.0"
        if continueOnError { headers[ODataHeaders.preferenceApplied] = "continue-on-error" }
        let bytes = MultipartBatch.write(results, boundary: boundary) + [13, 10]
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The `Prefer` header's preferences that a batch honors.
struct Preferences {
    /// `continue-on-error` (also `odata.continue-on-error`), alone or `=true`; `=false` turns it off.
    var continueOnError = false

    init(_ values: [String]) {
        for preference in values.flatMap({ $0.split(separator: ",") }) {
            let token = preference.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let parts = token.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, name == "continue-on-error" || name == "odata.continue-on-error" else { continue }
            continueOnError = parts.count == 1 || parts[1] == "true"
        }
    }
}
