import Foundation
import HTTPTypes

/// The multipart batch format (OData 4.01 part 1, 11.7.7): `multipart/mixed` parts, each an
/// `application/http` request or a change set, a nested `multipart/mixed` whose requests commit
/// together.
enum MultipartBatch {
    /// Request headers a part must not carry (11.7.7.1): the batch's credentials are the parts'.
    static let requestIdCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    static let forbiddenHeaders: Set<String> = ["authorization", "proxy-authorization", "expect", "from", "max-forwards", "range", "te"]

    static func units(of body: [UInt8], contentType: MediaType, maximumRequests: Int) throws -> [BatchUnit] {
        let boundary = try boundaryParameter(of: contentType, describing: "the batch")
        let parts = try MultipartBody.parts(of: body, boundary: boundary, describing: "multipart batch")
        guard !parts.isEmpty else { throw ODataError.badRequest("the multipart batch holds no request") }
        var units: [BatchUnit] = []
        var ids: Set<String> = []
        var count = 0
        for (index, part) in parts.enumerated() {
            let type = MediaType(part.header("Content-Type") ?? "")
            switch type.name {
            case "application/http":
                let request = try request(in: part, label: "part \(index + 1) of the batch", ids: &ids, changeSet: nil)
                units.append(.single(request))
                count += 1
            case "multipart/mixed":
                let name = "change set \(index + 1)"
                let inner = try MultipartBody.parts(of: part.content, boundary: try boundaryParameter(of: type, describing: name), describing: name)
                guard !inner.isEmpty else { throw ODataError.badRequest("\(name) holds no request") }
                var requests: [BatchPart] = []
                for (position, innerPart) in inner.enumerated() {
                    let label = "part \(position + 1) of \(name)"
                    let innerType = MediaType(innerPart.header("Content-Type") ?? "")
                    if innerType.name == "multipart/mixed" { throw ODataError.badRequest("\(label) is a change set: change sets cannot be nested") }
                    guard innerType.name == "application/http" else {
                        throw ODataError.badRequest("\(label) is '\(innerType.name)'; a change set holds application/http requests only")
                    }
                    requests.append(try request(in: innerPart, label: label, ids: &ids, changeSet: name))
                }
                units.append(.group(name, requests))
                count += requests.count
            default:
                let shown = type.name.isEmpty ? "without a Content-Type" : "'\(type.name)'"
                throw ODataError.badRequest("part \(index + 1) of the batch is \(shown); a part is application/http or a multipart/mixed change set")
            }
            guard count <= maximumRequests else {
                throw ODataError.badRequest("a batch holds at most \(maximumRequests) requests; this one holds more")
            }
        }
        return units
    }

    private static func boundaryParameter(of type: MediaType, describing name: String) throws -> String {
        // RFC 2046: 1 to 70 characters.
        guard let boundary = type.parameters["boundary"], !boundary.isEmpty else {
            throw ODataError.badRequest("\(name) is multipart/mixed without a boundary parameter")
        }
        guard boundary.count <= 70 else { throw ODataError.badRequest("the boundary of \(name) is longer than 70 characters") }
        return boundary
    }

