import CCommerceSDK
import ChannelDatabase
import CommerceRuntime
import ConsumerAPI
import Foundation
import Logging

/// What the host knows of a loaded extension while its callbacks run.
struct ExtensionIdentity: Sendable {
    let name: String
    let policy: TableAccessPolicy
    let logger: Logger
}

/// An output the host owns (`commerce_buffer`); the extension appends to it.
final class OutputBuffer {
    var bytes: [UInt8] = [] {
        didSet { releaseView() }
    }
    /// A stable copy of `bytes` lent to the extension by `buffer_view`.
    private var view: UnsafeMutablePointer<CChar>?

    deinit { releaseView() }

    private func releaseView() {
        view?.deallocate()
        view = nil
    }

    /// The bytes as a slice that stays valid until the buffer changes or is freed.
    func viewSlice() -> commerce_str {
        releaseView()
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(copy).copyMemory(from: source.baseAddress ?? UnsafeRawPointer(copy), byteCount: source.count)
        }
        view = copy
        return commerce_str(data: UnsafePointer(copy), length: bytes.count)
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> OutputBuffer? {
        guard let handle else { return nil }
        return Unmanaged<OutputBuffer>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }
}

/// One callback into an extension (`commerce_call`): the request it runs for, and what the
/// extension said about its outcome.
///
/// Valid only during the callback, on the thread that runs it (the header's contract), so its
/// mutable state needs no lock.
final class ExtensionCall: @unchecked Sendable {
    let identity: ExtensionIdentity
    let context: RequestContext
    /// The next handler of the chain, for handlers only.
    let next: (@Sendable ([UInt8]) async throws -> [UInt8])?
    /// Set by `call_set_error`.
    var message: String?
    /// The error of the last host call that failed, kept to explain or pass on a failure.
    var lastError: (any Error)?
    /// Buffers the extension asked for (`call_buffer`); they live as long as the call.
    var scratch: [OutputBuffer] = []

