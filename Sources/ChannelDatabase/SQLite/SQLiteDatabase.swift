public import Logging
import NIOCore
import NIOPosix
import Foundation
import Synchronization

/// The embedded channel database: one SQLite file in WAL mode.
///
/// One writer connection and several reader connections. Write transactions take the writer in
/// turn (`BEGIN IMMEDIATE`, so they never fail half-way on a lock upgrade); read transactions run
/// in parallel on the readers, each on one snapshot.
///
/// Where statements run: a read transaction's on the calling task's thread when that is not a
/// NIO event loop, else on the database's own thread pool, so an event loop never runs SQLite.
/// A statement costs a few microseconds, far less than the two thread switches of a hop to the
/// pool and back (measured: hopping cost the product-by-key route about three quarters of its
/// throughput). Write transactions run on the database's writer thread (a ``ThreadExecutor``
/// of one thread), and those that queue behind each other commit in groups (see ``write(_:)``):
/// with one writer, the time it is held per transaction bounds every write path (checkout
/// first), and both cut it (BENCHMARKS.md, checkout). In WAL mode a reader never waits for a lock. A writer could
/// wait in `BEGIN IMMEDIATE` only for another process writing the same file (the busy timeout
/// bounds it); `COMMIT` with `synchronous = NORMAL` appends to the WAL without waiting for the
/// disk. What does wait for the disk, the checkpoint that copies the WAL back into the
/// database, runs once the WAL has grown by ``checkpointFrames``, by the writer before it lets
/// the next transaction in. (A checkpoint from another connection, beside a busy writer, never
/// catches up with it, so the WAL would only grow.)
public final class SQLiteDatabase: ChannelDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let threads: NIOThreadPool
    private let writer: ResourcePool<SQLiteConnection>
    private let readers: ResourcePool<SQLiteConnection>
    private let readerCount: Int
    private let writerThread: ThreadExecutor
    private let logger: Logger
    /// The WAL length (frames) at which the writer checkpoints next; only the writer's holder
    /// changes it.
    private let checkpointAt = Atomic<Int>(SQLiteDatabase.checkpointFrames)
    /// WAL growth between checkpoints, ~16 MiB of 4 KiB pages. A checkpoint holds the writer
    /// while it copies the pages back and waits for the disk twice, so fewer of them leave the
    /// writer more time: at 4,000 frames checkout did 10-15% more than at 1,024 (BENCHMARKS.md,
    /// checkout). Not more: SQLite indexes the WAL in blocks of ~4,000 frames, and each page a
    /// connection reads searches every block; at 16,384 frames checkout was slower again.
    static let checkpointFrames = 4_000
    /// The WAL length at which its pages are next flushed to disk ahead of the checkpoint;
    /// only the writer's holder changes it.
    private let flushAt = Atomic<Int>(SQLiteDatabase.flushFrames)
    /// Frames between those early flushes. They run beside the writer, so the checkpoint's own
    /// wait for the WAL (~10 ms for 4,000 frames here, all of it holding the writer) covers only
    /// the last of them.
    static let flushFrames = 1_000
    private let flushing = Atomic<Bool>(false)
    /// The WAL file, opened for the early flushes only: SQLite takes its WAL locks on the
    /// `-shm` file, so this descriptor holds none a close could drop.
    private let walDescriptor = Mutex<Int32>(-1)
    /// Real commits, each of a whole group; for tests and diagnostics.
    private let commitCount = Atomic<Int>(0)
    var commits: Int { commitCount.load(ordering: .relaxed) }
    /// Write transactions waiting for the writer; for tests.
    var writersWaiting: Int { writer.waiting }
    /// Bumped after each commit of this process that changed master data (see ``masterDataVersion``).
    private let masterDataCommits = Atomic<UInt64>(0)

    /// Changes whenever this process commits a change to anything but ``transactionalTables``.
    /// Another process writing the same file goes unnoticed: SQLite could only tell a reader
    /// inside a transaction, which is the cost a cached answer avoids.
    public var masterDataVersion: UInt64? { masterDataCommits.load(ordering: .acquiring) }

    /// The tables a catalog read never looks at: what callers do (carts, orders, payments,
    /// customers) and stock, which every checkout changes. A table missing here only costs
    /// cached answers; one listed wrongly would serve stale ones, so new tables are master data
    /// until shown otherwise.
    static let transactionalTables = [
        "carts", "cart_lines", "cart_discount_codes", "sales_orders", "sales_lines", "payments", "order_events",
        "customers", "customer_addresses", "number_sequences", "stock",
    ]

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String, readerCount: Int? = nil, logger: Logger) throws {
        let readerCount = readerCount ?? max(2, System.coreCount)
        self.path = path
        self.logger = logger
        self.readerCount = readerCount
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw DatabaseError.cannotOpen("cannot open SQLite database at \(path): the directory \(directory) does not exist")
        }
        // The writer opens first: it creates the file and switches it to WAL, which the readers need.
        let writerConnection = try SQLiteConnection(path: path, readOnly: false)
        try writerConnection.executeScript("PRAGMA wal_autocheckpoint = 0;")
        // Group commit runs each member after the first in a savepoint, whose journal keeps the
        // original of every page the member changes. Past 64 KiB SQLite spills that journal to a
        // temporary file: two more writes per page, more than the WAL itself took (strace).
        // In memory it is a copy; a transaction rarely changes more than a few dozen pages.
        try writerConnection.executeScript("PRAGMA temp_store = MEMORY;")
        writerConnection.watchChanges(exempt: Self.transactionalTables)
        writerConnection.watchWAL()
        var readerConnections: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            readerConnections.append(try SQLiteConnection(path: path, readOnly: true))
        }
        writer = ResourcePool([writerConnection])
        readers = ResourcePool(readerConnections)
        threads = NIOThreadPool(numberOfThreads: readerCount + 1)
        threads.start()
        writerThread = ThreadExecutor(name: "sqlite-writer", maximumThreads: 1)
    }

    public func withTransaction<T: Sendable>(
        _ mode: TransactionMode,
        _ body: @Sendable (any DatabaseTransaction) async throws -> T
    ) async throws -> T {
        mode == .write ? try await write(body) : try await read(body)
    }

    private func read<T: Sendable>(_ body: @Sendable (any DatabaseTransaction) async throws -> T) async throws -> T {
        let connection = await readers.acquire()
        let inline = MultiThreadedEventLoopGroup.currentEventLoop == nil
        let transaction = SQLiteTransaction(connection: connection, threads: threads, mode: .read, inline: inline)
        defer {
            // Ending a read snapshot cannot fail in a way the caller could act on.
            let readers = self.readers
            perform(inline: inline) {
                if connection.isInTransaction { _ = try? connection.execute("COMMIT", []) }
                readers.release(connection)
            }
        }
        return try await body(transaction)
    }

    /// One write transaction, run on the writer thread and committed in a group with the write
    /// transactions queued behind it.
    ///
    /// A commit costs more than the statements of a small transaction (it appends every page the
    /// transaction changed to the WAL, ~9 pages for a cart change), and it holds the one writer.
    /// So when another write transaction is waiting for the writer as this one ends, this one
    /// leaves its work in the open transaction, hands the writer on and waits: the next one runs
    /// in a savepoint of the same transaction and does the same, until one finds nobody waiting
    /// (or the group is full) and commits for all of them. Nobody hears of success before the
    /// commit that holds its work, and a member that fails rolls back only its savepoint. A
    /// commit that fails fails every member of the group: each one's caller sees the error, as
    /// it would have for a commit of its own. (A commit fails for a full or failing disk, or for
    /// a deferred foreign key, which no core table declares.) Pages that several members change
    /// (the rightmost pages of indexes, shared rows) go to the WAL once per group.
    private func write<T: Sendable>(_ body: @Sendable (any DatabaseTransaction) async throws -> T) async throws -> T {
        let outcome: Result<T, any Error> = await withTaskExecutorPreference(writerThread) {
            do { return .success(try await self.writeOnThread(body)) } catch { return .failure(error) }
        }
        // Leaving the preference does not leave the thread: without this hop, what the caller
        // does next (encoding its answer) would run on the writer thread, ahead of the next
        // write transaction.
        await Task.yield()
        return try outcome.get()
    }

    /// Statements run right here: on the writer thread, which is no event loop.
    private func writeOnThread<T: Sendable>(_ body: @Sendable (any DatabaseTransaction) async throws -> T) async throws -> T {
        let connection = await writer.acquire()
        // A transaction still open here is a group's: its members wait for its commit.
        let joined = connection.isInTransaction
        let result: T
        do {
            if joined { _ = try connection.execute("SAVEPOINT commerce_group_member", []) }
            result = try await body(SQLiteTransaction(connection: connection, threads: threads, mode: .write, inline: true))
            if joined { _ = try connection.execute("RELEASE commerce_group_member", []) }
        } catch {
            undo(connection, joined: joined)
            // The members before this one still need their commit.
            _ = try? await endTurn(connection, waiting: false)
            throw error
        }
        try await endTurn(connection, waiting: true)
        return result
    }

    /// Most members a group commits together: each waits for the members after it, so the bound
    /// keeps the first one's wait to a few handlers' time.
    static let groupLimit = 16

    /// Members of the open group waiting for its commit; only the writer's holder changes it.
    private let group = Mutex<[CheckedContinuation<Void, any Error>]>([])

    /// Ends the writer's turn: hands the open transaction to the next write transaction, or
    /// commits it. `waiting` is true when this turn's own work is in the transaction (it then
    /// returns once that work is committed, and throws when it is not).
    private func endTurn(_ connection: SQLiteConnection, waiting: Bool) async throws {
        let open = connection.isInTransaction
        if open, writer.waiting > 0, group.withLock({ $0.count }) < Self.groupLimit - 1 {
            guard waiting else {
                writer.release(connection)
                return
            }
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                group.withLock { $0.append(continuation) }
                writer.release(connection)
            }
            return
        }
        let members = group.withLock { members in
            defer { members.removeAll(keepingCapacity: true) }
            return members
        }
        var failure: (any Error)?
        var committed = false
        if open {
            do {
                _ = try connection.execute("COMMIT", [])
                committed = true
            } catch {
                failure = error
                undo(connection, joined: false)
            }
        } else if !members.isEmpty {
            failure = DatabaseError.statementFailed("the database rolled the transaction back after an error of a later write in its group")
        }
        // After the commit and before anyone hears of it: an answer computed from a snapshot
        // older than the commit must not be stored under the new version.
        if committed {
            commitCount.add(1, ordering: .relaxed)
            if connection.takeChanges() { masterDataCommits.add(1, ordering: .releasing) }
            await checkpointIfDue(connection)
        }
        writer.release(connection)
        for member in members {
            if let failure { member.resume(throwing: failure) } else { member.resume() }
        }
        if waiting, let failure { throw failure }
    }

    /// Undoes one write transaction's work: its savepoint when it joined a group, else the whole
    /// transaction. When the savepoint cannot be undone, or SQLite itself ended the transaction
    /// after an error (it does for some, such as a full disk), the group's work is gone and
    /// ``endTurn`` fails its members: never is part of a failed member committed.
    private func undo(_ connection: SQLiteConnection, joined: Bool) {
        if joined, connection.isInTransaction {
            do {
                _ = try connection.execute("ROLLBACK TO commerce_group_member", [])
                _ = try connection.execute("RELEASE commerce_group_member", [])
                return
            } catch {
                logger.error("rollback to a savepoint failed; the whole group rolls back", metadata: ["error": "\(error)"])
            }
        }
        if connection.isInTransaction {
            do {
                _ = try connection.execute("ROLLBACK", [])
            } catch {
                logger.error("rollback failed", metadata: ["error": "\(error)"])
            }
        }
        // What was rolled back changed nothing to tell of.
        _ = connection.takeChanges()
    }

    private func perform(inline: Bool, _ work: @escaping @Sendable () -> Void) {
        if inline { return work() }
        threads.submit { _ in work() }
    }

    /// PASSIVE copies what no reader still needs; the writer restarts the WAL from its start
    /// once everything was copied. A failure, or a reader still on an old snapshot, only leaves
    /// the WAL longer until the next one, another ``checkpointFrames`` later.
    private func checkpointIfDue(_ connection: SQLiteConnection) async {
        let frames = connection.walFrames
        // The WAL restarted: it is short again.
        if frames < checkpointAt.load(ordering: .relaxed) - Self.checkpointFrames {
            checkpointAt.store(Self.checkpointFrames, ordering: .relaxed)
            flushAt.store(Self.flushFrames, ordering: .relaxed)
        }
        guard frames >= checkpointAt.load(ordering: .relaxed) else {
            if frames >= flushAt.load(ordering: .relaxed), !flushing.exchange(true, ordering: .acquiring) {
                flushAt.store(frames + Self.flushFrames, ordering: .relaxed)
                threads.submit { [self] _ in
                    flushWAL()
                    flushing.store(false, ordering: .releasing)
                }
            }
            return
        }
        checkpointAt.store(frames + Self.checkpointFrames, ordering: .relaxed)
        do {
            _ = try await threads.runIfActive { try connection.query("PRAGMA wal_checkpoint(PASSIVE);", []) }
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the WAL's dirty pages to disk and waits for them, like the checkpoint's own sync
    /// does; a failure only leaves that work to the checkpoint.
    private func flushWAL() {
        walDescriptor.withLock { descriptor in
            if descriptor < 0 { descriptor = open(path + "-wal", O_RDONLY | O_CLOEXEC) }
            guard descriptor >= 0 else { return }
            #if canImport(Glibc)
            _ = fdatasync(descriptor)
            #else
            _ = fsync(descriptor)
            #endif
        }
    }

    deinit {
        // A database dropped without `close()` (tests do) must not leave its thread waiting forever.
        writerThread.stop()
        walDescriptor.withLock { if $0 >= 0 { _ = Foundation.close($0) } }
    }

    public func close() async {
        // Wait for every borrowed connection to come back, so no statement runs on a closed pool.
        _ = await writer.drain(count: 1)
        _ = await readers.drain(count: readerCount)
        writerThread.stop()
        try? await threads.shutdownGracefully()
    }
}

/// One SQLite transaction, bound to one leased connection.
///
/// The transaction begins lazily with its first statement (in the same hop to the thread pool,
/// when it hops), so a request that reads nothing costs nothing.
final class SQLiteTransaction: DatabaseTransaction, @unchecked Sendable {
    let dialect = SQLDialect.sqlite
    let mode: TransactionMode
    private let connection: SQLiteConnection
    private let threads: NIOThreadPool
    private let inline: Bool

    init(connection: SQLiteConnection, threads: NIOThreadPool, mode: TransactionMode, inline: Bool) {
        self.connection = connection
        self.threads = threads
        self.mode = mode
        self.inline = inline
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let connection = self.connection
        let begin = mode == .write ? "BEGIN IMMEDIATE" : "BEGIN"
        if inline {
            if !connection.isInTransaction { _ = try connection.execute(begin, []) }
            return try work(connection)
        }
        return try await threads.runIfActive {
            if !connection.isInTransaction { _ = try connection.execute(begin, []) }
            return try work(connection)
        }
    }

    func query(_ sql: String, _ arguments: [DatabaseValue]) async throws -> [DatabaseRow] {
        try await run { try $0.query(sql, arguments) }
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue]) async throws -> Int {
        try await run { try $0.execute(sql, arguments) }
    }

    func integers(_ sql: String, _ arguments: [DatabaseValue]) async throws -> [Int64] {
        try await run { try $0.integers(sql, arguments) }
    }

    func executeScript(_ sql: String) async throws {
        try await run { try $0.executeScript(sql) }
    }

    func query(_ sql: String, _ arguments: [DatabaseValue], policy: TableAccessPolicy) async throws -> [DatabaseRow] {
        try await run { connection in try connection.guarded(by: policy) { try connection.query(sql, arguments, cached: false) } }
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue], policy: TableAccessPolicy) async throws -> Int {
        try await run { connection in try connection.guarded(by: policy) { try connection.execute(sql, arguments, cached: false) } }
    }

    func executeScript(_ sql: String, policy: TableAccessPolicy) async throws {
        try await run { connection in try connection.guarded(by: policy) { try connection.executeScript(sql) } }
    }
}
