public import Logging

/// Which SQL the backend speaks. Statements written for the channel database are portable
/// (`?` placeholders, standard types); the dialect is consulted only where the two differ.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

/// How a transaction will use the database, so the backend can pick a connection up front.
public enum TransactionMode: Sendable {
    /// Reads only; runs on one of the parallel reader connections and sees one consistent snapshot.
    case read
    /// May write; write transactions run one at a time on SQLite and take their locks up front.
    case write
}

/// The channel database: master and transactional data of one or more channels.
///
/// Every unit of work runs inside ``withTransaction(_:_:)``: the body's changes commit together
/// when it returns and roll back together when it throws, so a failed request leaves nothing behind.
public protocol ChannelDatabase: Sendable {
    var dialect: SQLDialect { get }

    /// Runs `body` inside one transaction.
    ///
    /// The transaction handed to `body` is valid only while `body` runs; do not keep it.
    func withTransaction<T: Sendable>(
        _ mode: TransactionMode,
        _ body: @Sendable (any DatabaseTransaction) async throws -> T
    ) async throws -> T

    /// Closes all connections; pending transactions finish first.
    func close() async

    /// A number that changes whenever this process commits a change to master data (anything
    /// but carts, orders, payments, customers and stock), read before an answer is computed so
    /// the answer can be reused while it stays the same. nil when the backend cannot tell: on
    /// PostgreSQL other hosts write the same database.
    var masterDataVersion: UInt64? { get }
}

extension ChannelDatabase {
    public var masterDataVersion: UInt64? { nil }
}

/// Statements inside one transaction. Statements use `?` placeholders, never inlined values.
///
/// Statements of one transaction run one after another; do not call into one transaction from
/// several tasks at once.
public protocol DatabaseTransaction: AnyObject, Sendable {
    var dialect: SQLDialect { get }
    var mode: TransactionMode { get }

    /// Runs a statement that returns rows.
    func query(_ sql: String, _ arguments: [DatabaseValue]) async throws -> [DatabaseRow]

    /// The first column of every row of a statement as integers (NULL as 0). A backend may
    /// read them without building rows (SQLite does).
    func integers(_ sql: String, _ arguments: [DatabaseValue]) async throws -> [Int64]

    /// Runs a statement that returns no rows; answers the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) async throws -> Int

    /// Runs several statements without arguments (migrations).
    func executeScript(_ sql: String) async throws

    /// Runs writes whose row counts nobody reads as one unit: PostgreSQL gets them as one
    /// statement (each write a data-modifying `WITH` clause), one round trip instead of one each;
    /// SQLite, in the process, runs them one after another. No write may change a row another
    /// one changes, nor depend on another's rows except through foreign keys, which hold:
    /// PostgreSQL checks them at the end of the statement.
    func executeTogether(_ statements: [SQLFragment]) async throws

    /// Runs a statement for a guest (an extension), limited by `policy`: a statement that touches
    /// anything else fails with ``DatabaseError/Kind/accessDenied`` naming the guest and the table.
    func query(_ sql: String, _ arguments: [DatabaseValue], policy: TableAccessPolicy) async throws -> [DatabaseRow]

    /// ``execute(_:_:)`` for a guest, limited by `policy`.
    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue], policy: TableAccessPolicy) async throws -> Int

    /// ``executeScript(_:)`` for a guest's migration, limited by `policy`.
    func executeScript(_ sql: String, policy: TableAccessPolicy) async throws
}

extension DatabaseTransaction {
    public func executeTogether(_ statements: [SQLFragment]) async throws {
        for statement in statements { try await execute(statement.sql, statement.arguments) }
    }

    public func integers(_ sql: String, _ arguments: [DatabaseValue]) async throws -> [Int64] {
        try await query(sql, arguments).map { $0.int64(at: 0) ?? 0 }
    }

    public func query(_ sql: String) async throws -> [DatabaseRow] {
        try await query(sql, [])
    }

    public func queryFirst(_ sql: String, _ arguments: [DatabaseValue] = []) async throws -> DatabaseRow? {
        try await query(sql, arguments).first
    }

    /// Inserts many rows in few statements, each a multi-row `INSERT ... VALUES`: on PostgreSQL
    /// every statement is a round trip and fires the statement-level triggers (the search index)
    /// once, so master data in bulk goes in hundreds of times faster than row by row. Statements
    /// stay below 2,000 parameters, far inside both backends' limits.
    public func insertRows(into table: String, columns: [String], _ rows: [[DatabaseValue]]) async throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        let perStatement = max(1, 2_000 / columns.count)
        var start = 0
        while start < rows.count {
            let end = min(start + perStatement, rows.count)
            var arguments: [DatabaseValue] = []
            arguments.reserveCapacity((end - start) * columns.count)
            for values in rows[start..<end] {
                guard values.count == columns.count else {
                    throw DatabaseError.statementFailed("a row for \(table) has \(values.count) values for \(columns.count) columns")
                }
                arguments += values
            }
            try await execute(
                "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: end - start).joined(separator: ", "),
                arguments
            )
            start = end
        }
    }
}

/// Opens the channel database named by a configuration value.
public enum ChannelDatabaseFactory {
    /// Opens a `postgres://` or `postgresql://` URL, or a SQLite file path (also `sqlite://path`).
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> any ChannelDatabase {
        switch location {
        case .sqlite(let path):
            return try SQLiteDatabase(path: path, logger: logger)
        case .postgres(let configuration):
            return try await PostgresDatabase(configuration: configuration, logger: logger)
        }
    }
}
