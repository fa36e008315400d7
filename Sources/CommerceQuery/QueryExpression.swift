/// A `$filter` or `$orderby` expression, as parsed; no types have been checked yet.
public indirect enum QueryExpression: Sendable, Codable, Hashable {
    case literal(QueryLiteral)
    /// A property of the current entity: `["Name"]`, or through complex properties `["Address", "City"]`.
    case property([String])
    /// A lambda variable, optionally followed by a path into its element: `c`, `l/Quantity`.
    case lambdaVariable(name: String, path: [String])
    case unary(UnaryOperator, QueryExpression)
    case binary(BinaryOperator, QueryExpression, QueryExpression)
    /// `value in (item, ...)`; the list is never empty.
    case inList(QueryExpression, [QueryExpression])
    case function(QueryFunction, [QueryExpression])
    /// `collection/any(v: predicate)` or `collection/all(v: predicate)`. `collection` is a
    /// ``property(_:)`` or ``lambdaVariable(name:path:)``; `any()` has neither variable nor predicate.
    case lambda(LambdaOperator, collection: QueryExpression, variable: String?, predicate: QueryExpression?)
}

public enum UnaryOperator: String, Sendable, Codable, Hashable {
    case not
    case negate
}

public enum BinaryOperator: String, Sendable, Codable, Hashable, CaseIterable {
    case eq, ne, gt, ge, lt, le
    case and, or
    case add, sub, mul, div, divby, mod
    case has
}

public enum LambdaOperator: String, Sendable, Codable, Hashable {
    case any
    case all
}

/// One `$orderby` item.
public struct OrderByItem: Sendable, Codable, Hashable {
    public var expression: QueryExpression
    public var descending: Bool

    public init(_ expression: QueryExpression, descending: Bool = false) {
        self.expression = expression
        self.descending = descending
    }
}
