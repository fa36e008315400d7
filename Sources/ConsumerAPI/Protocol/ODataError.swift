public import Hummingbird
public import HTTPTypes
import CommerceRuntime
import NIOCore

/// An OData error response: `{"error":{"code","message","target","details"}}` with its status.
public struct ODataError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let target: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, target: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.target = target
    }

    public func response(from request: Request, context: some Hummingbird.RequestContext) throws -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.field("code", code)
        writer.field("message", message)
        if let target { writer.field("target", target) }
        writer.key("details")
        writer.beginArray()
        writer.endArray()
        writer.endObject()
        writer.endObject()
        var fields = headers
        fields[.contentType] = ODataHeaders.jsonContentType
        fields[ODataHeaders.odataVersion] = "4.0"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    static func badRequest(_ message: String, target: String? = nil) -> ODataError {
        ODataError(.badRequest, code: "BadRequest", message, target: target)
    }

    static func notFound(_ message: String) -> ODataError {
        ODataError(.notFound, code: "NotFound", message)
    }

    static func notImplemented(_ message: String) -> ODataError {
        ODataError(.notImplemented, code: "NotImplemented", message)
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method], resource: String) -> ODataError {
        var error = ODataError(.methodNotAllowed, code: "MethodNotAllowed", "\(method.rawValue) is not allowed on \(resource)")
        error.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return error
    }

    /// The OData error for a runtime error: the status follows its kind; the message is the
    /// runtime's, which is written to be shown to clients.
    init(_ error: CommerceError) {
        let status: HTTPResponse.Status = switch error.kind {
        case .invalidRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .preconditionFailed: .preconditionFailed
        case .validation: .unprocessableContent
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notImplemented: .notImplemented
        case .unavailable: .serviceUnavailable
        case .extensionFailure, .internal: .internalServerError
        }
        self.init(status, code: error.code, error.message, target: error.target)
    }
}

enum ODataHeaders {
    static let jsonContentType = ResponseFormat.contentType(of: .minimal)
    static let odataVersion = name("OData-Version")
    static let odataMaxVersion = name("OData-MaxVersion")
    static let referrerPolicy = name("Referrer-Policy")
    static let operatingUnitNumber = name("OUN")
    static let prefer = name("Prefer")
    static let preferenceApplied = name("Preference-Applied")

    /// Header fields every answer carries, built (and their values checked) once instead of
    /// per response.
    static let odataVersionField = HTTPField(name: odataVersion, value: "4.0")
    static let varyLanguageField = HTTPField(name: .vary, value: "Accept-Language")
    /// What an API response must never be taken for by a browser: sniffed content or a frame.
    static let securityFields = [
        HTTPField(name: .xContentTypeOptions, value: "nosniff"),
        HTTPField(name: .contentSecurityPolicy, value: "default-src 'none'; frame-ancestors 'none'"),
        HTTPField(name: referrerPolicy, value: "no-referrer"),
    ]
    private static let jsonContentTypeFields = [MetadataLevel.minimal, .none, .full].map {
        HTTPField(name: .contentType, value: ResponseFormat.contentType(of: $0))
    }

    /// The `Content-Type` field of a JSON answer: a prebuilt one for the OData JSON formats.
    static func contentTypeField(_ value: String) -> HTTPField {
        jsonContentTypeFields.first { $0.value == value } ?? HTTPField(name: .contentType, value: value)
    }

    private static func name(_ text: String) -> HTTPField.Name {
        guard let name = HTTPField.Name(text) else { preconditionFailure("'\(text)' is not a valid header name") }
        return name
    }
}
