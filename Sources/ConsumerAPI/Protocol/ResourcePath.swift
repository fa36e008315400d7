/// The resource path of an OData URL below the service root, e.g. `Products(68719476737)`,
/// `Products/68719476737`, `Carts('abc')`, `Products/$count`.
struct ResourcePath: Equatable {
    enum Key: Equatable {
        case integer(Int64)
        case string(String)
    }

    var entitySet: String
    var key: Key?
    /// The text inside the first segment's parentheses: a key, or a function's parameters
    /// (`GetLoyaltyPoints(customerId='C1',top=5)`).
    var parenthesized: String?
    /// Segments after the entity set and key (`$count`, a navigation property, an action).
    var rest: [String]

    /// The percent-decoded segments of a request path below the service root (`/Commerce`),
    /// empty segments left out. Works on the UTF-8 bytes: splitting by `Character` cost more
    /// than the rest of the path's parsing together.
    static func segments(of path: String) throws -> [String] {
        let bytes = path.utf8
        var segments: [String] = []
        var start = bytes.startIndex
        var sawRoot = false
        var index = bytes.startIndex
        while true {
            let atEnd = index == bytes.endIndex
            if atEnd || bytes[index] == UInt8(ascii: "/") {
                if start < index {
                    let segment = path[start..<index]
                    if sawRoot {
                        guard let decoded = segment.percentDecoded() else {
                            throw ODataError.badRequest("the path segment '\(segment)' has a malformed percent escape")
                        }
                        segments.append(decoded)
                    }
                    sawRoot = true
                }
                if atEnd { break }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        return segments
    }

    /// Parses percent-decoded segments; throws an OData 400 naming the segment on malformed keys.
    init(segments: [String]) throws {
        guard let first = segments.first else {
            entitySet = ""
            key = nil
            rest = []
            return
        }
        var remaining = Array(segments.dropFirst())
        if let open = first.utf8.firstIndex(of: UInt8(ascii: "(")) {
            guard first.utf8.last == UInt8(ascii: ")") else { throw ODataError.badRequest("the segment '\(first)' has no closing parenthesis") }
            entitySet = String(first[..<open])
            let inner = String(first[first.utf8.index(after: open)..<first.utf8.index(before: first.endIndex)])
            // `GetTenderTypes()`: an unbound function called without parameters, not a key.
            parenthesized = inner
            if inner.utf8.contains(UInt8(ascii: ",")) && inner.utf8.contains(UInt8(ascii: "=")) {
                // Several named values: function parameters, read by the operation's controller.
                key = nil
            } else {
                key = inner.isEmpty ? nil : try Self.parseKey(inner, segment: first)
            }
        } else {
            entitySet = first
            // Key-as-segment (`Products/68719476737`): a segment that is not a `$` option or a name.
            if let next = remaining.first, let number = Int64(next) {
                key = .integer(number)
                remaining.removeFirst()
            } else {
                key = nil
            }
        }
        rest = remaining
    }

    private static func parseKey(_ text: String, segment: String) throws -> Key {
        // An integer key (nearly every request) needs none of the parsing below.
        if let number = Int64(text) { return .integer(number) }
        var literal = Substring(text)
        // Single-property keys may also be named: `Products(RecordId=1)`.
        if let equals = literal.firstIndex(of: "="), !literal.hasPrefix("'") {
            literal = literal[literal.index(after: equals)...]
        }
        if literal.hasPrefix("'") {
            guard literal.utf8.count >= 2, literal.hasSuffix("'") else {
                throw ODataError.badRequest("the key in '\(segment)' is an unterminated string literal")
            }
            let body = literal.dropFirst().dropLast()
            // A key without quotes inside (a cart id: every cart request) is taken as it is.
            if !body.utf8.contains(UInt8(ascii: "'")) { return .string(String(body)) }
            // Inside OData string literals a quote is written twice.
            var value = ""
            var index = body.startIndex
            while index < body.endIndex {
                let character = body[index]
                if character == "'" {
                    let next = body.index(after: index)
                    guard next < body.endIndex, body[next] == "'" else {
                        throw ODataError.badRequest("the key in '\(segment)' has an unescaped quote")
                    }
                    index = body.index(after: next)
                } else {
                    index = body.index(after: index)
                }
                value.append(character)
            }
            return .string(value)
        }
        guard let number = Int64(literal) else {
            throw ODataError.badRequest("the key '\(literal)' in '\(segment)' is neither an integer nor a quoted string")
        }
        return .integer(number)
    }
}
