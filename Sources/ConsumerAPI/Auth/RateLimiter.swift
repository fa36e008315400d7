import HTTPTypes
import NIOCore
import Synchronization

/// Per-caller request limits: a token bucket per caller (application id, customer, or the
/// client address for anonymous callers), refilled continuously.
public struct RateLimit: Sendable, Equatable {
    /// Sustained requests per second per caller.
    public var requestsPerSecond: Double
    /// Requests a caller may make at once before the rate applies.
    public var burst: Int

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = max(1, burst)
    }
}

final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let limit: RateLimit
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Above this many callers, full buckets (callers idle long enough to have refilled) are
    /// dropped, so memory stays bounded however many addresses call.
    private static let pruneThreshold = 10_000

    init(_ limit: RateLimit) {
        self.limit = limit
    }

    /// Takes one token for `caller`; answers nil when the request may go on, or the whole
    /// seconds to wait before the next token.
    func take(for caller: String, now: ContinuousClock.Instant = .now) -> Int? {
        take(for: caller, now: now, cost: 1)
    }

    /// Whether `caller` has a token left, without taking it: nil when it has, else the whole
    /// seconds to wait.
    func peek(for caller: String, now: ContinuousClock.Instant = .now) -> Int? {
        take(for: caller, now: now, cost: 0)
    }

    private func take(for caller: String, now: ContinuousClock.Instant, cost: Double) -> Int? {
        buckets.withLock { buckets in
            let capacity = Double(limit.burst)
            var bucket = buckets[caller] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * limit.requestsPerSecond)
            bucket.updated = now
            defer {
                buckets[caller] = bucket
                if buckets.count > Self.pruneThreshold {
                    buckets = buckets.filter { $0.value.tokens < capacity - 1 }
                }
            }
            guard bucket.tokens >= 1 else {
                let wait = (1 - bucket.tokens) / limit.requestsPerSecond
                return max(1, Int(wait.rounded(.up)))
            }
            bucket.tokens -= cost
            return nil
        }
    }
}

/// The rate limit of one HTTP request, charged once whatever it turns out to be.
///
/// Verified callers count against their identity (``Identity/rateLimitKey``). Everything else
/// counts against the client address: anonymous requests in one bucket, and requests whose
/// credentials fail in another, which is checked *before* a credential is verified. So an
/// address that keeps presenting bad tokens is refused with 429 without costing a signature
/// check each time, while anonymous browsing from a shared address does not lock out the
/// signed-in callers behind it.
final class RateLimitGate: Sendable {
    private let limiter: RateLimiter
    private let address: String
    private let charged = Atomic<Bool>(false)

    init(_ limiter: RateLimiter, address: String) {
        self.limiter = limiter
        self.address = address
    }

    /// Before verifying a presented credential: 429 when the address has used up its bucket of
    /// failed authentications.
    func checkCredentialFailures() throws {
        if let wait = limiter.peek(for: "failed-auth:" + address) {
            _ = charge()
            throw Self.refusal(wait)
        }
    }

    /// A credential failed verification: it counts against the address.
    func chargeCredentialFailure() {
        guard charge() else { return }
        _ = limiter.take(for: "failed-auth:" + address)
    }

    /// The caller is known: its request counts against its identity, or its address when anonymous.
    func admit(_ identity: Identity) throws {
        guard charge() else { return }
        if let wait = limiter.take(for: identity.rateLimitKey ?? "address:" + address) { throw Self.refusal(wait) }
    }

    /// A request that failed before its caller was known (a malformed path, an unknown
    /// channel) counts against its address.
    func chargeAddressIfUncharged() {
        guard charge() else { return }
        _ = limiter.take(for: "address:" + address)
    }

    /// Answers true for the first charge only: one HTTP request, one token.
    private func charge() -> Bool {
        !charged.exchange(true, ordering: .relaxed)
    }

    static func refusal(_ wait: Int) -> ODataError {
        var error = ODataError(.tooManyRequests, code: "TooManyRequests", "too many requests from this caller; retry in \(wait) s")
        error.headers[.retryAfter] = "\(wait)"
        return error
    }
}
