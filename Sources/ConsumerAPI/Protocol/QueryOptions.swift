import HTTPTypes

/// The system query options this service understands so far, parsed and checked.
struct QueryOptions {
    var top: Int?
    var skip: Int = 0
    var count = false
    /// `$format`, when given: `json` or `xml` (only `$metadata` serves XML).
    var format: String?

    /// Options the service knows but does not implement yet answer 501, never a silent ignore.
    static let notYetImplemented: Set<String> = ["$filter", "$select", "$expand", "$orderby", "$search", "$apply", "$compute", "$index", "$schemaversion"]

    init(_ parameters: [(String, String)]) throws {
        for (name, value) in parameters {
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
                switch value.lowercased() {
                case "json", _ where value.lowercased().hasPrefix("application/json"): format = "json"
                case "xml", _ where value.lowercased().hasPrefix("application/xml"): format = "xml"
                default: throw ODataError(.notAcceptable, code: "NotAcceptable", "the format '\(value)' is not served; use json (or xml for $metadata)", target: "$format")
                }
            case _ where Self.notYetImplemented.contains(name):
                throw ODataError.notImplemented("the query option \(name) is not implemented yet")
            case _ where name.hasPrefix("$"):
                throw ODataError.badRequest("unknown system query option '\(name)'", target: name)
            default:
                // Custom query options (and `api-version`) are allowed and ignored.
                continue
            }
        }
    }
}
