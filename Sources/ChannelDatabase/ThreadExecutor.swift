import Foundation

/// A task executor on plain threads of its own, started on demand: a new thread whenever more
/// jobs wait than idle threads do, up to `maximumThreads`.
///
/// Two uses, one rule each. SQLite's write transactions run on one such thread
/// (`maximumThreads` 1): they run one at a time anyway, and on the cooperative pool the next one
/// waited behind whatever HTTP work was queued there each time the writer was handed on, while
/// the writer sat idle (see BENCHMARKS.md, checkout). Extensions' calls back into the host run
/// on an unbounded one, so a job never waits behind threads that extensions keep blocked in C.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let name: String
    private let maximumThreads: Int
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var idle = 0
    private var threadCount = 0
    private var stopped = false

    public init(name: String, maximumThreads: Int = .max) {
        self.name = name
        self.maximumThreads = maximumThreads
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let spawn = jobs.count - head > idle && threadCount < maximumThreads
        if spawn { threadCount += 1 } else { condition.signal() }
        let number = threadCount
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = maximumThreads == 1 ? name : "\(name)-\(number)"
            thread.start()
        }
    }

    /// Lets the threads end once the queue is empty; jobs enqueued later still start a thread.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count {
                if stopped {
                    threadCount -= 1
                    condition.unlock()
                    return
                }
                idle += 1
                condition.wait()
                idle -= 1
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
