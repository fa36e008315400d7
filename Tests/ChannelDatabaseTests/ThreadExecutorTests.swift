@testable import ChannelDatabase
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ThreadExecutor` runs SQLite's writes on one named thread and extensions' calls back into the
/// host on as many threads as they keep blocked.
@Suite("Thread executor")
struct ThreadExecutorTests {
    /// The kernel's name of the calling thread, as `top -H` and the checkout benchmark see it.
    private static func currentThreadName() -> String {
        let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return name.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("jobs run on one thread that carries the executor's name")
    func oneNamedThread() async throws {
        let executor = ThreadExecutor(name: "test-writer", maximumThreads: 1)
        defer { executor.stop() }
        let seen = try await withThrowingTaskGroup(of: (String, UInt).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await withTaskExecutorPreference(executor) {
                        (Self.currentThreadName(), UInt(pthread_self()))
                    }
                }
            }
            return try await group.reduce(into: [(String, UInt)]()) { $0.append($1) }
        }
        #expect(Set(seen.map(\.0)) == ["test-writer"])
        #expect(Set(seen.map(\.1)).count == 1, "a one-thread executor ran jobs on \(Set(seen.map(\.1)).count) threads")
    }

    @Test("an unbounded executor starts another thread while a job keeps one blocked")
    func blockedJobDoesNotStopOthers() async throws {
        let executor = ThreadExecutor(name: "test-bridge")
        defer { executor.stop() }
        let release = DispatchSemaphore(value: 0)
        let blocked = Task(executorPreference: executor) {
            // Blocks its thread the way an extension's C code does.
            release.wait()
            return Self.currentThreadName()
        }
        let other = await Task(executorPreference: executor) { Self.currentThreadName() }.value
        release.signal()
        let first = await blocked.value
        #expect(first.hasPrefix("test-bridge-"))
        #expect(other.hasPrefix("test-bridge-"))
        #expect(first != other, "the second job should have had a thread of its own")
    }
}
