/// One item of `$expand`: a navigation property and the options that apply to what it reaches.
///
/// `Categories($filter=contains(Name,'Shirt');$orderby=Name;$top=2;$expand=Products($top=1))`
/// becomes an item whose path is `["Categories"]`, with the nested options parsed by the same
/// parsers as the top-level ones.
public struct ExpandItem: Sendable, Hashable {
    /// The navigation path; `["*"]` expands every navigation property of the type.
    public var path: [String]
    public var criteria: QueryCriteria
    /// Nested `$select`; nil when absent or `*`.
    public var select: [[String]]?
    public var top: Int?
    public var skip: Int
    public var count: Bool
    public var expand: [ExpandItem]
    /// `$levels` as given (recursive expansion); the API refuses it as not implemented.
    public var levels: String?
    /// The nested options as written (`$filter=...`), for next links that keep them.
    public var rawOptions: [String] = []

    public init(
        path: [String], criteria: QueryCriteria = QueryCriteria(), select: [[String]]? = nil, top: Int? = nil, skip: Int = 0,
        count: Bool = false, expand: [ExpandItem] = [], levels: String? = nil
    ) {
        self.path = path
        self.criteria = criteria
        self.select = select
        self.top = top
        self.skip = skip
        self.count = count
        self.expand = expand
        self.levels = levels
    }

    /// How many levels this item reaches, itself included.
    public var depth: Int { 1 + (expand.map(\.depth).max() ?? 0) }
}

extension QueryLimits {
    /// The deepest `$expand` accepted: each level is a query per page of the level above.
    public static let maximumExpandDepth = 3
}

extension QueryParser {
    /// Parses `$expand`: comma-separated navigation paths, each with optional nested options in
    /// parentheses separated by `;` (`$filter`, `$orderby`, `$search`, `$select`, `$top`,
    /// `$skip`, `$count`, `$expand`, `$levels`). Positions in errors are offsets into `text`.
    public static func expand(_ text: String, aliases: [String: String] = [:]) throws(QuerySyntaxError) -> [ExpandItem] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= QueryLimits.maximumLength else {
            throw QuerySyntaxError("$expand is longer than \(QueryLimits.maximumLength) characters", at: QueryLimits.maximumLength)
        }
        return try ExpandParser(scalars: scalars, aliases: aliases).items(in: 0..<scalars.count, level: 1)
    }
}

private struct ExpandParser {
    let scalars: [Unicode.Scalar]
    let aliases: [String: String]

    func items(in range: Range<Int>, level: Int) throws(QuerySyntaxError) -> [ExpandItem] {
        guard level <= QueryLimits.maximumExpandDepth else {
            throw QuerySyntaxError("$expand nests at most \(QueryLimits.maximumExpandDepth) levels", at: range.lowerBound)
        }
        var items: [ExpandItem] = []
        for part in try split(range, on: ",") {
            items.append(try item(in: part, level: level))
        }
        return items
    }

    private func item(in range: Range<Int>, level: Int) throws(QuerySyntaxError) -> ExpandItem {
        let trimmed = trim(range)
        guard !trimmed.isEmpty else { throw QuerySyntaxError("expected a navigation property in $expand", at: range.lowerBound) }
        var pathEnd = trimmed.upperBound
        var optionsRange: Range<Int>?
        if let open = trimmed.first(where: { scalars[$0] == "(" }) {
            guard scalars[trimmed.upperBound - 1] == ")" else {
                throw QuerySyntaxError("expected ')' to close the options of a navigation property", at: trimmed.upperBound)
            }
            pathEnd = open
            optionsRange = (open + 1)..<(trimmed.upperBound - 1)
        }
        let path = try navigationPath(trimmed.lowerBound..<pathEnd)
        var item = ExpandItem(path: path)
        if let optionsRange { try applyOptions(in: optionsRange, to: &item, level: level) }
        if path == ["*"], optionsRange != nil, item.levels == nil {
            throw QuerySyntaxError("'*' in $expand takes no options but $levels", at: pathEnd)
        }
        return item
    }

    private func navigationPath(_ range: Range<Int>) throws(QuerySyntaxError) -> [String] {
        let text = String(String.UnicodeScalarView(scalars[range])).trimmingSpaces
        if text == "*" { return ["*"] }
        var path: [String] = []
        var position = range.lowerBound
        for segment in text.split(separator: "/", omittingEmptySubsequences: false) {
            guard Self.isIdentifier(segment) else {
                if segment == "$ref" { throw QuerySyntaxError("$ref in $expand is not supported; expand the entities instead", at: position) }
                throw QuerySyntaxError("expected a navigation property name in $expand", at: position)
            }
            path.append(String(segment))
            position += segment.unicodeScalars.count + 1
        }
        return path
    }