    /// The request an `application/http` part holds: request line, headers, body.
    private static func request(in part: MultipartBody.Part, label: String, ids: inout Set<String>, changeSet: String?) throws -> BatchPart {
        guard let newline = part.content.firstIndex(of: UInt8(ascii: "\n")) else {
            throw ODataError.badRequest("\(label) holds no request line (method, URL, HTTP version)")
        }
        let line = String(decoding: part.content[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 2 || (words.count == 3 && words[2].hasPrefix("HTTP/")) else {
            throw ODataError.badRequest("\(label) has no valid request line: '\(line.prefix(80))'")
        }
        guard let method = HTTPRequest.Method(words[0].uppercased()), [.get, .post, .patch, .put, .delete].contains(method) else {
            throw ODataError.badRequest("\(label) has no valid method: '\(words[0].prefix(20))'")
        }
        var (headers, body) = try MultipartBody.split(Array(part.content[(newline + 1)...]), describing: label)
        if let forbidden = headers.first(where: { forbiddenHeaders.contains($0.0.lowercased()) }) {
            throw ODataError.badRequest("\(label) carries \(forbidden.0); a part of a batch must not: the batch's own credentials and headers apply")
        }
        // The part's Content-ID names it; older clients put it among the request's headers.
        let id = part.header("Content-ID") ?? headers.last { $0.0.caseInsensitiveCompare("Content-ID") == .orderedSame }?.1
        if let lengthText = headers.last(where: { $0.0.caseInsensitiveCompare("Content-Length") == .orderedSame })?.1 {
            guard let length = Int(lengthText), length >= 0, length <= body.count else {
                throw ODataError.badRequest("\(label) has a Content-Length of \(lengthText.prefix(20)) but a body of \(body.count) bytes")
            }
            body = Array(body.prefix(length))
        }
        headers.removeAll { ["content-id", "content-length", "host"].contains($0.0.lowercased()) }
        if changeSet != nil {
            guard method != .get else { throw ODataError.badRequest("\(label) is a GET: a change set holds changes and actions only") }
            guard id != nil else { throw ODataError.badRequest("\(label) has no Content-ID; every request of a change set needs one") }
        }
        if let id {
            // The protocol's request-id rule (unreserved characters) also keeps the id, which is
            // echoed in the response, free of line breaks.
            guard !id.isEmpty, id.unicodeScalars.allSatisfy({ requestIdCharacters.contains($0) }) else {
                throw ODataError.badRequest("the Content-ID of \(label) must be letters, digits, '-', '.', '_' or '~'")
            }
            guard ids.insert(id).inserted else { throw ODataError.badRequest("the Content-ID '\(id)' of \(label) is used twice") }
        }
        let target = try BatchTarget(url: words[1], label: id.map { "'\($0)'" } ?? label)
        if let referenced = target.referencedId, referenced == id || !ids.contains(referenced) {
            throw ODataError.badRequest("\(label) refers to '$\(referenced)', which is no Content-ID of an earlier request of the batch")
        }
        return BatchPart(id: id, method: method, target: target, headers: headers, body: body.isEmpty ? nil : body, group: changeSet)
    }

    /// The response, structured like the request: a change set that committed answers with a
    /// nested multipart of its requests' responses; one that did not, with the single response
    /// that failed it (11.7.7.5).
    static func write(_ results: [(BatchUnit, BatchExecutor.GroupOutcome)], boundary: String) -> [UInt8] {
        var writer = MultipartWriter(boundary: boundary)
        for (unit, outcome) in results {
            switch (unit, outcome) {
            case (.single(let part), .committed(let answers)):
                if let answer = answers.first { writer.append(http: answer, contentId: part.id) }
            case (.single(let part), .failed(let answer, _)):
                writer.append(http: answer, contentId: part.id)
            case (.group(_, let parts), .committed(let answers)):
                var changeSet = MultipartWriter(boundary: "changesetresponse_" + UUID().uuidString.lowercased())
                for (part, answer) in zip(parts, answers) { changeSet.append(http: answer, contentId: part.id) }
                writer.append(contentType: "multipart/mixed; boundary=\(changeSet.boundary)", headers: [], content: changeSet.finish())
            case (.group(_, let parts), .failed(let answer, let index)):
                writer.append(http: answer, contentId: index.flatMap { parts.indices.contains($0) ? parts[$0].id : nil })
            }
        }
        return writer.finish()
    }
}

/// Writes a multipart document, CRLF line breaks throughout.
struct MultipartWriter {
    let boundary: String
    private var bytes: [UInt8] = []

    init(boundary: String) { self.boundary = boundary }

    mutating func append(contentType: String, headers: [(String, String)], content: [UInt8]) {
        line("--" + boundary)
        line("Content-Type: " + contentType)
        for (name, value) in headers { line(name + ": " + value) }
        line("")
        bytes += content
        // The line break before the next delimiter belongs to the delimiter.
        bytes += [13, 10]
    }

    /// One response as an `application/http` part: status line, headers, body.
    mutating func append(http answer: BatchAnswer, contentId: String?) {
        var message: [UInt8] = []
        func line(_ text: String) { message += Array(text.utf8) + [13, 10] }
        line("HTTP/1.1 \(answer.status.code) \(answer.status.reasonPhrase)")
        for field in answer.headers where field.name != .contentLength && field.name != .date && field.name != .server {
            line("\(field.name.rawName): \(field.value)")
        }
        line("Content-Length: \(answer.body.count)")
        line("")
        message += answer.body
        var headers = [("Content-Transfer-Encoding", "binary")]
        if let contentId { headers.append(("Content-ID", contentId)) }
        append(contentType: "application/http", headers: headers, content: message)
    }

    /// The document with its closing delimiter.
    mutating func finish() -> [UInt8] {
        bytes += Array("--\(boundary)--".utf8)
        return bytes
    }

    private mutating func line(_ text: String) { bytes += Array(text.utf8) + [13, 10] }
}
