/// Errors of the channel database.
///
/// `description` never includes statement arguments, so customer or payment data bound to a
/// statement cannot reach a log line through an error.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case cannotOpen
        case constraintViolation
        case busy
        case schemaTooNew
        case migrationFailed
        case valueOutOfRange
        case invalidURL
        case statementFailed
        case closed
        case accessDenied
        /// A statement stopped because the task's ``StatementDeadline`` passed.
        case interrupted
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public static func cannotOpen(_ message: String) -> Self { .init(.cannotOpen, message) }
    public static func constraintViolation(_ message: String) -> Self { .init(.constraintViolation, message) }
    public static func busy(_ message: String) -> Self { .init(.busy, message) }
    public static func schemaTooNew(_ message: String) -> Self { .init(.schemaTooNew, message) }
    public static func migrationFailed(_ message: String) -> Self { .init(.migrationFailed, message) }
    public static func valueOutOfRange(_ message: String) -> Self { .init(.valueOutOfRange, message) }
    public static func invalidURL(_ message: String) -> Self { .init(.invalidURL, message) }
    public static func statementFailed(_ message: String) -> Self { .init(.statementFailed, message) }
    public static let closed = Self(.closed, "the channel database is closed")
}
