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
/// Where statements run: on the calling task's thread when that is not a NIO event loop, else on
/// the database's own thread pool, so an event loop never runs SQLite. A statement costs a few
/// microseconds, far less than the two thread switches of a hop to the pool and back (measured:
/// hopping cost the product-by-key route about three quarters of its throughput, and a write
/// transaction held the one writer through a hop per statement, which capped checkout; see
/// BENCHMARKS.md). In WAL mode a reader never waits for a lock. A writer could wait in
/// `BEGIN IMMEDIATE` only for another process writing the same file (the busy timeout bounds
/// it); `COMMIT` with `synchronous = NORMAL` appends to the WAL without waiting for the disk.
/// What does wait for the disk, the checkpoint that copies the WAL back into the database, runs
/// on the pool every ``checkpointEvery`` commits, by the writer before it lets the next
/// transaction in. (A checkpoint from another connection, beside a busy writer, never catches up
/// with it, so the WAL would only grow.)
public final class SQLiteDatabase: ChannelDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let threads: NIOThreadPool
    private let writer: ResourcePool<SQLiteConnection>
    private let readers: ResourcePool<SQLiteConnection>
    private let readerCount: Int
    private let logger: Logger
    /// Commits since the last checkpoint; only the writer's holder changes it.
    private let commitsSinceCheckpoint = Atomic<Int>(0)
    /// Commits between checkpoints: a few hundred small transactions keep the WAL at a few
    /// megabytes, and the checkpoint's wait for the disk is shared by all of them.
    static let checkpointEvery = 256
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
        writerConnection.watchChanges(exempt: Self.transactionalTables)
        var readerConnections: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            readerConnections.append(try SQLiteConnection(path: path, readOnly: true))
        }
        writer = ResourcePool([writerConnection])
        readers = ResourcePool(readerConnections)
        threads = NIOThreadPool(numberOfThreads: readerCount + 1)
        threads.start()
    }

    public func withTransaction<T: Sendable>(
        _ mode: TransactionMode,
        _ body: @Sendable (any DatabaseTransaction) async throws -> T
    ) async throws -> T {
        let pool = mode == .write ? writer : readers
        let connection = await pool.acquire()
        let inline = MultiThreadedEventLoopGroup.currentEventLoop == nil
        let transaction = SQLiteTransaction(connection: connection, threads: threads, mode: mode, inline: inline)
        let result: T
        do {
            result = try await body(transaction)
        } catch {
            await finish(connection, commit: false, pool: pool)
            throw error
        }
        if mode == .read {
            // Ending a read snapshot cannot fail in a way the caller could act on.
            if inline {
                if connection.isInTransaction { _ = try? connection.execute("COMMIT", []) }
                pool.release(connection)
            } else {
                threads.submit { _ in
                    if connection.isInTransaction { _ = try? connection.execute("COMMIT", []) }
                    pool.release(connection)
                }
            }
            return result
        }
        var committed = false
        do {
            if inline {
                if connection.isInTransaction { _ = try connection.execute("COMMIT", []); committed = true }
            } else {
                committed = try await threads.runIfActive {
                    guard connection.isInTransaction else { return false }
                    _ = try connection.execute("COMMIT", [])
                    return true
                }
            }
        } catch {
            await finish(connection, commit: false, pool: pool)
            throw error
        }
        // After the commit, never before: an answer computed from a snapshot older than the
        // commit must not be stored under the new version.
        if committed, connection.takeChanges() { masterDataCommits.add(1, ordering: .releasing) }
        if committed, commitsSinceCheckpoint.add(1, ordering: .relaxed).newValue >= Self.checkpointEvery {
            commitsSinceCheckpoint.store(0, ordering: .relaxed)
            await checkpoint(connection)
        }
        pool.release(connection)
        return result
    }

    /// PASSIVE copies what no reader still needs; the writer restarts the WAL from its start
    /// once everything was copied. A failure only leaves the WAL longer until the next one.
    private func checkpoint(_ connection: SQLiteConnection) async {
        do {
            _ = try await threads.runIfActive { try connection.query("PRAGMA wal_checkpoint(PASSIVE);", []) }
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }
    }

    private func finish(_ connection: SQLiteConnection, commit: Bool, pool: ResourcePool<SQLiteConnection>) async {
        // Not runIfActive: it skips work of a cancelled task (a request stopped at its
        // deadline), which would hand the connection back still inside its transaction.
        let logger = self.logger
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threads.submit { state in
                if case .active = state, connection.isInTransaction {
                    do {
                        _ = try connection.execute("ROLLBACK", [])
                    } catch {
                        logger.error("rollback failed", metadata: ["error": "\(error)"])
                    }
                }
                // What was rolled back changed nothing to tell of.
                _ = connection.takeChanges()
                continuation.resume()
            }
        }
        pool.release(connection)
    }

    public func close() async {
        // Wait for every borrowed connection to come back, so no statement runs on a closed pool.
        _ = await writer.drain(count: 1)
        _ = await readers.drain(count: readerCount)
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
