import Synchronization

/// A process-wide memo that forgets everything once its entries cost more than `limit`.
///
/// For values that are cheap to recompute but asked for on every request (parsed query
/// options, translated criteria, translation hints, catalog answers): starting over costs one
/// recomputation per hot key, and no recency has to be tracked on the hot path. An entry costs
/// 1 unless `cost` says otherwise (bytes, for answers of very different sizes). Call from any
/// thread.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let limit: Int
    private let cost: @Sendable (Value) -> Int
    private let state = Mutex(State())

    private struct State {
        var entries: [Key: Value] = [:]
        var total = 0
    }

    public init(limit: Int, cost: @escaping @Sendable (Value) -> Int = { _ in 1 }) {
        self.limit = limit
        self.cost = cost
    }

    public subscript(key: Key) -> Value? {
        state.withLock { $0.entries[key] }
    }

    public func store(_ value: Value, for key: Key) {
        let size = cost(value)
        let forgotten: [Key: Value] = state.withLock { state in
            var forgotten: [Key: Value] = [:]
            if let replaced = state.entries.removeValue(forKey: key) { state.total -= cost(replaced) }
            if state.total + size > limit {
                swap(&forgotten, &state.entries)
                state.total = 0
            }
            state.entries[key] = value
            state.total += size
            return forgotten
        }
        // Freed here, outside the lock: tens of thousands of entries take milliseconds to free,
        // which every other caller would otherwise wait out (it showed as a 57 ms p99 of reads
        // when the catalog answers started over).
        _ = consume forgotten
    }

    public var count: Int { state.withLock { $0.entries.count } }
}
