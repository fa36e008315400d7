/// `$search`: words and `"phrases"` combined with `NOT`, `AND`, `OR` and parentheses.
///
/// The operators are upper case, as the OData ABNF writes them; `and` in lower case is a word.
/// Adjacent terms are joined by an implicit `AND`.
struct SearchParser {
    enum Kind: Equatable {
        case word(String)
        case phrase(String)
        case and, or, not
        case openParen, closeParen
        case end
    }

    struct Token {
        let kind: Kind
        let position: Int
    }

    private let tokens: [Token]
    private var index = 0
    private var nesting = 0

    init(_ text: String) throws(QuerySyntaxError) {
        tokens = try Self.tokenize(text)
    }

    private var current: Token { tokens[index] }

    mutating func parseComplete() throws(QuerySyntaxError) -> SearchExpression {
        let expression = try parseOr()
        guard current.kind == .end else { throw unexpected(current) }
        return expression
    }

    private mutating func parseOr() throws(QuerySyntaxError) -> SearchExpression {
        try enter()
        var left = try parseAnd()
        while current.kind == .or {
            index += 1
            left = .or(left, try parseAnd())
        }
        nesting -= 1
        return left
    }

    private mutating func parseAnd() throws(QuerySyntaxError) -> SearchExpression {
        var left = try parseNot()
        while true {
            if current.kind == .and {
                index += 1
            } else if !startsTerm(current.kind) {
                return left
            }
            left = .and(left, try parseNot())
        }
    }

    private mutating func parseNot() throws(QuerySyntaxError) -> SearchExpression {
        guard current.kind == .not else { return try parsePrimary() }
        index += 1
        try enter()
        let operand = try parseNot()
        nesting -= 1
        return .not(operand)
    }

    private mutating func parsePrimary() throws(QuerySyntaxError) -> SearchExpression {
        let token = current
        switch token.kind {
        case .word(let word):
            index += 1
            return .word(word)
        case .phrase(let phrase):
            index += 1
            return .phrase(phrase)
        case .openParen:
            index += 1
            let inner = try parseOr()
            guard current.kind == .closeParen else { throw QuerySyntaxError("expected ')'", at: current.position) }
            index += 1
            return inner
        case .end:
            throw QuerySyntaxError("expected a search term", at: token.position)
        default:
            throw unexpected(token)
        }
    }

    private func startsTerm(_ kind: Kind) -> Bool {
        switch kind {
        case .word, .phrase, .openParen, .not: true
        default: false
        }
    }

    private func unexpected(_ token: Token) -> QuerySyntaxError {
        let what =
            switch token.kind {
            case .and: "'AND'"
            case .or: "'OR'"
            case .not: "'NOT'"
            case .openParen: "'('"
            case .closeParen: "')'"
            case .end: "end of the search"
            case .word, .phrase: "search term"
            }
        return QuerySyntaxError("unexpected \(what)", at: token.position)
    }

    private mutating func enter() throws(QuerySyntaxError) {
        nesting += 1
        guard nesting <= QueryLimits.maximumDepth else {
            throw QuerySyntaxError("the search is nested more than \(QueryLimits.maximumDepth) levels deep", at: current.position)
        }
    }

    private static func tokenize(_ text: String) throws(QuerySyntaxError) -> [Token] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= QueryLimits.maximumLength else {
            throw QuerySyntaxError("the query option is longer than \(QueryLimits.maximumLength) characters", at: QueryLimits.maximumLength)
        }
        var tokens: [Token] = []
        var offset = 0
        while offset < scalars.count {
            let scalar = scalars[offset]
            let start = offset
            if QueryLexer.isWhitespace(scalar) {
                offset += 1
            } else if scalar == "(" {
                tokens.append(Token(kind: .openParen, position: start))
                offset += 1
            } else if scalar == ")" {
                tokens.append(Token(kind: .closeParen, position: start))
                offset += 1
            } else if scalar == "\"" {
                offset += 1
                var phrase = String.UnicodeScalarView()
                var closed = false
                while offset < scalars.count {
                    let character = scalars[offset]
                    offset += 1
                    if character == "\"" {
                        closed = true
                        break
                    }
                    if character == "\\" {
                        guard offset < scalars.count, scalars[offset] == "\"" || scalars[offset] == "\\" else {
                            throw QuerySyntaxError("only \\\" and \\\\ may be escaped in a phrase", at: offset - 1)
                        }
                        phrase.append(scalars[offset])
                        offset += 1
                    } else {
                        phrase.append(character)
                    }
                }
                guard closed else { throw QuerySyntaxError("unterminated phrase", at: start) }
                guard !phrase.isEmpty else { throw QuerySyntaxError("empty phrase", at: start) }
                tokens.append(Token(kind: .phrase(String(phrase)), position: start))
            } else {
                var word = String.UnicodeScalarView()
                while offset < scalars.count {
                    let character = scalars[offset]
                    if QueryLexer.isWhitespace(character) || character == "(" || character == ")" || character == "\"" { break }
                    word.append(character)
                    offset += 1
                }
                let text = String(word)
                let kind: Kind =
                    switch text {
                    case "AND": .and
                    case "OR": .or
                    case "NOT": .not
                    default: .word(text)
                    }
                tokens.append(Token(kind: kind, position: start))
            }
        }
        tokens.append(Token(kind: .end, position: scalars.count))
        return tokens
    }
}
