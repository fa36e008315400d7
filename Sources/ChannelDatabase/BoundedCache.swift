import Synchronization

/// A process-wide memo that forgets everything once it holds `limit` entries.
///
/// For values that are cheap to recompute but asked for on every request (parsed query
/// options, translated criteria, translation hints): starting over costs one recomputation per
/// hot key, and no recency has to be tracked on the hot path. Call from any thread.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let limit: Int
    private let entries = Mutex<[Key: Value]>([:])

    public init(limit: Int) {
        self.limit = limit
    }

    public subscript(key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    public func store(_ value: Value, for key: Key) {
        entries.withLock { entries in
            if entries.count >= limit, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }

    public var count: Int { entries.withLock { $0.count } }
}
