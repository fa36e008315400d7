import Foundation
import HTTPTypes

/// One request of a `$batch`, in either format, checked and ready to run.
struct BatchPart: Sendable {
    /// The JSON `id`, or the multipart `Content-ID` (optional outside change sets).
    var id: String?
    var method: HTTPRequest.Method
    var target: BatchTarget
    /// The part's own headers; they override the batch's.
    var headers: [(String, String)]
    var body: [UInt8]?
    /// The JSON `dependsOn`: ids of requests and names of atomicity groups that must succeed first.
    var dependsOn: [String] = []
    /// The JSON `atomicityGroup`, or the name given to a multipart change set.
    var group: String?

    /// How the batch's answers name this part in messages.
    var label: String { id.map { "'\($0)'" } ?? "\(method.rawValue) \(target.text)" }

    func header(_ name: String) -> String? {
        headers.last { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// Where a part of a batch goes: a path of the service, or `$<id>` followed by more path,
/// the entity an earlier request of the batch created (OData 4.01 part 1, 11.7.4).
enum BatchTarget: Sendable {
    /// An absolute path with query, e.g. `/Commerce/Products?$top=1`.
    case path(String)
    /// `$1/AddCartLines?x=y`: the id `1` and what follows it, `/AddCartLines?x=y`.
    case reference(id: String, rest: String)

    /// The names of system resources, which a `$` segment means before it means a request id.
    static let systemResources: Set<String> = ["$batch", "$crossjoin", "$all", "$entity", "$root", "$id", "$metadata"]

    /// A part's URL in any of the three forms a batch allows: absolute URL, absolute path,
    /// or path relative to the service root (which may start with a `$<id>` reference).
    init(url: String, label: String) throws {
        if url.hasPrefix("http://") || url.hasPrefix("https://") {
            guard let components = URLComponents(string: url) else { throw ODataError.badRequest("batch request \(label) has a malformed URL") }
            self = .path(components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        } else if url.hasPrefix("/") {
            self = .path(url)
        } else if url.hasPrefix("$") {
            let end = url.firstIndex { $0 == "/" || $0 == "?" } ?? url.endIndex
            let segment = String(url[..<end])
            if Self.systemResources.contains(segment) {
                self = .path("/Commerce/" + url)
            } else {
                let id = String(segment.dropFirst())
                guard !id.isEmpty else { throw ODataError.badRequest("batch request \(label) references '$' without a request id") }
                self = .reference(id: id, rest: String(url[end...]))
            }
        } else {
            self = .path("/Commerce/" + url)
        }
    }

    var text: String {
        switch self {
        case .path(let path): path
        case .reference(let id, let rest): "$" + id + rest
        }
    }

    var referencedId: String? {
        if case .reference(let id, _) = self { return id }
        return nil
    }

    /// The path with a reference replaced by the path of `location`, the canonical URL of the
    /// referenced entity (its `Location` header): `$1/AddCartLines` becomes
    /// `/Commerce/Carts('...')/AddCartLines`.
    func resolved(location: String) -> String? {
        switch self {
        case .path(let path):
            return path
        case .reference(_, let rest):
            guard let components = URLComponents(string: location), !components.percentEncodedPath.isEmpty else { return nil }
            // A created entity's URL carries no query of its own; one would not survive the join.
            guard components.percentEncodedQuery == nil else { return nil }
            return components.percentEncodedPath + rest
        }
    }
}

/// One step of a batch: a request alone, or several that commit together.
enum BatchUnit: Sendable {
    case single(BatchPart)
    /// A JSON atomicity group or a multipart change set, by name.
    case group(String, [BatchPart])

    var parts: [BatchPart] {
        switch self {
        case .single(let part): [part]
        case .group(_, let parts): parts
        }
    }
}
