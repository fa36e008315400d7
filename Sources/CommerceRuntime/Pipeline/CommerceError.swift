/// An error a request fails with, carrying what a client needs: a stable code and a message.
///
/// The consumer API maps ``Kind`` to an HTTP status; the message must be safe to show a client
/// (no SQL, no card data, no stack).
public struct CommerceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalidRequest
        case notFound
        case conflict
        case preconditionFailed
        case validation
        case unauthorized
        case forbidden
        case notImplemented
        case unavailable
        case extensionFailure
        case `internal`
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var target: String?

    public init(_ kind: Kind, code: String, _ message: String, target: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.target = target
    }

    public var description: String { "\(code): \(message)" }

    public static func notFound(_ message: String, target: String? = nil) -> Self {
        .init(.notFound, code: "NotFound", message, target: target)
    }

    public static func invalidRequest(_ message: String, target: String? = nil) -> Self {
        .init(.invalidRequest, code: "InvalidRequest", message, target: target)
    }

    public static func unknownRequestType(_ name: String) -> Self {
        .init(.notImplemented, code: "UnknownRequestType", "no handler is registered for request type '\(name)'")
    }

    public static func internalError(_ message: String) -> Self {
        .init(.internal, code: "InternalError", message)
    }

    /// A pre-trigger refused the request.
    public static func vetoed(by owner: String, _ message: String) -> Self {
        .init(.validation, code: "RequestVetoed", "\(owner): \(message)")
    }
}
