@testable import ChannelDatabase
import Foundation
import Testing

/// A SQLite statement of a task past its ``StatementDeadline`` stops, and the connection it ran
/// on serves the next transaction as if nothing happened.
@Suite("Statement deadlines on SQLite")
struct StatementDeadlineTests {
    /// Counts for a minute or more unless interrupted (so a missed interrupt fails, not hangs).
    static let endless = """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT count(*) AS c FROM n
        """

    @Test("a long read stops soon after its deadline; the readers then serve reads")
    func longReadStops() async throws {
        let database = try await TestDatabases.open(.sqlite)
        // Timed around the statement alone, on the thread that runs it: what follows the
        // interrupt (the rollback, resuming this task) waits for threads that the tests running
        // in parallel may hold for a long time on a loaded machine.
        let outcome: (error: DatabaseError?, ran: Duration) = try await StatementDeadline.$current.withValue(.now + .milliseconds(200)) {
            try await database.withTransaction(.read) { transaction in
                let started = ContinuousClock.now
                do {
                    _ = try await transaction.queryFirst(Self.endless)
                    return (nil, ContinuousClock.now - started)
                } catch let error as DatabaseError {
                    return (error, ContinuousClock.now - started)
                }
            }
        }
        #expect(outcome.error?.kind == .interrupted, "\(String(describing: outcome.error))")
        #expect(outcome.ran < .seconds(5), "the statement ran for \(outcome.ran)")
        // Every reader (and the writer) still works; without a deadline nothing is interrupted.
        for _ in 0..<4 {
            let row = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT 41 + 1 AS answer") }
            #expect(row?.int("answer") == 42)
        }
        await database.close()
    }

    @Test("a write past its deadline is interrupted and rolled back whole")
    func writeRollsBack() async throws {
        let database = try await TestDatabases.open(.sqlite)
        try await database.withTransaction(.write) { try await $0.executeScript("CREATE TABLE deadline_probe (id INTEGER PRIMARY KEY)") }
        await #expect(throws: DatabaseError.self) {
            try await StatementDeadline.$current.withValue(.now + .milliseconds(200)) {
                try await database.withTransaction(.write) { transaction in
                    _ = try await transaction.execute("INSERT INTO deadline_probe (id) VALUES (1)", [])
                    return try await transaction.queryFirst(Self.endless)
                }
            }
        }
        let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT count(*) AS n FROM deadline_probe")?.int("n") }
        #expect(count == 0)
        try await database.withTransaction(.write) { _ = try await $0.execute("INSERT INTO deadline_probe (id) VALUES (2)", []) }
        await database.close()
    }

    @Test("the deadline belongs to the task that set it")
    func deadlineIsTaskLocal() async throws {
        #expect(StatementDeadline.current == nil)
        #expect(!StatementDeadline.hasPassed)
        StatementDeadline.$current.withValue(.now - .seconds(1)) {
            #expect(StatementDeadline.hasPassed)
            #expect(throws: CancellationError.self) { try StatementDeadline.checkNotPassed() }
        }
        #expect(!StatementDeadline.hasPassed)
    }
}
