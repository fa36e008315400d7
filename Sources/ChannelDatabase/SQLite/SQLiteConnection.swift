import CSQLite
import Foundation

/// One connection to a SQLite file: our own thin wrapper of the C API.
///
/// A connection is used by one thread at a time; ``SQLiteDatabase`` guarantees that by leasing
/// it to one transaction, whose statements run one after another. That is why
/// it is `@unchecked Sendable`: the lease, not the type, provides the exclusion.
final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Prepared statements by SQL text. Statements are reset after each use and kept for the
    /// connection's lifetime; their number is bounded by the number of distinct statement texts.
    private var statements: [StatementKey: CachedStatement] = [:]
    private static let cacheLimit = 256
    /// Set on the writer only: tells which commits changed master data.
    private var changeWatch: ChangeWatch?
    private let walCount = WALCount()
    /// VM steps between checks of the task's deadline: a few microseconds of work, so the check
    /// (a task-local read) costs nothing measurable and a long statement still stops promptly.
    private static let deadlineCheckSteps: Int32 = 1_000
    /// The largest part of the database file a connection maps (address space, not memory).
    static let mmapSize: Int64 = 4 << 30

    /// Process-wide settings, made once before the first connection initializes SQLite.
    private static let configured: Void = {
        // SQLITE_MISUSE when something else in the process initialized SQLite first: then the
        // statistics stay on, which costs speed only.
        _ = commerce_sqlite3_disable_memory_statistics()
    }()

    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32 = 5_000) throws {
        Self.configured
        var handle: OpaquePointer?
        // NOMUTEX: each connection is used by one thread at a time, so SQLite's own mutex is waste.
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw DatabaseError.cannotOpen("cannot open SQLite database at \(path): \(message)")
        }
        self.handle = handle
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(handle, 1)
        // A statement of a task past its deadline stops within a few thousand VM steps.
        sqlite3_progress_handler(handle, Self.deadlineCheckSteps, { _ in StatementDeadline.hasPassed ? 1 : 0 }, nil)
        try executeScript("PRAGMA foreign_keys = ON;")
        // Pages are read through a memory map instead of a pread() into a copy per page: on a
        // catalog larger than the page cache (100k products is ~190 MB), a search reads
        // thousands of index pages, and the copies were a fifth of its CPU. Writes still go
        // through the WAL; SQLite caps the size at what it was built with.
        try executeScript("PRAGMA mmap_size = \(Self.mmapSize);")
        if !readOnly {
            // WAL lets readers keep reading while the one writer writes; NORMAL sync is durable
            // across application crashes and loses at most the last transactions on power loss.
            _ = try query("PRAGMA journal_mode = WAL;", [])
            try executeScript("PRAGMA synchronous = NORMAL;")
        }
    }

    deinit {
        for cached in statements.values { sqlite3_finalize(cached.handle) }
        sqlite3_close_v2(handle)
    }

    func executeScript(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            throw Self.error(status, message)
        }
    }

    /// Runs a statement that returns rows. `cached: false` prepares it for this call only, as a
    /// guest's statements must be: the authorizer judges a statement when it is prepared.
    func query(_ sql: String, _ arguments: [DatabaseValue], cached useCache: Bool = true) throws -> [DatabaseRow] {
        var rows: [DatabaseRow] = []
        try run(sql, arguments, cached: useCache) { cached in
            let columnCount = Int(sqlite3_column_count(cached.handle))
            var values: [DatabaseValue] = []
            values.reserveCapacity(columnCount)
            for index in 0..<Int32(columnCount) {
                values.append(Self.read(cached.handle, index))
            }
            rows.append(DatabaseRow(columns: columnNames(of: cached, count: columnCount), values: values))
        }
        return rows
    }

    /// The first column of every row as integers (NULL as 0), without a row value per row: for
    /// statements that hand over many ids.
    func integers(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Int64] {
        var values: [Int64] = []
        try run(sql, arguments, cached: true) { values.append(sqlite3_column_int64($0.handle, 0)) }
        return values
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue], cached useCache: Bool = true) throws -> Int {
        try run(sql, arguments, cached: useCache) { _ in }
        return Int(sqlite3_changes(handle))
    }

    /// Prepares (or takes from the cache) and binds `sql`, steps it to the end calling `row` on
    /// each result row, and leaves the statement reset for its next use.
    private func run(_ sql: String, _ arguments: [DatabaseValue], cached useCache: Bool, row: (CachedStatement) throws -> Void) throws {
        let cached = try useCache ? prepare(sql) : prepareOnce(sql)
        let statement = cached.handle
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if !useCache { sqlite3_finalize(statement) }
        }
        try bind(arguments, to: statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw Self.error(status, String(cString: sqlite3_errmsg(handle))) }
            try row(cached)
        }
    }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// From now on, counts the rows this connection's statements change in `exempt` tables, so
    /// that ``takeChanges()`` can tell whether anything else changed.
    func watchChanges(exempt tables: [String]) {
        let watch = ChangeWatch(exempt: tables, total: sqlite3_total_changes64(handle))
        changeWatch = watch
        sqlite3_update_hook(handle, changeWatchCallback, Unmanaged.passUnretained(watch).toOpaque())
    }

    /// From now on, keeps the WAL's length in frames after each commit (``walFrames``). Replaces
    /// SQLite's own automatic checkpoint, which uses the same hook.
    func watchWAL() {
        sqlite3_wal_hook(handle, walHookCallback, Unmanaged.passUnretained(walCount).toOpaque())
    }

    /// Frames in the WAL after this connection's last commit (0 before ``watchWAL()``).
    var walFrames: Int { walCount.frames }

    /// Whether the rows changed since the last call (committed or rolled back) include any
    /// outside the exempt tables; starts counting anew. True for a connection not watched.
    ///
    /// The update hook misses some changes (rows a `DELETE` without `WHERE` truncates, rows
    /// `REPLACE` removes), so it only ever vouches for changes it saw: when SQLite's count of
    /// changed rows differs from the exempt rows the hook saw, the answer is yes.
    func takeChanges() -> Bool {
        guard let watch = changeWatch else { return true }
        let total = sqlite3_total_changes64(handle)
        defer {
            watch.total = total
            watch.exemptRows = 0
        }
        return total - watch.total != watch.exemptRows
    }

    /// The statement's column names, built once per cached statement rather than once per query.
    /// A re-prepare after a schema change can change a `SELECT *`, hence the count check.
    private func columnNames(of cached: CachedStatement, count: Int) -> ColumnNames {
        if let names = cached.columns, names.names.count == count { return names }
        let names = ColumnNames((0..<count).map { String(cString: sqlite3_column_name(cached.handle, Int32($0))) })
        cached.columns = names
        return names
    }

    private func prepare(_ sql: String) throws -> CachedStatement {
        if let cached = statements[StatementKey(sql)] { return cached }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw Self.error(status, String(cString: sqlite3_errmsg(handle)))
        }
        if statements.count >= Self.cacheLimit {
            // Ad-hoc statements past the limit: drop the whole cache rather than track recency;
            // the hot statements come back on their next use.
            for cached in statements.values { sqlite3_finalize(cached.handle) }
            statements.removeAll(keepingCapacity: true)
        }
        let cached = CachedStatement(statement)
        statements[StatementKey(sql)] = cached
        return cached
    }

    private func prepareOnce(_ sql: String) throws -> CachedStatement {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let status = sql.withCString { text in
            let status = sqlite3_prepare_v2(handle, text, -1, &statement, &tail)
            // One statement per call: text after the first statement would be silently ignored.
            if status == SQLITE_OK, let tail, tail.pointee != 0,
                String(cString: tail).contains(where: { !$0.isWhitespace && $0 != ";" })
            {
                sqlite3_finalize(statement)
                statement = nil
                return SQLITE_MISUSE
            }
            return status
        }
        if status == SQLITE_MISUSE { throw DatabaseError.statementFailed("give one SQL statement per call") }
        guard status == SQLITE_OK, let statement else {
            throw Self.error(status, String(cString: sqlite3_errmsg(handle)))
        }
        return CachedStatement(statement)
    }

    /// Runs `body` with every statement it prepares checked against `policy`.
    func guarded<T>(by policy: TableAccessPolicy, _ body: () throws -> T) throws -> T {
        let guardian = AccessGuardian(policy)
        let context = Unmanaged.passUnretained(guardian).toOpaque()
        sqlite3_set_authorizer(handle, accessGuardianCallback, context)
        defer { sqlite3_set_authorizer(handle, nil, nil) }
        do {
            return try withExtendedLifetime(guardian) { try body() }
        } catch {
            // The authorizer's own reason is clearer than SQLite's "not authorized".
            if let denial = guardian.denial { throw denial }
            throw error
        }
    }

    private func bind(_ arguments: [DatabaseValue], to statement: OpaquePointer) throws {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == arguments.count else {
            throw DatabaseError.statementFailed("the statement takes \(expected) arguments, \(arguments.count) were given")
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null:
                status = sqlite3_bind_null(statement, index)
            case .integer(let number):
                status = sqlite3_bind_int64(statement, index, number)
            case .text(var text):
                // The string's own UTF-8 with its length (SQLite copies it): `utf8CString` made a
                // terminated copy of every text argument first.
                status = text.withUTF8 { buffer in
                    // An empty buffer may have no address, which SQLite would bind as NULL.
                    guard let base = buffer.baseAddress, !buffer.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, Self.transient) }
                    return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        sqlite3_bind_text(statement, index, $0, Int32(buffer.count), Self.transient)
                    }
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count), Self.transient)
                }
            }
            guard status == SQLITE_OK else { throw Self.error(status, String(cString: sqlite3_errmsg(handle))) }
        }
    }

    private static func read(_ statement: OpaquePointer, _ index: Int32) -> DatabaseValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        case SQLITE_FLOAT:
            // The schema stores no floating point; an expression may still produce one (AVG, division).
            return .text(String(sqlite3_column_double(statement, index)))
        default:
            return .null
        }
    }

    /// SQLite copies bound text and blobs before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func error(_ status: Int32, _ message: String) -> DatabaseError {
        switch status & 0xFF {
        case SQLITE_CONSTRAINT: return .constraintViolation(message)
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy(message)
        case SQLITE_AUTH: return DatabaseError(.accessDenied, message)
        case SQLITE_INTERRUPT: return DatabaseError(.interrupted, "the statement was stopped at the request's deadline")
        default: return .statementFailed(message)
        }
    }
}

