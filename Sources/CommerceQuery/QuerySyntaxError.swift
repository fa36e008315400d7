/// A query option that does not parse.
///
/// `message` ends with "at position N", the same offset as `position`: the 0-based offset, in
/// Unicode scalars (characters, for ASCII text), into the option's decoded text. The API sends the
/// message to the client as a 400; it names identifiers from the query but never repeats the
/// contents of string literals.
public struct QuerySyntaxError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public let message: String
    public let position: Int
    /// The message without the position, so an error inside an alias value can be wrapped.
    let reason: String

    init(_ reason: String, at position: Int) {
        self.reason = reason
        self.position = position
        self.message = "\(reason) at position \(position)"
    }

    public var description: String { message }
}

/// Bounds on query options, so hostile input costs little and never overflows the stack.
public enum QueryLimits {
    /// The longest option text accepted, in Unicode scalars.
    public static let maximumLength = 8192
    /// The deepest nesting accepted: parentheses, function calls, lambdas and unary operators while
    /// parsing, and the depth of the resulting tree (each operator is a level, so a chain of more
    /// than about 100 `or`s is refused; `in` is the way to list many values).
    public static let maximumDepth = 100
}
