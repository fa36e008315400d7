import CommerceQuery
import CommerceRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// Entity sets and operations added from outside the built-in controllers (by extensions).
///
/// The model names the CRT request type that serves each of them; this controller turns the
/// HTTP request into that request's JSON (parameters, the bound key, paging) and the JSON it
/// answers into an OData payload.
enum ExtensionController {
    /// Answers the request when it addresses something an extension added; nil otherwise.
    static func handle(_ call: APICall) async throws -> Response? {
        let path = call.path
        if let set = call.model.entitySet(named: path.entitySet) {
            if let operation = call.addressedOperation(entityType: set.entityType), let requestType = operation.requestType {
                try call.requireMethods([operation.kind == .action ? .post : .get], resource: "\(set.name)/\(operation.name)")
                guard let key = path.key else {
                    throw ODataError.badRequest("\(set.name)/\(operation.name) is bound to one entity: address it by key, e.g. \(set.name)('key')/\(operation.name)")
                }
                var parameters = try await self.parameters(of: operation, call)
                parameters["Key"] = key.json
                return try await run(operation, requestType: requestType, parameters: parameters, call: call)
            }
            guard let requestType = set.requestType else { return nil }
            return try await read(set, requestType: requestType, call)
        }
        if let operation = call.model.unboundOperation(path.entitySet), let requestType = operation.requestType {
            try call.requireMethods([operation.kind == .action ? .post : .get], resource: operation.name)
            guard path.rest.isEmpty else { throw ODataError.notFound("\(operation.name) has no segment '\(path.rest.joined(separator: "/"))'") }
            return try await run(operation, requestType: requestType, parameters: try await parameters(of: operation, call), call: call)
        }
        return nil
    }

    private static func run(_ operation: EdmOperation, requestType: String, parameters: [String: JSONText], call: APICall) async throws -> Response {
        var body = JSONWriter(capacity: 128)
        body.beginObject()
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            body.key(name)
            body.raw(value.bytes)
        }
        body.endObject()
        let output = try await call.runtime.execute(JSONRequest(typeName: requestType, body: body.bytes), channel: call.channel, caller: call.caller)
        guard let returnType = operation.returnType else { return Response(status: .noContent) }
        return try payload(output, type: returnType, what: operation.name, call: call)
    }

    private static func read(_ set: EdmEntitySet, requestType: String, _ call: APICall) async throws -> Response {
        try call.requireMethods([.get], resource: set.name)
        guard call.path.rest.isEmpty else {
            throw ODataError.notImplemented("\(set.name)/\(call.path.rest.joined(separator: "/")) is not supported on an extension's entity set")
        }
        if call.options.criteria.filter != nil || call.options.criteria.search != nil || !call.options.criteria.orderBy.isEmpty {
            throw ODataError.notImplemented("$filter, $search and $orderby are not supported on an extension's entity set yet")
        }
        var request = JSONWriter(capacity: 64)
        request.beginObject()
        if let key = call.path.key {
            request.key("Key")
            request.raw(key.json.bytes)
        } else {
            request.field("Top", Int64(call.options.top ?? call.apiOptions.maxPageSize))
            request.field("Skip", Int64(call.options.skip))
        }
        request.endObject()
        let output = try await call.runtime.execute(JSONRequest(typeName: requestType, body: request.bytes), channel: call.channel, caller: call.caller)
        if call.path.key != nil {
            if output.isEmpty || output.elementsEqual("null".utf8) { throw ODataError.notFound("\(set.name) has no entity with that key") }
            return try payload(output, type: .entity(set.entityType), what: set.name, call: call, context: "\(set.name)/$entity")
        }
        return try payload(output, type: .collection(.entity(set.entityType)), what: set.name, call: call, context: set.name)
    }

    /// Wraps an extension's JSON result as OData: objects get `@odata.context` in front,
    /// primitives and collections go into `value`.
    private static func payload(_ output: [UInt8], type: EdmType, what: String, call: APICall, context: String? = nil) throws -> Response {
        guard let first = output.first(where: { !isJSONWhitespace($0) }),
            (try? JSONSerialization.jsonObject(with: Data(output), options: [.fragmentsAllowed])) != nil
        else {
            throw CommerceError(.extensionFailure, code: "ExtensionFailed", "\(what) answered a result that is not JSON")
        }
        var writer = JSONWriter(capacity: output.count + 160)
        let contextURL = "\(call.serviceRoot)/$metadata#\(context ?? type.qualifiedName)"
        switch type {
        case .entity, .complex:
            guard first == UInt8(ascii: "{") else {
                throw CommerceError(.extensionFailure, code: "ExtensionFailed", "\(what) must answer a JSON object")
            }
            writer.beginObject()
            if call.format.metadata != .none { writer.field("@odata.context", contextURL) }
            let rest = output.drop { $0 != UInt8(ascii: "{") }.dropFirst()
            // `{}` has no members to follow the annotation; anything else needs a comma.
            if rest.first(where: { !isJSONWhitespace($0) }) == UInt8(ascii: "}") {
                writer.endObject()
                return CommerceAPI.json(writer.bytes, status: .ok)
            }
            var bytes = writer.bytes
            if call.format.metadata != .none { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: rest)
            return CommerceAPI.json(bytes, status: .ok)
        default:
            if type.isCollection && first != UInt8(ascii: "[") {
                throw CommerceError(.extensionFailure, code: "ExtensionFailed", "\(what) must answer a JSON array")
            }
            writer.beginObject()
            if call.format.metadata != .none { writer.field("@odata.context", contextURL) }
            writer.key("value")
            writer.raw(output)
            writer.endObject()
            return CommerceAPI.json(writer.bytes, status: .ok)
        }
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The operation's parameters as JSON values: from the body of an action, from the
    /// parentheses (and parameter aliases) of a function.
    private static func parameters(of operation: EdmOperation, _ call: APICall) async throws -> [String: JSONText] {
        var values: [String: JSONText] = [:]
        if operation.kind == .action {
            let data = try await call.readBody() ?? Data()
            if !data.isEmpty {
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw ODataError.badRequest("the body of \(operation.name) must be a JSON object of its parameters")
                }
                for (name, value) in object {
                    values[name] = JSONText(bytes: Array(try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])))
                }
            }
        } else if let text = call.functionParameterText, !text.isEmpty {
            for (name, literal) in try FunctionParameters.split(text, function: operation.name) {
                values[name] = try FunctionParameters.json(of: literal, name: name, aliases: call.request.uri.queryParameters, function: operation.name)
            }
        }
        for name in values.keys where !operation.parameters.contains(where: { $0.name == name }) {
            throw ODataError.badRequest("\(operation.name) has no parameter '\(name)'", target: name)
        }
        for parameter in operation.parameters {
            guard let value = values[parameter.name], !value.isNull else {
                if !parameter.nullable { throw ODataError.badRequest("\(operation.name) needs the parameter '\(parameter.name)'", target: parameter.name) }
                continue
            }
            try value.check(parameter.type, name: parameter.name)
        }
        return values
    }
}

