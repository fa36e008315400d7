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
enum RequestDeadline {
    static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let worker = Task { try await work() }
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.start(continuation)
                let timer = Task {
                    // Cancelled when the work finishes first: then nothing is resumed here.
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    if outcome.finish(.failure(ODataError.requestTimedOut(limit))) { worker.cancel() }
                }
                Task {
                    let result = await worker.result
                    timer.cancel()
                    outcome.finish(result)
                }
            }
        } onCancel: {
            worker.cancel()
        }
    }

    /// The continuation, resumed by whichever of work and timer finishes first.
    private final class Outcome<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func start(_ value: CheckedContinuation<T, any Error>) {
            continuation.withLock { $0 = value }
        }

        /// Resumes the caller unless it was resumed before; answers whether this call did.
        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            guard let waiting = continuation.withLock({ current in defer { current = nil }; return current }) else { return false }
            waiting.resume(with: result)
            return true
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
