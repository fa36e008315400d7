/// Recursive-descent parser for common expressions (`$filter`, `$orderby` items, alias values).
///
/// Precedence follows the OData 4.01 URL conventions (5.1.1.17), highest first: grouping;
/// primary (`/` paths, function calls, `has`, `in`); unary `-` and `not`; `mul div divby mod`;
/// `add sub`; `gt ge lt le`; `eq ne`; `and`; `or`. Binary operators associate to the left.
/// Operator, function, lambda and Boolean-literal names are case-insensitive as 4.01 requires;
/// property names and `null` are case-sensitive.
struct ExpressionParser {
    struct Node {
        let expression: QueryExpression
        let depth: Int
    }

    private static let binaryLevels: [[BinaryOperator]] = [
        [.or], [.and], [.eq, .ne], [.gt, .ge, .lt, .le], [.add, .sub], [.mul, .div, .divby, .mod],
    ]

    /// Alias values can reference each other; without a budget `@a=@b add @b`, `@b=@c add @c`, ...
    /// would build an exponentially large tree from a short query.
    static let nodeBudget = 2 * QueryLimits.maximumLength

    private let tokens: [QueryToken]
    private var index = 0
    private let aliases: [String: String]
    private var expandingAliases: Set<String>
    private var nesting: Int
    private var lambdaVariables: [String] = []
    private(set) var remainingNodes: Int

    init(
        _ text: String,
        aliases: [String: String],
        nesting: Int = 0,
        expandingAliases: Set<String> = [],
        remainingNodes: Int = ExpressionParser.nodeBudget
    ) throws(QuerySyntaxError) {
        tokens = try QueryLexer.tokenize(text)
        self.aliases = aliases
        self.nesting = nesting
        self.expandingAliases = expandingAliases
        self.remainingNodes = remainingNodes
    }

    var current: QueryToken { tokens[index] }

    var atEnd: Bool { current.kind == .end }

    /// Parses the whole text as one expression.
    mutating func parseComplete() throws(QuerySyntaxError) -> Node {
        let node = try parseExpression()
        guard atEnd else { throw unexpected(current) }
        return node
    }

    mutating func parseExpression() throws(QuerySyntaxError) -> Node {
        try enter()
        let node = try parseBinary(level: 0)
        nesting -= 1
        return node
    }

    /// If the current token is `asc` or `desc`, consumes it and answers whether it was `desc`.
    mutating func parseSortDirection() -> Bool? {
        guard case .identifier(let name) = current.kind else { return nil }
        switch name.lowercased() {
        case "asc":
            index += 1
            return false
        case "desc":
            index += 1
            return true
        default:
            return nil
        }
    }

    mutating func consume(_ kind: QueryToken.Kind) -> Bool {
        guard current.kind == kind else { return false }
        index += 1
        return true
    }

    func unexpected(_ token: QueryToken) -> QuerySyntaxError {
        switch token.kind {
        case .end: QuerySyntaxError("unexpected end of the expression", at: token.position)
        case .identifier(let name): QuerySyntaxError("unexpected '\(name)'", at: token.position)
        case .literal: QuerySyntaxError("unexpected literal", at: token.position)
        case .alias(let name): QuerySyntaxError("unexpected parameter alias @\(name)", at: token.position)
        case .openParen: QuerySyntaxError("unexpected '('", at: token.position)
        case .closeParen: QuerySyntaxError("unexpected ')'", at: token.position)
        case .comma: QuerySyntaxError("unexpected ','", at: token.position)
        case .slash: QuerySyntaxError("unexpected '/'", at: token.position)
        case .colon: QuerySyntaxError("unexpected ':'", at: token.position)
        case .minus: QuerySyntaxError("unexpected '-'", at: token.position)
        }
    }

    // MARK: - Levels

    private mutating func parseBinary(level: Int) throws(QuerySyntaxError) -> Node {
        guard level < Self.binaryLevels.count else { return try parseUnary() }
        var left = try parseBinary(level: level + 1)
        while let op = binaryOperator(in: Self.binaryLevels[level]) {
            let position = current.position
            index += 1
            let right = try parseBinary(level: level + 1)
            left = try make(.binary(op, left.expression, right.expression), children: [left, right], at: position)
        }
        return left
    }

    private func binaryOperator(in candidates: [BinaryOperator]) -> BinaryOperator? {
        guard case .identifier(let name) = current.kind else { return nil }
        let lowered = name.lowercased()
        return candidates.first { $0.rawValue == lowered }
    }

