import CommerceQuery
import HTTPTypes

/// The system query options of one request, parsed and checked; what does not parse is a 400
/// naming the option and the position, before any handler runs.
struct QueryOptions {
    var top: Int?
    var skip: Int = 0
    var count = false
    /// `$format`, when given: `json` or `xml` (only `$metadata` serves XML).
    var format: String?
    /// `$format` exactly as given, for its `odata.metadata` parameter.
    var formatValue: String?
    var criteria = QueryCriteria()
    /// `$select` paths; nil when absent or `*`.
    var select: [[String]]?
    /// `$expand`, parsed; the controllers check it against the entity's navigation properties.
    var expand: [ExpandItem] = []
    /// Every parameter as received, for next links that keep the client's options.
    let parameters: [(String, String)]

    /// Options the service knows but does not implement yet answer 501, never a silent ignore.
    static let notYetImplemented: Set<String> = ["$apply", "$compute", "$index", "$schemaversion", "$deltatoken", "$skiptoken"]

    init(_ parameters: [(String, String)]) throws {
        self.parameters = parameters
        // Aliases first: `$filter=Name eq @n&@n='x'` may name them in any order.
        var aliases: [String: String] = [:]
        for (name, value) in parameters where name.hasPrefix("@") { aliases[name] = value }
        var seen: Set<String> = []
        for (name, value) in parameters {
            if name.hasPrefix("$"), !seen.insert(name).inserted {
                throw ODataError.badRequest("the query option \(name) is given more than once", target: name)
            }
            switch name {
            case "$top":
                guard let number = Int(value), number >= 0 else {
                    throw ODataError.badRequest("$top must be a non-negative integer, not '\(value)'", target: "$top")
                }
                top = number
            case "$skip":
                guard let number = Int(value), number >= 0 else {
                    throw ODataError.badRequest("$skip must be a non-negative integer, not '\(value)'", target: "$skip")
                }
                skip = number
            case "$count":
                switch value.lowercased() {
                case "true": count = true
                case "false": count = false
                default: throw ODataError.badRequest("$count must be true or false, not '\(value)'", target: "$count")
                }
            case "$format":
                formatValue = value
                let lowered = value.lowercased()
                if lowered == "json" || lowered.hasPrefix("application/json") {
                    format = "json"
                } else if lowered == "xml" || lowered.hasPrefix("application/xml") {
                    format = "xml"
                } else {
                    throw ODataError(.notAcceptable, code: "NotAcceptable", "the format '\(value)' is not served; use json (or xml for $metadata)", target: "$format")
                }
            case "$filter":
                let parsed = try Self.parse(name, .filter, value, aliases: aliases) { () throws(QuerySyntaxError) in
                    .filter(try QueryParser.filter(value, aliases: aliases))
                }
                if case .filter(let expression) = parsed { criteria.filter = expression }
            case "$orderby":
                let parsed = try Self.parse(name, .orderBy, value, aliases: aliases) { () throws(QuerySyntaxError) in
                    .orderBy(try QueryParser.orderBy(value, aliases: aliases))
                }
                if case .orderBy(let items) = parsed { criteria.orderBy = items }
            case "$search":
                // `$search` takes no aliases: they are not part of its key.
                let parsed = try Self.parse(name, .search, value, aliases: [:]) { () throws(QuerySyntaxError) in
                    .search(try QueryParser.search(value))
                }
                if case .search(let expression) = parsed { criteria.search = expression }
            case "$select":
                let parsed = try Self.parse(name, .select, value, aliases: [:]) { () throws(QuerySyntaxError) in
                    .select(try QueryParser.select(value))
                }
                if case .select(let paths) = parsed { select = paths.contains(["*"]) ? nil : paths }
            case "$expand":
                let parsed = try Self.parse(name, .expand, value, aliases: aliases) { () throws(QuerySyntaxError) in
                    .expand(try QueryParser.expand(value, aliases: aliases))
                }
                if case .expand(let items) = parsed { expand = items }
            case _ where Self.notYetImplemented.contains(name):
                throw ODataError.notImplemented("the query option \(name) is not implemented yet")
            case _ where name.hasPrefix("$"):
                throw ODataError.badRequest("unknown system query option '\(name)'", target: name)
            default:
                // Aliases, custom query options and `api-version` are allowed; unknown custom ones are ignored.
                continue
            }
        }
    }

    /// Parses one option's text, or takes its parse from ``ParsedQueryOptionCache``.
    private static func parse(
        _ option: String, _ kind: ParsedQueryOptionCache.Option, _ text: String, aliases: [String: String],
        _ body: () throws(QuerySyntaxError) -> ParsedQueryOptionCache.Parsed
    ) throws -> ParsedQueryOptionCache.Parsed {
        do {
            return try ParsedQueryOptionCache.shared.parsed(kind, text, aliases: aliases, parse: body)
        } catch {
            throw ODataError.badRequest("\(option): \(error.message)", target: option)
        }
    }

    /// The query string of the next page: the client's options with `$skip`/`$top` moved on.
    func nextPageQuery(skip newSkip: Int, top newTop: Int?) -> String {
        var items: [String] = []
        for (name, value) in parameters where name != "$skip" && name != "$top" {
            items.append(Self.encode(name) + "=" + Self.encode(value))
        }
        items.append("$skip=\(newSkip)")
        if let newTop { items.append("$top=\(newTop)") }
        return items.joined(separator: "&")
    }

    /// Percent-encodes all but unreserved characters and `$`, `@`, `'`, `(`, `)`, `,` which OData
    /// URLs use literally.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "$"), UInt8(ascii: "@"),
                 UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
