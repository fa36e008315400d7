import Foundation
import HTTPTypes

/// The OData 4.01 JSON batch format (JSON Format, section 19): `{"requests":[...]}` in,
/// `{"responses":[...]}` out.
enum JSONBatch {
    /// The requests of a batch body, checked, as units: adjacent requests of one
    /// `atomicityGroup` form one group.
    static func units(of body: Data, maximumRequests: Int) throws -> [BatchUnit] {
        guard let root = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let requests = root["requests"] as? [Any] else {
            throw ODataError.badRequest("a JSON batch is an object with a 'requests' array")
        }
        guard requests.count <= maximumRequests else {
            throw ODataError.badRequest("a batch holds at most \(maximumRequests) requests, this one \(requests.count)")
        }
        let parts = try requests.enumerated().map { try part($1, index: $0) }
        let ids = Set(parts.compactMap(\.id))
        var groupOf: [String: String] = [:]
        var seen: Set<String> = []
        var started: Set<String> = []
        var closedGroups: Set<String> = []
        var units: [BatchUnit] = []
        for (index, part) in parts.enumerated() {
            guard let id = part.id, seen.insert(id).inserted else { throw ODataError.badRequest("the batch request id \(part.label) is used twice") }
            let previousGroup = index > 0 ? parts[index - 1].group : nil
            if let previousGroup, previousGroup != part.group { closedGroups.insert(previousGroup) }
            if let group = part.group {
                guard !ids.contains(group) else {
                    throw ODataError.badRequest("atomicity group '\(group)' has the name of a request id; ids and group names must differ")
                }
                if previousGroup != group, !started.insert(group).inserted {
                    throw ODataError.badRequest(
                        "the requests of atomicity group '\(group)' must be adjacent; \(part.label) is not next to the others"
                    )
                }
                groupOf[id] = group
            }
            if let group = part.group, part.header("Authorization") != nil {
                // One transaction, one caller: an identity first seen inside a group that then
                // rolls back would be remembered without its account.
                throw ODataError.badRequest(
                    "batch request \(part.label) of atomicity group '\(group)' has its own Authorization; a group runs with the batch's credentials"
                )
            }
            try checkDependencies(of: part, seen: seen, groupOf: groupOf, closedGroups: closedGroups)
            if let group = part.group, case .group(let name, let members)? = units.last, name == group {
                units[units.count - 1] = .group(name, members + [part])
            } else if let group = part.group {
                units.append(.group(group, [part]))
            } else {
                units.append(.single(part))
            }
        }
        return units
    }

    /// `dependsOn` names earlier requests or earlier, complete groups; a request that depends on
    /// a request of another group names that group too (JSON Format, 19.1). A `$<id>` reference
    /// names an earlier request listed in `dependsOn`, or an earlier request of its own group.
    private static func checkDependencies(of part: BatchPart, seen: Set<String>, groupOf: [String: String], closedGroups: Set<String>) throws {
        for name in part.dependsOn {
            if let group = part.group, name == group {
                throw ODataError.badRequest("batch request \(part.label) depends on its own atomicity group '\(name)'")
            }
            let isEarlierRequest = seen.contains(name) && name != part.id
            guard isEarlierRequest || closedGroups.contains(name) else {
                throw ODataError.badRequest("batch request \(part.label) depends on '\(name)', which does not come before it")
            }
            if isEarlierRequest, let group = groupOf[name], group != part.group, !part.dependsOn.contains(group) {
                throw ODataError.badRequest(
                    "batch request \(part.label) depends on '\(name)' of atomicity group '\(group)': list the group in dependsOn too"
                )
            }
        }
        if let id = part.target.referencedId {
            let sameGroup = part.group != nil && groupOf[id] == part.group && id != part.id
            guard seen.contains(id), id != part.id else {
                throw ODataError.badRequest("batch request \(part.label) refers to '$\(id)', which is no earlier request of the batch")
            }
            guard sameGroup || part.dependsOn.contains(id) else {
                throw ODataError.badRequest("batch request \(part.label) refers to '$\(id)': list '\(id)' in its dependsOn")
            }
        }
    }

    private static func part(_ item: Any, index: Int) throws -> BatchPart {
        guard let object = item as? [String: Any] else { throw ODataError.badRequest("batch request \(index) is not an object") }
        guard let id = object["id"] as? String, !id.isEmpty else { throw ODataError.badRequest("batch request \(index) has no id") }
        guard let methodName = object["method"] as? String, let method = HTTPRequest.Method(methodName.uppercased()),
              [.get, .post, .patch, .put, .delete].contains(method) else {
            throw ODataError.badRequest("batch request '\(id)' has no valid method")
        }
        guard let url = object["url"] as? String, !url.isEmpty else { throw ODataError.badRequest("batch request '\(id)' has no url") }
        var group: String?
        if let value = object["atomicityGroup"], !(value is NSNull) {
            guard let name = value as? String, !name.isEmpty else {
                throw ODataError.badRequest("batch request '\(id)' has an atomicityGroup that is not a non-empty string")
            }
            group = name
        }
        var headers = (object["headers"] as? [String: Any] ?? [:]).compactMap { key, value in (value as? String).map { (key, $0) } }
        var body: [UInt8]?
        if let value = object["body"], !(value is NSNull) {
            guard JSONSerialization.isValidJSONObject(value) else {
                throw ODataError.badRequest("batch request '\(id)' has a body that is not a JSON object or array")
            }
            body = Array(try JSONSerialization.data(withJSONObject: value))
            // The body is JSON whatever content-type the request object names.
            headers.removeAll { $0.0.caseInsensitiveCompare("Content-Type") == .orderedSame }
            headers.append(("Content-Type", "application/json"))
        }
        var dependsOn: [String] = []
        if let value = object["dependsOn"], !(value is NSNull) {
            guard let names = value as? [String] else {
                throw ODataError.badRequest("batch request '\(id)' has a dependsOn that is not an array of strings")
            }
            dependsOn = names
        }
        return BatchPart(
            id: id, method: method, target: try BatchTarget(url: url, label: "'\(id)'"), headers: headers, body: body, dependsOn: dependsOn,
            group: group
        )
    }

    /// The response objects, in request order. A group that did not commit answers its failure
    /// for every member: none of them took effect (JSON Format, 19.5).
    static func write(_ results: [(BatchUnit, BatchExecutor.GroupOutcome)]) -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.beginObject()
        writer.key("responses")
        writer.beginArray()
        for (unit, outcome) in results {
            let parts = unit.parts
            switch outcome {
            case .committed(let answers):
                for (part, answer) in zip(parts, answers) { write(answer, part: part, into: &writer) }
            case .failed(let answer, _):
                for part in parts { write(answer, part: part, into: &writer) }
            }
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private static func write(_ answer: BatchAnswer, part: BatchPart, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", part.id ?? "")
        if let group = part.group { writer.field("atomicityGroup", group) }
        writer.field("status", Int64(answer.status.code))
        writer.key("headers")
        writer.beginObject()
        for field in answer.headers where field.name != .contentLength && field.name != .date && field.name != .server {
            writer.field(field.name.canonicalName, field.value)
        }
        writer.endObject()
        if !answer.body.isEmpty {
            writer.key("body")
            if answer.headers[.contentType]?.hasPrefix("application/json") == true {
                writer.raw(answer.body)
            } else {
                writer.string(String(decoding: answer.body, as: UTF8.self))
            }
        }
        writer.endObject()
    }
}
