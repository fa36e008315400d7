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
    static let executor = ExtensionTaskExecutor()

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

/// A task executor on plain threads, started on demand: a new thread whenever more jobs wait
/// than threads do, so a job never waits behind threads that extensions keep blocked.
final class ExtensionTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var waiting = 0
    private var threadCount = 0

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let spawn = jobs.count - head > waiting
        if spawn { threadCount += 1 } else { condition.signal() }
        let number = threadCount
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "commerce-extension-\(number)"
            thread.start()
        }
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count {
                waiting += 1
                condition.wait()
                waiting -= 1
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