    private mutating func parseUnary() throws(QuerySyntaxError) -> Node {
        let position = current.position
        let op: UnaryOperator
        if current.kind == .minus {
            op = .negate
        } else if case .identifier(let name) = current.kind, name.lowercased() == "not" {
            op = .not
        } else {
            return try parsePostfix()
        }
        index += 1
        try enter()
        let operand = try parseUnary()
        nesting -= 1
        return try make(.unary(op, operand.expression), children: [operand], at: position)
    }

    /// `has` and `in` bind like member access (primary precedence in 4.01).
    private mutating func parsePostfix() throws(QuerySyntaxError) -> Node {
        var node = try parsePrimary()
        while case .identifier(let name) = current.kind {
            let position = current.position
            switch name.lowercased() {
            case "has":
                index += 1
                let right = try parsePrimary()
                node = try make(.binary(.has, node.expression, right.expression), children: [node, right], at: position)
            case "in":
                index += 1
                let items = try parseList()
                node = try make(.inList(node.expression, items.map(\.expression)), children: [node] + items, at: position)
            default:
                return node
            }
        }
        return node
    }

    private mutating func parsePrimary() throws(QuerySyntaxError) -> Node {
        let token = current
        switch token.kind {
        case .openParen:
            index += 1
            let node = try parseExpression()
            try expectCloseParen()
            return node
        case .literal(let literal):
            index += 1
            return try make(.literal(literal), children: [], at: token.position)
        case .alias(let name):
            index += 1
            return try resolveAlias(name, at: token.position)
        case .identifier(let name):
            if name == "null" {
                index += 1
                return try make(.literal(.null), children: [], at: token.position)
            }
            if isCallAhead { return try parseFunction() }
            switch name.lowercased() {
            case "true", "false":
                index += 1
                return try make(.literal(.boolean(name.lowercased() == "true")), children: [], at: token.position)
            default:
                return try parseMemberPath()
            }
        case .end:
            throw QuerySyntaxError("expected an expression", at: token.position)
        default:
            throw unexpected(token)
        }
    }

    // MARK: - Primary forms

    private mutating func parseFunction() throws(QuerySyntaxError) -> Node {
        let nameToken = current
        guard case .identifier(let name) = nameToken.kind else { throw unexpected(nameToken) }
        guard let function = QueryFunction(name: name) else {
            throw QuerySyntaxError("unknown function '\(name)'", at: nameToken.position)
        }
        index += 2
        try enter()
        var arguments: [Node] = []
        if current.kind != .closeParen {
            repeat {
                arguments.append(try parseExpression())
            } while consume(.comma)
        }
        try expectCloseParen()
        nesting -= 1
        guard function.arity.contains(arguments.count) else {
            let expected =
                function.arity.count == 1
                ? "\(function.arity.lowerBound) argument\(function.arity.lowerBound == 1 ? "" : "s")"
                : "\(function.arity.lowerBound) to \(function.arity.upperBound) arguments"
            throw QuerySyntaxError("\(function.rawValue) expects \(expected), got \(arguments.count)", at: nameToken.position)
        }
        return try make(.function(function, arguments.map(\.expression)), children: arguments, at: nameToken.position)
    }

    private mutating func parseMemberPath() throws(QuerySyntaxError) -> Node {
        let start = current
        guard case .identifier(let first) = start.kind else { throw unexpected(start) }
        index += 1
        let variable = lambdaVariables.contains(first) ? first : nil
        var segments = variable == nil ? [first] : []
        func base() -> QueryExpression {
            if let variable { return .lambdaVariable(name: variable, path: segments) }
            return .property(segments)
        }
        while current.kind == .slash {
            index += 1
            let segment = current
            guard case .identifier(let name) = segment.kind else {
                throw QuerySyntaxError("expected a property name after '/'", at: segment.position)
            }
            let lowered = name.lowercased()
            if (lowered == "any" || lowered == "all") && isCallAhead {
                let collection = try make(base(), children: [], at: start.position)
                return try parseLambda(lowered == "any" ? .any : .all, on: collection)
            }
            index += 1
            segments.append(name)
            guard segments.count <= 32 else { throw QuerySyntaxError("a property path is longer than 32 segments", at: segment.position) }
        }
        return try make(base(), children: [], at: start.position)
    }

