import Foundation

/// One thread that runs the write transactions of one SQLite database.
///
/// Write transactions run one at a time anyway (SQLite has one writer). On the cooperative
/// pool, the next one waited behind whatever HTTP work was queued there each time the writer
/// was handed on, and the writer sat idle meanwhile (about a sixth of its time under load, see
/// BENCHMARKS.md). On a thread of their own the next transaction starts as soon as the last
/// one lets go.
final class WriterThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in work() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once its queue is empty.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count {
                if stopped {
                    condition.unlock()
                    return
                }
                condition.wait()
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
