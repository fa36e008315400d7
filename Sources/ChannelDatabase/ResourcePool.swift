import Synchronization

/// A fixed set of resources (connections) handed out one per borrower, waiting borrowers
/// served first come, first served.
final class ResourcePool<Resource: Sendable>: Sendable {
    private struct State {
        var available: [Resource]
        var waiters: [CheckedContinuation<Resource, Never>] = []
        var nextWaiter = 0
    }

    private let state: Mutex<State>

    init(_ resources: [Resource]) {
        state = Mutex(State(available: resources))
    }

    func acquire() async -> Resource {
        if let resource = state.withLock({ $0.available.popLast() }) {
            return resource
        }
        return await withCheckedContinuation { continuation in
            let ready: Resource? = state.withLock { state in
                if let resource = state.available.popLast() { return resource }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func release(_ resource: Resource) {
        let waiter: CheckedContinuation<Resource, Never>? = state.withLock { state in
            guard state.nextWaiter < state.waiters.count else {
                state.available.append(resource)
                return nil
            }
            let waiter = state.waiters[state.nextWaiter]
            state.nextWaiter += 1
            if state.nextWaiter == state.waiters.count {
                state.waiters.removeAll(keepingCapacity: true)
                state.nextWaiter = 0
            }
            return waiter
        }
        waiter?.resume(returning: resource)
    }

    /// Borrowers waiting for a resource right now.
    var waiting: Int {
        state.withLock { $0.waiters.count - $0.nextWaiter }
    }

    /// Takes every resource out of the pool, waiting for borrowed ones to come back.
    func drain(count: Int) async -> [Resource] {
        var drained: [Resource] = []
        for _ in 0..<count { drained.append(await acquire()) }
        return drained
    }
}
