import HTTPTypes
import Synchronization

/// Runs a request's work against a deadline, answering on time even when the work cannot stop.
///
/// The work runs in a task of its own. At the deadline that task is cancelled and the caller
/// gets ``ODataError/requestTimedOut(_:)`` at once, without waiting for the work: work blocked
/// in a synchronous call (an extension's C function, a long SQLite statement) cannot observe
/// cancellation until it returns. The runtime checks for cancellation before it commits, so
/// such work rolls its transaction back when it does return; only work already committing at
/// the deadline may still complete.
///
/// Deadlines are watched by one ``DeadlineSweeper`` for the whole process rather than by a timer
/// task (and a task waiting for the work) per request: a request then costs one extra task, and
/// a deadline of seconds needs no finer resolution than the sweeper's tick.
enum RequestDeadline {
    static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        let worker = Mutex<Task<Void, Never>?>(nil)
        let ticket = DeadlineSweeper.shared.watch(until: .now + limit) {
            if outcome.finish(.failure(ODataError.requestTimedOut(limit))) { worker.withLock { $0?.cancel() } }
        }
        let task = Task {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            DeadlineSweeper.shared.forget(ticket)
            outcome.finish(result)
        }
        worker.withLock { $0 = task }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.start(continuation)
            }
        } onCancel: {
            task.cancel()
        }
    }

    /// The caller's continuation and the first result, whichever comes first: the work may
    /// finish before the caller has started waiting.
    private final class Outcome<T: Sendable>: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<T, any Error>)
            case finished(Result<T, any Error>)
            case delivered
        }

        private let state = Mutex<State>(.idle)

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            let ready: Result<T, any Error>? = state.withLock { state in
                if case .finished(let result) = state {
                    state = .delivered
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }

        /// Records the result unless one came before; answers whether this call's did.
        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            let (won, waiting): (Bool, CheckedContinuation<T, any Error>?) = state.withLock { state in
                switch state {
                case .idle:
                    state = .finished(result)
                    return (true, nil)
                case .waiting(let continuation):
                    state = .delivered
                    return (true, continuation)
                case .finished, .delivered:
                    return (false, nil)
                }
            }
            waiting?.resume(with: result)
            return won
        }
    }
}

/// Fires the expiry of deadlines that pass, checking every `tick`; runs only while some
/// deadline is watched.
final class DeadlineSweeper: Sendable {
    static let shared = DeadlineSweeper(tick: .milliseconds(100))

    private struct Watched {
        var deadline: ContinuousClock.Instant
        var expire: @Sendable () -> Void
    }

    private struct State {
        var watched: [UInt64: Watched] = [:]
        var nextTicket: UInt64 = 0
        var sweeping = false
    }

    private let tick: Duration
    private let state = Mutex(State())

    init(tick: Duration) { self.tick = tick }

    func watch(until deadline: ContinuousClock.Instant, _ expire: @escaping @Sendable () -> Void) -> UInt64 {
        let (ticket, start) = state.withLock { state in
            state.nextTicket += 1
            state.watched[state.nextTicket] = Watched(deadline: deadline, expire: expire)
            let start = !state.sweeping
            state.sweeping = true
            return (state.nextTicket, start)
        }
        if start { Task.detached { [self] in await self.sweep() } }
        return ticket
    }

    func forget(_ ticket: UInt64) {
        state.withLock { _ = $0.watched.removeValue(forKey: ticket) }
    }

    private func sweep() async {
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let (expired, done): ([Watched], Bool) = state.withLock { state in
                let expired = state.watched.filter { $0.value.deadline <= now }
                for ticket in expired.keys { state.watched.removeValue(forKey: ticket) }
                if state.watched.isEmpty { state.sweeping = false }
                return (Array(expired.values), state.watched.isEmpty)
            }
            for watched in expired { watched.expire() }
            if done { return }
        }
    }
}

extension ODataError {
    /// 504: the request ran past `http.requestTimeoutSeconds`; what it changed is rolled back.
    static func requestTimedOut(_ limit: Duration) -> ODataError {
        ODataError(
            .gatewayTimeout, code: "RequestTimeout",
            "the request did not finish within \(limit.components.seconds) s and was stopped; nothing it changed was kept"
        )
    }
}
