import HTTPTypes
import Hummingbird
import NIOCore
import ChannelDatabase

/// Settings of the catalog answer cache (``CatalogCache``).
public struct CatalogCacheOptions: Sendable {
    /// The longest an answer is served again. Writes through this host end it at once; this
    /// bounds how late a write by another process to the same SQLite file shows.
    public var maxAge: Duration
    /// Body bytes kept; past them the cache starts over.
    public var maxBytes: Int

    public init(maxAge: Duration = .seconds(1), maxBytes: Int = 32 << 20) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
    }
}

/// Answers to anonymous catalog reads (`GET` under `Products` and `Categories`), served again
/// while the master data they were read from stays the same.
///
/// Why: storefronts read the same products and category pages over and over, and such an
/// answer depends only on the request and on master data (a product's price is its own; no
/// clock enters). Computing one costs tens of microseconds of our code per product; a stored
/// one costs a lookup.
///
/// Why it is right:
/// - The key holds everything of the request that the read path looks at: the target (path and
///   query), the host (it is in `@odata.context`), `Accept`, `Accept-Language`, `OUN` and the
///   OData version headers. Callers with credentials are not served from it (a caller's role
///   can change what it sees), nor are `If-Match` requests; `If-None-Match` is answered from the
///   stored ETag as the read path would. `Cache-Control: no-cache` (or `no-store`) asks for a
///   computed answer, as HTTP caches read it.
/// - An answer is stored with the database's ``ChannelDatabase/masterDataVersion`` read
///   *before* it was computed, and served only while the version is unchanged: a commit that
///   changes master data makes every older answer unusable before the writer's own request is
///   answered, so a client reads its own writes.
/// - Only `200` answers are kept, and only where the read path is the engine's own
///   (SQLite, no extension loaded: an extension could answer differently per call).
final class CatalogCache: Sendable {
    struct Answer: Sendable {
        let headers: HTTPFields
        let body: ByteBuffer
        let etag: String?
        let version: UInt64
        let expires: ContinuousClock.Instant
        /// What it holds of memory, roughly: its body and its key.
        let size: Int
    }

    let options: CatalogCacheOptions
    private let answers: BoundedCache<String, Answer>

    init(options: CatalogCacheOptions) {
        self.options = options
        self.answers = BoundedCache(limit: options.maxBytes) { $0.size }
    }

    private static let keyedFields: [HTTPField.Name] = [
        .accept, .acceptLanguage, ODataHeaders.operatingUnitNumber, ODataHeaders.odataMaxVersion, ODataHeaders.odataVersion,
    ]

    /// The key of a request the cache may answer; nil for any other.
    static func key(of request: Request) -> String? {
        guard request.method == .get, let target = request.head.path,
            target.hasPrefix("/Commerce/Products") || target.hasPrefix("/Commerce/Categories")
        else { return nil }
        let headers = request.headers
        guard headers[.authorization] == nil, headers[.ifMatch] == nil else { return nil }
        // A client (or a benchmark of the read path) may ask for a freshly computed answer.
        if let directives = headers[.cacheControl], directives.contains("no-cache") || directives.contains("no-store") { return nil }
        // NUL cannot occur in a target or a field value, so the parts cannot run into each other.
        var key = target
        key.append("\u{0}")
        key.append(request.head.authority ?? "")
        for name in keyedFields {
            key.append("\u{0}")
            if let value = headers[name] { key.append(value) }
        }
        return key
    }

    /// The stored answer to `request`, if it is still good for `version`.
    func response(to request: Request, key: String, version: UInt64) -> Response? {
        guard let answer = answers[key], answer.version == version, answer.expires > .now else { return nil }
        if let etag = answer.etag, let notModified = ETag.notModified(request, etag) { return notModified }
        return Response(status: .ok, headers: answer.headers, body: ResponseBody(byteBuffer: answer.body))
    }

    /// Keeps `response` when it is a `200` computed at `version`; answers it (with its body
    /// read into one buffer when it was not one already).
    func keep(_ response: Response, key: String, version: UInt64) async throws -> Response {
        guard response.status == .ok else { return response }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let body = collector.buffer
        let size = body.readableBytes + key.utf8.count
        // One answer may not take much of the budget: a few huge pages would push out everything.
        if size <= options.maxBytes / 8 {
            answers.store(
                Answer(headers: response.headers, body: body, etag: response.headers[.eTag], version: version, expires: .now + options.maxAge, size: size),
                for: key
            )
        }
        var kept = response
        kept.body = ResponseBody(byteBuffer: body)
        return kept
    }

    /// Answers stored, for tests and diagnostics.
    var count: Int { answers.count }
}

/// Reads a response body into one buffer. A class, because `ResponseBody.write` consumes
/// its writer and the bytes must outlive that.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        if buffer.readableBytes == 0 {
            buffer = part
        } else {
            var part = part
            buffer.writeBuffer(&part)
        }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
