@testable import ChannelDatabase
import Foundation
import Testing

/// The writer never checkpoints inside a commit (its auto-checkpoint is off, so a commit does
/// not wait for the disk); the database's own checkpoints must still keep the WAL small.
@Suite("SQLite write-ahead log")
struct SQLiteWALTests {
    @Test("thousands of commits in a row leave a WAL no longer than the checkpoint interval")
    func checkpointsKeepTheLogSmall() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("commerce-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("channel.sqlite").path
        let database = try SQLiteDatabase(path: path, logger: TestDatabases.logger)
        try await database.withTransaction(.write) { try await $0.executeScript("CREATE TABLE counter (id INTEGER PRIMARY KEY, value TEXT NOT NULL)") }
        // Each commit appends at least one 4 KiB page: without checkpoints the WAL would hold
        // three times the interval.
        let commits = SQLiteDatabase.checkpointFrames * 3
        let payload = String(repeating: "x", count: 2_000)
        var largest: UInt64 = 0
        for index in 0..<commits {
            _ = try await database.withTransaction(.write) { try await $0.execute("INSERT INTO counter (id, value) VALUES (?, ?)", [.integer(Int64(index)), .text(payload)]) }
            if index % 64 == 0 { largest = max(largest, try Self.size(path + "-wal")) }
        }
        // A frame is a page and its 24-byte header; the WAL is checked every 64 commits.
        let bound = UInt64(SQLiteDatabase.checkpointFrames + 2 * 64) * (4_096 + 24) + 32
        #expect(largest < bound, "the WAL grew to \(largest) bytes")
        let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM counter")?.int("n") }
        #expect(count == commits)
        await database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func size(_ path: String) throws -> UInt64 {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
    }
}