/// One JSON value, as text.
struct JSONText {
    var bytes: [UInt8]

    var isNull: Bool { bytes.elementsEqual("null".utf8) }

    func check(_ type: EdmType, name: String) throws {
        guard case .primitive(let primitive) = type, let first = bytes.first else { return }
        let isString = first == UInt8(ascii: "\"")
        let isNumber = first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        let fits: Bool
        switch primitive {
        case .string, .dateTimeOffset, .date, .guid: fits = isString
        case .int32, .int64: fits = isNumber && !bytes.contains(UInt8(ascii: ".")) && !bytes.contains(UInt8(ascii: "e"))
        case .decimal, .double: fits = isNumber
        case .boolean: fits = bytes.elementsEqual("true".utf8) || bytes.elementsEqual("false".utf8)
        }
        guard fits else { throw ODataError.badRequest("the parameter '\(name)' must be of type \(primitive.rawValue)", target: name) }
    }
}

extension ResourcePath.Key {
    var json: JSONText {
        switch self {
        case .integer(let value): return JSONText(bytes: Array(String(value).utf8))
        case .string(let value):
            var writer = JSONWriter(capacity: value.utf8.count + 2)
            writer.string(value)
            return JSONText(bytes: writer.bytes)
        }
    }
}

/// Function parameters in a URL: `name=literal,...` with OData literals or `@alias`es.
enum FunctionParameters {
    static func split(_ text: String, function: String) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        var current = ""
        var inString = false
        for character in text {
            if character == "'" { inString.toggle() }
            if character == "," && !inString {
                pairs.append(try pair(current, function: function))
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { pairs.append(try pair(current, function: function)) }
        return pairs
    }

    private static func pair(_ text: String, function: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ODataError.badRequest("the parameters of \(function) must be written name=value, e.g. \(function)(customerId='C0001')")
        }
        return (String(text[..<equals]).trimmingCharacters(in: .whitespaces), String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces))
    }

    static func json(of literal: String, name: String, aliases: Parameters, function: String) throws -> JSONText {
        var literal = literal
        if literal.hasPrefix("@") {
            guard let value = aliases[Substring(literal)] else {
                throw ODataError.badRequest("the parameter alias \(literal) of \(function) has no value in the query", target: name)
            }
            literal = String(value)
        }
        if literal.hasPrefix("'") {
            guard literal.count >= 2, literal.hasSuffix("'") else { throw ODataError.badRequest("the value of '\(name)' is an unterminated string", target: name) }
            let inner = literal.dropFirst().dropLast().replacingOccurrences(of: "''", with: "'")
            var writer = JSONWriter(capacity: inner.utf8.count + 2)
            writer.string(inner)
            return JSONText(bytes: writer.bytes)
        }
        if literal == "null" || literal == "true" || literal == "false" { return JSONText(bytes: Array(literal.utf8)) }
        if Decimal(string: literal) != nil, literal.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "." }) {
            return JSONText(bytes: Array(literal.utf8))
        }
        throw ODataError.badRequest("the value '\(literal)' of '\(name)' is not an OData literal (a 'string', a number, true, false or null)", target: name)
    }
}
