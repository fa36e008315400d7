import ChannelDatabase
import Foundation

/// Runs async host work for an extension that is blocked in a synchronous C call.
///
/// An extension calls back into the host (the next handler, a nested request, a statement)
/// from inside a C function, which cannot await. The calling thread therefore waits while the
/// work runs as a task on threads of its own: never on the cooperative pool, whose few threads
/// may all be the ones waiting. A waiting thread is always the root of a chain that started on
/// a cooperative or event-loop thread, so the pool needs only as many threads as calls can
/// nest, times the number of such roots; it grows when every thread is busy, so it cannot run
/// dry however deep extensions nest.
enum BlockingBridge {
    // Short: Linux keeps 15 bytes of a thread's name, and "extension-12" must fit.
    static let executor = ThreadExecutor(name: "extension")

    static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Outcome<T>()
        Task(executorPreference: executor) {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            outcome.finish(result)
        }
        return try outcome.wait().get()
    }
}

/// One result handed from the worker task to the waiting thread.
private final class Outcome<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func finish(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> Result<T, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }
}
