import Foundation
import HTTPTypes

/// How much control information a JSON response carries (`odata.metadata`).
enum MetadataLevel: String, Sendable {
    case minimal, none, full
}

/// The JSON response format agreed with the client from `$format` or `Accept`.
struct ResponseFormat: Sendable {
    var metadata: MetadataLevel

    static let `default` = ResponseFormat(metadata: .minimal)

    var contentType: String { Self.contentType(of: metadata) }

    private static let contentTypes = [MetadataLevel.minimal, .none, .full].map { level in
        (level, "application/json; odata.metadata=\(level.rawValue); odata.streaming=true; IEEE754Compatible=false")
    }

    /// One shared string per level: answers compare and copy it without building it.
    static func contentType(of level: MetadataLevel) -> String {
        contentTypes.first { $0.0 == level }?.1 ?? contentTypes[0].1
    }

    /// `$format` wins over `Accept` (OData 4.0 part 2, 11.2.11). A client that accepts no JSON at
    /// all gets 406; one that names JSON with an unknown `odata.metadata` value gets 406 too.
    static func negotiate(format: String?, accept: String?) throws -> ResponseFormat {
        if let format {
            let (type, parameters) = mediaType(format)
            guard type == "json" || type == "application/json" else {
                throw ODataError(.notAcceptable, code: "NotAcceptable", "the format '\(format)' is not served here; use json", target: "$format")
            }
            return try ResponseFormat(parameters: parameters)
        }
        guard let accept, !accept.isEmpty else { return .default }
        for range in accept.split(separator: ",") {
            let (type, parameters) = mediaType(String(range))
            if let quality = parameters["q"], Double(quality) == 0 { continue }
            switch type {
            case "application/json": return try ResponseFormat(parameters: parameters)
            case "application/*", "*/*": return .default
            default: continue
            }
        }
        throw ODataError(.notAcceptable, code: "NotAcceptable", "this resource is served as application/json, which the Accept header excludes")
    }

    private init(metadata: MetadataLevel) { self.metadata = metadata }

    private init(parameters: [String: String]) throws {
        guard let value = parameters["odata.metadata"] else {
            self.metadata = .minimal
            return
        }
        guard let level = MetadataLevel(rawValue: value) else {
            throw ODataError(.notAcceptable, code: "NotAcceptable", "odata.metadata=\(value) is not served; use minimal, none or full")
        }
        self.metadata = level
    }

    /// `application/json;odata.metadata=none;q=0.9` -> ("application/json", [odata.metadata: none, q: 0.9]).
    private static func mediaType(_ text: String) -> (String, [String: String]) {
        // Optional whitespace around parts is spaces and tabs (RFC 9110); trimmed without
        // Foundation, whose `trimmingCharacters` bridges through NSString on every request.
        let parts = text.split(separator: ";").map { $0.trimmingOptionalWhitespace().lowercased() }
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { parameters[pair[0]] = pair[1] }
        }
        return (parts.first ?? "", parameters)
    }
}

/// The OData version headers of a request: a client that can only take a version below 4.0
/// cannot be served; one that sends a body in a newer version than 4.01 neither.
enum ODataVersionCheck {
    static func check(maxVersion: String?, version: String?) throws {
        if let maxVersion, let number = Double(Substring(maxVersion).trimmingOptionalWhitespace()), number < 4.0 {
            throw ODataError.badRequest("this service speaks OData 4.0; OData-MaxVersion \(maxVersion) is below it", target: "OData-MaxVersion")
        }
        if let version, let number = Double(Substring(version).trimmingOptionalWhitespace()), number < 4.0 || number > 4.01 {
            throw ODataError.badRequest("OData-Version \(version) is not supported; send 4.0 or 4.01", target: "OData-Version")
        }
    }
}

extension Substring {
    /// Without the spaces and tabs around it (HTTP's optional whitespace).
    func trimmingOptionalWhitespace() -> Substring {
        var text = self
        while let byte = text.utf8.first, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { text = text.dropFirst() }
        while let byte = text.utf8.last, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { text = text.dropLast() }
        return text
    }
}