/// A statement text as the key of the statement cache, hashed by its length and its first and
/// last bytes only: a product statement is about a kilobyte, and hashing all of it on every
/// execution cost more than SQLite's own work for a point read. Texts that share length, head
/// and tail only share a bucket; equality still compares them whole (at once when both are the
/// same stored string, as the engine's statement constants are).
private struct StatementKey: Hashable {
    let sql: String

    init(_ sql: String) { self.sql = sql }

    static func == (lhs: StatementKey, rhs: StatementKey) -> Bool { lhs.sql == rhs.sql }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = sql.utf8.withContiguousStorageIfAvailable { bytes in
            let edge = min(bytes.count, 48)
            hasher.combine(bytes.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<edge])))
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[(bytes.count - edge)...])))
        }
        if hashed == nil { hasher.combine(sql) }
    }
}

/// A prepared statement kept for the connection's lifetime, with its column names once known.
private final class CachedStatement {
    let handle: OpaquePointer
    var columns: ColumnNames?

    init(_ handle: OpaquePointer) { self.handle = handle }
}

/// What ``SQLiteConnection/watchChanges(exempt:)`` counts: touched on the connection's thread only.
private final class ChangeWatch {
    /// NUL-terminated names, compared with `strcmp`: the hook runs once per changed row.
    let exempt: [[CChar]]
    var total: Int64
    var exemptRows: Int64 = 0

