/// Entry points: parse the text of one query option.
///
/// The text is the option's value after percent-decoding. Every function is pure and may be called
/// from any thread. Errors carry the 0-based position of the problem, see ``QuerySyntaxError``.
public enum QueryParser {
    /// Parses `$filter`.
    ///
    /// `aliases` maps parameter-alias names as they appear in the query string, `@` included
    /// (`["@p": "'Milk'"]`), to their raw values; each value is parsed as an expression where it is
    /// referenced. An alias that is referenced but missing is an error.
    public static func filter(_ text: String, aliases: [String: String] = [:]) throws(QuerySyntaxError) -> QueryExpression {
        var parser = try ExpressionParser(text, aliases: aliases)
        return try parser.parseComplete().expression
    }

    /// Parses `$orderby`: comma-separated expressions, each optionally followed by `asc` or `desc`.
    public static func orderBy(_ text: String, aliases: [String: String] = [:]) throws(QuerySyntaxError) -> [OrderByItem] {
        var parser = try ExpressionParser(text, aliases: aliases)
        var items: [OrderByItem] = []
        repeat {
            let node = try parser.parseExpression()
            let descending = parser.parseSortDirection() ?? false
            items.append(OrderByItem(node.expression, descending: descending))
        } while parser.consume(.comma)
        guard parser.atEnd else {
            throw QuerySyntaxError("expected ',', 'asc', 'desc' or the end of $orderby", at: parser.current.position)
        }
        return items
    }

    /// Parses `$search`.
    public static func search(_ text: String) throws(QuerySyntaxError) -> SearchExpression {
        var parser = try SearchParser(text)
        return try parser.parseComplete()
    }

    /// Parses `$select` into property paths: `Name,Address/City` is `[["Name"], ["Address", "City"]]`;
    /// `*` stands alone as `["*"]`.
    public static func select(_ text: String) throws(QuerySyntaxError) -> [[String]] {
        try SelectParser.parse(text)
    }
}