    private mutating func parseLambda(_ op: LambdaOperator, on collection: Node) throws(QuerySyntaxError) -> Node {
        let position = current.position
        index += 2
        if consume(.closeParen) {
            guard op == .any else { throw QuerySyntaxError("all requires a lambda variable and a predicate", at: position) }
            return try make(.lambda(.any, collection: collection.expression, variable: nil, predicate: nil), children: [collection], at: position)
        }
        let variableToken = current
        guard case .identifier(let variable) = variableToken.kind else {
            throw QuerySyntaxError("expected a lambda variable name", at: variableToken.position)
        }
        guard !lambdaVariables.contains(variable) else {
            throw QuerySyntaxError("lambda variable '\(variable)' is already in use", at: variableToken.position)
        }
        index += 1
        guard consume(.colon) else { throw QuerySyntaxError("expected ':' after the lambda variable", at: current.position) }
        lambdaVariables.append(variable)
        let predicate = try parseExpression()
        lambdaVariables.removeLast()
        try expectCloseParen()
        return try make(
            .lambda(op, collection: collection.expression, variable: variable, predicate: predicate.expression),
            children: [collection, predicate],
            at: position
        )
    }

    /// The right side of `in`: a parenthesized list of one or more expressions, or an alias whose value is one.
    mutating func parseList() throws(QuerySyntaxError) -> [Node] {
        if case .alias(let name) = current.kind {
            let position = current.position
            index += 1
            return try withAlias(name, at: position) { (parser: inout ExpressionParser) throws(QuerySyntaxError) in
                let items = try parser.parseList()
                guard parser.atEnd else { throw parser.unexpected(parser.current) }
                return items
            }
        }
        guard consume(.openParen) else {
            throw QuerySyntaxError("expected '(' and a list of values after 'in'", at: current.position)
        }
        try enter()
        var items: [Node] = []
        repeat {
            items.append(try parseExpression())
        } while consume(.comma)
        try expectCloseParen()
        nesting -= 1
        return items
    }

    // MARK: - Aliases

    private mutating func resolveAlias(_ name: String, at position: Int) throws(QuerySyntaxError) -> Node {
        try withAlias(name, at: position) { (parser: inout ExpressionParser) throws(QuerySyntaxError) in
            try parser.parseComplete()
        }
    }

    /// Parses an alias value with `body`; errors inside it are reported at the alias reference.
    private mutating func withAlias<T>(
        _ name: String,
        at position: Int,
        _ body: (inout ExpressionParser) throws(QuerySyntaxError) -> T
    ) throws(QuerySyntaxError) -> T {
        let key = "@" + name
        guard let text = aliases[key] else { throw QuerySyntaxError("unknown parameter alias \(key)", at: position) }
        guard !expandingAliases.contains(key) else {
            throw QuerySyntaxError("parameter alias \(key) refers to itself", at: position)
        }
        do {
            var parser = try ExpressionParser(
                text,
                aliases: aliases,
                nesting: nesting + 1,
                expandingAliases: expandingAliases.union([key]),
                remainingNodes: remainingNodes
            )
            let result = try body(&parser)
            remainingNodes = parser.remainingNodes
            return result
        } catch {
            throw QuerySyntaxError(
                "the value of parameter alias \(key) is invalid: \(error.reason) (at position \(error.position) of the value)",
                at: position
            )
        }
    }

    // MARK: - Helpers

    /// Whether `(` follows the current token with nothing between, which makes a name a call:
    /// `contains(` is a function, `not (` is an operator and a group.
    private var isCallAhead: Bool {
        guard index + 1 < tokens.count else { return false }
        let next = tokens[index + 1]
        return next.kind == .openParen && next.position == current.end
    }

    private mutating func expectCloseParen() throws(QuerySyntaxError) {
        guard consume(.closeParen) else {
            if atEnd { throw QuerySyntaxError("expected ')'", at: current.position) }
            let found = unexpected(current).reason.dropFirst("unexpected ".count)
            throw QuerySyntaxError("expected ')' or an operator, found \(found)", at: current.position)
        }
    }

    private mutating func enter() throws(QuerySyntaxError) {
        nesting += 1
        guard nesting <= QueryLimits.maximumDepth else {
            throw QuerySyntaxError("the expression is nested more than \(QueryLimits.maximumDepth) levels deep", at: current.position)
        }
    }

    private mutating func make(_ expression: QueryExpression, children: [Node], at position: Int) throws(QuerySyntaxError) -> Node {
        let depth = 1 + (children.map(\.depth).max() ?? 0)
        guard depth <= QueryLimits.maximumDepth else {
            throw QuerySyntaxError("the expression is nested more than \(QueryLimits.maximumDepth) levels deep", at: position)
        }
        remainingNodes -= 1
        guard remainingNodes >= 0 else { throw QuerySyntaxError("the expression is too large", at: position) }
        return Node(expression: expression, depth: depth)
    }
}