    init(exempt: [String], total: Int64) {
        self.exempt = exempt.map { Array($0.utf8CString) }
        self.total = total
    }

    func saw(_ table: UnsafePointer<CChar>) {
        for name in exempt where strcmp(name, table) == 0 {
            exemptRows += 1
            return
        }
    }
}

private let changeWatchCallback: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int64) -> Void = {
    context, _, _, table, _ in
    guard let context, let table else { return }
    Unmanaged<ChangeWatch>.fromOpaque(context).takeUnretainedValue().saw(table)
}

private final class WALCount {
    var frames = 0
}

private let walHookCallback: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    context, _, _, frames in
    guard let context else { return SQLITE_OK }
    Unmanaged<WALCount>.fromOpaque(context).takeUnretainedValue().frames = Int(frames)
    return SQLITE_OK
}

/// Judges each action of a statement being prepared for a guest; remembers the first refusal.
private final class AccessGuardian {
    let policy: TableAccessPolicy
    var denial: DatabaseError?

    init(_ policy: TableAccessPolicy) { self.policy = policy }

    func judge(_ action: Int32, _ first: String?, _ second: String?) -> Int32 {
        if let refusal = refusal(action, first ?? "", second ?? "") {
            if denial == nil { denial = refusal }
            return SQLITE_DENY
        }
        return SQLITE_OK
    }

