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
            bucket.tokens -= 1
            return nil
        }
    }
}
