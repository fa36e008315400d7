/// `$select`: a comma-separated list of property paths, or `*`.
enum SelectParser {
    static func parse(_ text: String) throws(QuerySyntaxError) -> [[String]] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= QueryLimits.maximumLength else {
            throw QuerySyntaxError("the query option is longer than \(QueryLimits.maximumLength) characters", at: QueryLimits.maximumLength)
        }
        var offset = 0
        func skipWhitespace() {
            while offset < scalars.count, QueryLexer.isWhitespace(scalars[offset]) { offset += 1 }
        }
        var paths: [[String]] = []
        repeat {
            skipWhitespace()
            var path: [String] = []
            while true {
                let start = offset
                if offset < scalars.count, scalars[offset] == "*" {
                    offset += 1
                    path.append("*")
                    break
                }
                guard offset < scalars.count, QueryLexer.isIdentifierStart(scalars[offset]) else {
                    throw QuerySyntaxError("expected a property name", at: start)
                }
                while offset < scalars.count, QueryLexer.isIdentifierPart(scalars[offset]) { offset += 1 }
                guard offset - start <= 128 else { throw QuerySyntaxError("a name is longer than 128 characters", at: start) }
                var name = String.UnicodeScalarView()
                name.append(contentsOf: scalars[start..<offset])
                path.append(String(name))
                guard offset < scalars.count, scalars[offset] == "/" else { break }
                offset += 1
            }
            paths.append(path)
            skipWhitespace()
            guard offset < scalars.count else { return paths }
            switch scalars[offset] {
            case ",":
                offset += 1
            case "(":
                throw QuerySyntaxError("nested options in $select are not supported", at: offset)
            default:
                throw QuerySyntaxError("expected ',' or the end of $select", at: offset)
            }
        } while true
    }
}
