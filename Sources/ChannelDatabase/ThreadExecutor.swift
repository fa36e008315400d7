import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
            let label = maximumThreads == 1 ? name : "\(name)-\(number)"
            Thread { [self] in
                Self.nameCurrentThread(label)
                work()
            }.start()
        }
    }

    /// Lets the threads end once the queue is empty; jobs enqueued later still start a thread.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Names the thread where `top -H`, `perf` and `/proc/<pid>/task/*/comm` show it (the
    /// benchmark finds the SQLite writer by it). Foundation's `Thread.name`, set before `start()`,
    /// did not reach the kernel here: the thread kept its creator's name.
    private static func nameCurrentThread(_ label: String) {
        #if canImport(Glibc)
        // Through /proc: Swift's Glibc module leaves out pthread_setname_np (a GNU extension).
        // Linux keeps at most 15 bytes of a thread's name.
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        let bytes = Array(label.utf8.prefix(15))
        _ = write(descriptor, bytes, bytes.count)
        close(descriptor)
        #else
        Thread.current.name = label
        #endif
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
