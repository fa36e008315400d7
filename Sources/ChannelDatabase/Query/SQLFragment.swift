/// A piece of SQL with `?` placeholders and the values bound to them, in order.
public struct SQLFragment: Sendable, Hashable {
    public var sql: String
    public var arguments: [DatabaseValue]

    public init(sql: String, arguments: [DatabaseValue] = []) {
        self.sql = sql
        self.arguments = arguments
    }

    public var isEmpty: Bool { sql.isEmpty }
}

/// A parsed query option that cannot run against this entity set: an unknown property, operands of
/// the wrong type, a value out of range.
///
/// `message` is meant for the client (a 400); it names properties and functions but never repeats
/// literal values. `target` is the property path or function concerned, when there is one.
public struct QueryTranslationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public let target: String?

    public init(_ message: String, target: String? = nil) {
        self.message = message
        self.target = target
    }

    public var description: String { message }
}