    init(identity: ExtensionIdentity, context: RequestContext, next: (@Sendable ([UInt8]) async throws -> [UInt8])?) {
        self.identity = identity
        self.context = context
        self.next = next
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> ExtensionCall? {
        guard let handle else { return nil }
        return Unmanaged<ExtensionCall>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Calls into the extension with a fresh call handle and turns its status into a result:
    /// true when it handled the call, false when a handler declined it.
    @discardableResult
    static func invoke(
        _ identity: ExtensionIdentity, _ context: RequestContext, next: (@Sendable ([UInt8]) async throws -> [UInt8])? = nil,
        _ body: (OpaquePointer) -> commerce_status
    ) throws -> Bool {
        let call = ExtensionCall(identity: identity, context: context, next: next)
        let status = withExtendedLifetime(call) { body(call.handle) }
        if status == COMMERCE_DECLINED && next != nil { return false }
        guard status == COMMERCE_OK else { throw call.failure(status) }
        return true
    }

    /// The error a non-OK status fails the request with.
    ///
    /// When the extension only passes on the failure of a host call (say the next handler
    /// found the cart stale) and says nothing itself, the client gets that original error.
    func failure(_ status: commerce_status) -> CommerceError {
        if message == nil, let original = lastError as? CommerceError { return original }
        let detail = message ?? lastError.map { "\($0)" } ?? "it returned status \(status) without a message"
        // Host refusals (a denied table) already name the extension.
        let text = detail.hasPrefix("extension '\(identity.name)'") ? detail : "extension '\(identity.name)': \(detail)"
        switch status {
        case commerce_status(COMMERCE_INVALID): return CommerceError(.invalidRequest, code: "ExtensionRejected", text)
        case commerce_status(COMMERCE_NOT_FOUND): return CommerceError(.notFound, code: "ExtensionNotFound", text)
        case commerce_status(COMMERCE_CONFLICT): return CommerceError(.conflict, code: "ExtensionConflict", text)
        case commerce_status(COMMERCE_DENIED): return CommerceError(.forbidden, code: "ExtensionDenied", text)
        default: return CommerceError(.extensionFailure, code: "ExtensionFailed", text)
        }
    }

    /// Runs async host work for the blocked extension; a failure becomes a status and is kept.
    func perform<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) -> T? {
        do {
            return try BlockingBridge.run(work)
        } catch {
            lastError = error
            return nil
        }
    }

    static func status(of error: (any Error)?) -> commerce_status {
        switch error {
        case nil: return commerce_status(COMMERCE_OK)
        case let error as CommerceError:
            switch error.kind {
            case .invalidRequest, .validation: return commerce_status(COMMERCE_INVALID)
            case .notFound: return commerce_status(COMMERCE_NOT_FOUND)
            case .conflict, .preconditionFailed: return commerce_status(COMMERCE_CONFLICT)
            case .forbidden, .unauthorized: return commerce_status(COMMERCE_DENIED)
            case .notImplemented: return commerce_status(COMMERCE_UNSUPPORTED)
            default: return commerce_status(COMMERCE_FAILED)
            }
        case let error as DatabaseError where error.kind == .accessDenied:
            return commerce_status(COMMERCE_DENIED)
        case let error as DatabaseError where error.kind == .constraintViolation:
            return commerce_status(COMMERCE_CONFLICT)
        default:
            return commerce_status(COMMERCE_FAILED)
        }
    }

    /// `call_context`: where and for whom the request runs.
    var contextJSON: [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.beginObject()
        writer.field("ChannelId", context.channel.recordId)
        writer.field("OrgUnitNumber", context.channel.orgUnitNumber)
        writer.field("CurrencyCode", context.channel.currencyCode)
        writer.key("Caller")
        writer.beginObject()
        writer.field("Role", context.caller.roleName)
        switch context.caller {
        case .customer(let account): writer.field("CustomerId", account)
        case .application(let id): writer.field("ApplicationId", id)
        case .employee(let id, let stores):
            writer.field("EmployeeId", id)
            // A member added to the JSON, not to a struct: extensions read the members they
            // know, so this needs no new ABI version.
            writer.key("StoreNumbers")
            writer.beginArray()
            for store in stores { writer.string(store) }
            writer.endArray()
        case .anonymous: break
        }
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}

/// Statement arguments and result rows as JSON, the form they cross the ABI in.
enum StatementJSON {
    static func arguments(_ json: [UInt8]) throws -> [DatabaseValue] {
        guard !json.isEmpty else { return [] }
        do {
            return try JSONDecoder().decode([Argument].self, from: Data(json)).map(\.value)
        } catch {
            throw CommerceError.invalidRequest("statement arguments must be a JSON array of strings, numbers, booleans and nulls")
        }
    }

    private struct Argument: Decodable {
        let value: DatabaseValue

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = .null
            } else if let number = try? container.decode(Int64.self) {
                value = .integer(number)
            } else if let flag = try? container.decode(Bool.self) {
                // The schema stores booleans as 0/1.
                value = .integer(flag ? 1 : 0)
            } else if let text = try? container.decode(String.self) {
                value = .text(text)
            } else {
                // Fractions are never stored as floating point: they go in as decimal text.
                value = .text("\(try container.decode(Decimal.self))")
            }
        }
    }

    static func rows(_ rows: [DatabaseRow]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + rows.count * 64)
        writer.beginArray()
        for row in rows {
            writer.beginObject()
            for (index, name) in row.columns.names.enumerated() {
                writer.key(name)
                switch row[index] {
                case .null: writer.null()
                case .integer(let value): writer.int(value)
                case .text(let value): writer.string(value)
                case .blob(let bytes): writer.string(Data(bytes).base64EncodedString())
                }
            }
            writer.endObject()
        }
        writer.endArray()
        return writer.bytes
    }
}