    private func refusal(_ action: Int32, _ first: String, _ second: String) -> DatabaseError? {
        // SQLite's bookkeeping tables change with DDL and AUTOINCREMENT; they are not the guest's choice.
        let internalTable = first.hasPrefix("sqlite_")
        switch action {
        case SQLITE_READ:
            if internalTable && policy.allowsSchemaChanges { return nil }
            return policy.mayRead(first) ? nil : policy.deniedRead(first)
        case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE:
            if internalTable && (policy.allowsSchemaChanges || first == "sqlite_sequence") { return nil }
            return policy.owns(first) ? nil : policy.deniedWrite(first)
        case SQLITE_SELECT, SQLITE_FUNCTION, SQLITE_RECURSIVE:
            return nil
        case SQLITE_CREATE_TABLE, SQLITE_DROP_TABLE:
            return policy.allowsSchemaChanges && policy.owns(first) ? nil : policy.deniedSchemaChange(first)
        case SQLITE_CREATE_INDEX, SQLITE_DROP_INDEX:
            return policy.allowsSchemaChanges && policy.owns(second) ? nil : policy.deniedSchemaChange(second)
        case SQLITE_ALTER_TABLE:
            return policy.allowsSchemaChanges && policy.owns(second) ? nil : policy.deniedSchemaChange(second)
        case SQLITE_REINDEX:
            // SQLite asks for this while it builds a new index in the guest's migration.
            return policy.allowsSchemaChanges ? nil : policy.deniedSchemaChange(first)
        case SQLITE_TRANSACTION, SQLITE_SAVEPOINT:
            return policy.denied("begin, commit or roll back transactions (the host owns the request's transaction)")
        case SQLITE_PRAGMA:
            return policy.denied("run PRAGMA \(first)")
        case SQLITE_ATTACH, SQLITE_DETACH:
            return policy.denied("attach databases")
        default:
            // Triggers, views, virtual tables, ANALYZE: not part of the extension contract.
            return policy.denied("run this kind of statement (SQLite action \(action))")
        }
    }
}

private let accessGuardianCallback: @convention(c) (
    UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?
) -> Int32 = { context, action, first, second, _, _ in
    guard let context else { return SQLITE_DENY }
    let guardian = Unmanaged<AccessGuardian>.fromOpaque(context).takeUnretainedValue()
    return guardian.judge(action, first.map { String(cString: $0) }, second.map { String(cString: $0) })
}