    private func applyOptions(in range: Range<Int>, to item: inout ExpandItem, level: Int) throws(QuerySyntaxError) {
        var seen: Set<String> = []
        for part in try split(range, on: ";") {
            let option = trim(part)
            guard let equals = option.first(where: { scalars[$0] == "=" }) else {
                throw QuerySyntaxError("expected an option such as $top=5 inside the parentheses of $expand", at: option.lowerBound)
            }
            let name = String(String.UnicodeScalarView(scalars[option.lowerBound..<equals])).trimmingSpaces.lowercased()
            guard seen.insert(name).inserted else { throw QuerySyntaxError("\(name) is given more than once in one $expand item", at: option.lowerBound) }
            let valueRange = (equals + 1)..<option.upperBound
            let value = String(String.UnicodeScalarView(scalars[valueRange]))
            let offset = equals + 1
            item.rawOptions.append(name + "=" + value)
            switch name {
            case "$filter": item.criteria.filter = try shifted(offset) { () throws(QuerySyntaxError) in try QueryParser.filter(value, aliases: aliases) }
            case "$orderby": item.criteria.orderBy = try shifted(offset) { () throws(QuerySyntaxError) in try QueryParser.orderBy(value, aliases: aliases) }
            case "$search": item.criteria.search = try shifted(offset) { () throws(QuerySyntaxError) in try QueryParser.search(value) }
            case "$select":
                let paths = try shifted(offset) { () throws(QuerySyntaxError) in try QueryParser.select(value) }
                item.select = paths.contains(["*"]) ? nil : paths
            case "$top": item.top = try count(value, name: name, at: offset)
            case "$skip": item.skip = try count(value, name: name, at: offset)
            case "$count":
                switch value.trimmingSpaces.lowercased() {
                case "true": item.count = true
                case "false": item.count = false
                default: throw QuerySyntaxError("$count must be true or false", at: offset)
                }
            case "$expand": item.expand = try items(in: valueRange, level: level + 1)
            case "$levels": item.levels = value.trimmingSpaces
            default: throw QuerySyntaxError("'\(name)' is not an option of $expand", at: option.lowerBound)
            }
        }
    }

    private func count(_ value: String, name: String, at position: Int) throws(QuerySyntaxError) -> Int {
        guard let number = Int(value.trimmingSpaces), number >= 0 else {
            throw QuerySyntaxError("\(name) must be a non-negative integer", at: position)
        }
        return number
    }

    /// Runs a nested parser and moves its error position into this option's text.
    private func shifted<T>(_ offset: Int, _ body: () throws(QuerySyntaxError) -> T) throws(QuerySyntaxError) -> T {
        do {
            return try body()
        } catch {
            throw QuerySyntaxError(error.reason, at: error.position + offset)
        }
    }

    /// Splits at `separator` outside parentheses and string literals.
    private func split(_ range: Range<Int>, on separator: Unicode.Scalar) throws(QuerySyntaxError) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var depth = 0
        var inString = false
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let scalar = scalars[index]
            if inString {
                if scalar == "'" {
                    // '' is an escaped quote inside a literal.
                    if index + 1 < range.upperBound, scalars[index + 1] == "'" { index += 1 } else { inString = false }
                }
            } else if scalar == "'" {
                inString = true
            } else if scalar == "(" {
                depth += 1
                guard depth <= QueryLimits.maximumDepth else { throw QuerySyntaxError("$expand nests too deeply", at: index) }
            } else if scalar == ")" {
                depth -= 1
                guard depth >= 0 else { throw QuerySyntaxError("')' without a matching '('", at: index) }
            } else if scalar == separator, depth == 0 {
                parts.append(start..<index)
                start = index + 1
            }
            index += 1
        }
        guard !inString else { throw QuerySyntaxError("a string literal is not closed", at: range.upperBound) }
        guard depth == 0 else { throw QuerySyntaxError("'(' without a matching ')'", at: range.upperBound) }
        parts.append(start..<range.upperBound)
        return parts
    }

    private func trim(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, scalars[lower] == " " { lower += 1 }
        while upper > lower, scalars[upper - 1] == " " { upper -= 1 }
        return lower..<upper
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) } && text.count <= 128
    }
}

private extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
