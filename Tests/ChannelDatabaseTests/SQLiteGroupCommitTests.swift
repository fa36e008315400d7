@testable import ChannelDatabase
import Foundation
import Synchronization
import Testing

/// Write transactions that queue for SQLite's one writer commit together (see
/// `SQLiteDatabase.write`); each must still succeed or fail as if it had committed alone.
@Suite("SQLite group commit")
struct SQLiteGroupCommitTests {
    @Test("transactions queued behind one commit with it, and each returns only once its work is committed")
    func queuedTransactionsCommitTogether() async throws {
        let (database, directory) = try await Self.open()
        let before = database.commits
        let outcomes = try await Self.runGroup(database, members: [
            { try await $0.execute("INSERT INTO items (id) VALUES (1)", []) },
            { try await $0.execute("INSERT INTO items (id) VALUES (2)", []) },
            { try await $0.execute("INSERT INTO items (id) VALUES (3)", []) },
            { try await $0.execute("INSERT INTO items (id) VALUES (4)", []) },
        ]) { id in
            // Read on another connection right after the member returned: it must see the row.
            try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM items WHERE id = ?", [.integer(id)])?.int("n") }
        }
        #expect(outcomes == [0: .committed(seen: 1), 1: .committed(seen: 1), 2: .committed(seen: 1), 3: .committed(seen: 1), 4: .committed(seen: 1)])
        #expect(database.commits - before == 1, "five transactions took \(database.commits - before) commits")
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("a member that fails undoes only its own work; the others commit")
    func failingMemberUndoesItsOwnWork() async throws {
        let (database, directory) = try await Self.open()
        let outcomes = try await Self.runGroup(database, members: [
            { try await $0.execute("INSERT INTO items (id) VALUES (1)", []) },
            { transaction in
                try await transaction.execute("INSERT INTO items (id) VALUES (2)", [])
                throw TestFailure.thrown
            },
            // The first transaction's row: a constraint violation.
            { transaction in
                try await transaction.execute("INSERT INTO items (id) VALUES (3)", [])
                try await transaction.execute("INSERT INTO items (id) VALUES (0)", [])
            },
            { try await $0.execute("INSERT INTO items (id) VALUES (4)", []) },
        ]) { _ in nil }
        #expect(outcomes[0] == .committed(seen: nil))
        #expect(outcomes[1] == .committed(seen: nil))
        #expect(outcomes[2] == .failed("thrown"))
        #expect(outcomes[3] == .failed("constraintViolation"))
        #expect(outcomes[4] == .committed(seen: nil))
        let ids = try await database.withTransaction(.read) { try await $0.integers("SELECT id FROM items ORDER BY id", []) }
        #expect(ids == [0, 1, 4])
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("a commit that fails fails every member of its group, and the next transaction starts clean")
    func failedCommitFailsEveryMember() async throws {
        let (database, directory) = try await Self.open()
        let outcomes = try await Self.runGroup(database, members: [
            { try await $0.execute("INSERT INTO items (id) VALUES (1)", []) },
            // A deferred foreign key is checked at COMMIT, the group's.
            { try await $0.execute("INSERT INTO notes (id, item_id) VALUES (1, 999)", []) },
            { try await $0.execute("INSERT INTO items (id) VALUES (2)", []) },
        ]) { _ in nil }
        #expect(outcomes == [0: .failed("constraintViolation"), 1: .failed("constraintViolation"), 2: .failed("constraintViolation"), 3: .failed("constraintViolation")])
        let ids = try await database.withTransaction(.read) { try await $0.integers("SELECT id FROM items ORDER BY id", []) }
        #expect(ids.isEmpty)
        _ = try await database.withTransaction(.write) { try await $0.execute("INSERT INTO items (id) VALUES (5)", []) }
        let after = try await database.withTransaction(.read) { try await $0.integers("SELECT id FROM items ORDER BY id", []) }
        #expect(after == [5])
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    enum Outcome: Equatable, Sendable {
        case committed(seen: Int?)
        case failed(String)
    }

    enum TestFailure: Error { case thrown }

    final class Flag: Sendable {
        private let raised = Atomic<Bool>(false)
        func raise() { raised.store(true, ordering: .releasing) }
        var isRaised: Bool { raised.load(ordering: .acquiring) }
    }

    private static func open() async throws -> (SQLiteDatabase, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("commerce-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("channel.sqlite").path, logger: TestDatabases.logger)
        try await database.withTransaction(.write) {
            try await $0.executeScript("""
                CREATE TABLE items (id INTEGER PRIMARY KEY);
                CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id) DEFERRABLE INITIALLY DEFERRED);
                """)
        }
        return (database, directory)
    }

    /// Runs a first transaction (inserting id 0) that holds the writer until every member waits
    /// for it, so that all of them form one group behind it. Outcome 0 is the first's; `check`
    /// runs in each member's task right after its transaction returned.
    private static func runGroup(
        _ database: SQLiteDatabase, members: [@Sendable (any DatabaseTransaction) async throws -> Void],
        check: @escaping @Sendable (Int64) async throws -> Int?
    ) async throws -> [Int: Outcome] {
        let holding = Flag()
        return try await withThrowingTaskGroup(of: (Int, Outcome).self) { tasks in
            tasks.addTask {
                await Self.outcome(0, check: check) {
                    try await database.withTransaction(.write) { transaction in
                        try await transaction.execute("INSERT INTO items (id) VALUES (0)", [])
                        holding.raise()
                        try await Self.waitUntil { database.writersWaiting >= members.count }
                    }
                }
            }
            try await Self.waitUntil { holding.isRaised }
            for (index, member) in members.enumerated() {
                tasks.addTask { await Self.outcome(index + 1, check: check) { try await database.withTransaction(.write) { try await member($0) } } }
                // One at a time, so the members queue in order. (Once the last one queues, the
                // first lets go and the group runs: there is nothing to wait for then.)
                if index < members.count - 1 { try await Self.waitUntil { database.writersWaiting >= index + 1 } }
            }
            var outcomes: [Int: Outcome] = [:]
            for try await (index, outcome) in tasks { outcomes[index] = outcome }
            return outcomes
        }
    }

    /// Polls `condition`; a test that would otherwise hang fails after ten seconds.
    private static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("timed out waiting for the writers to queue")
        throw TestFailure.thrown
    }

    private static func outcome(_ index: Int, check: @Sendable (Int64) async throws -> Int?, _ work: () async throws -> Void) async -> (Int, Outcome) {
        do {
            try await work()
            return (index, .committed(seen: try await check(Int64(index))))
        } catch let error as DatabaseError {
            return (index, .failed("\(error.kind)"))
        } catch {
            return (index, .failed("\(error)"))
        }
    }
}
