public import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Foundation

/// The channel database on PostgreSQL: many hosts, one database.
///
/// Connections come from postgres-nio's pool. Write transactions run at READ COMMITTED (stock
/// and carts change through atomic conditional updates, never read-then-write); read
/// transactions run READ ONLY at REPEATABLE READ, so a request sees one snapshot.
public final class PostgresDatabase: ChannelDatabase {
    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger

    /// Connects, and fails with a clear message when the server cannot be reached.
    public init(configuration: PostgresConfiguration, logger: Logger, connectTimeout: Duration = .seconds(10)) async throws {
        var config = PostgresClient.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: .disable
        )
        config.options.maximumConnections = configuration.maximumConnections
        config.options.connectTimeout = connectTimeout
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        runTask = Task { await client.run() }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await client.query("SELECT 1", logger: logger) }
                group.addTask {
                    try await Task.sleep(for: connectTimeout)
                    throw DatabaseError.cannotOpen("timed out")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            runTask.cancel()
            // The pool retries a refused connection quietly, so its probe only says "timed out";
            // one connection of our own learns what the server said (too many clients, no such
            // database, a password refused).
            var reason = Self.describe(error)
            if (error as? DatabaseError)?.kind == .cannotOpen, let refusal = await Self.refusal(configuration, logger: logger) {
                reason = refusal
            }
            throw DatabaseError.cannotOpen("cannot connect to PostgreSQL at \(configuration): \(reason)")
        }
    }

    // Without it a database that is dropped unclosed keeps its connections (and the server's
    // slots) until the process ends.
    deinit { runTask.cancel() }

    /// What the server answers one direct connection attempt, or nil when that one succeeds.
    private static func refusal(_ configuration: PostgresConfiguration, logger: Logger) async -> String? {
        var direct = PostgresConnection.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: .disable
        )
        direct.options.connectTimeout = .seconds(5)
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: direct, id: 0, logger: logger
            ).get()
            try? await connection.close()
            return nil
        } catch {
            return describe(error)
        }
    }

    public func withTransaction<T: Sendable>(
        _ mode: TransactionMode,
        _ body: @Sendable (any DatabaseTransaction) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        do {
            return try await client.withConnection { connection in
                let begin = mode == .write ? "BEGIN" : "BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ"
                _ = try await connection.query(PostgresQuery(unsafeSQL: begin), logger: logger).get()
                let transaction = PostgresTransaction(connection: connection, mode: mode, logger: logger)
                do {
                    let result = try await body(transaction)
                    _ = try await connection.query("COMMIT", logger: logger).get()
                    return result
                } catch {
                    do {
                        _ = try await connection.query("ROLLBACK", logger: logger).get()
                    } catch {
                        logger.error("rollback failed", metadata: ["error": "\(Self.describe(error))"])
                    }
                    throw error
                }
            }
        } catch let error as PSQLError {
            throw Self.translate(error)
        }
    }

    /// Creates another database on the same server (for provisioning and tests).
    ///
    /// The name must be a plain lower-case identifier; it cannot be a bound parameter.
    public func createDatabase(named name: String) async throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }) else {
            throw DatabaseError.invalidURL("'\(name)' is not a plain lower-case database name")
        }
        do {
            _ = try await client.withConnection { connection in
                // CREATE DATABASE refuses to run inside a transaction, so it bypasses withTransaction.
                try await connection.simpleQuery("CREATE DATABASE \(name)").get()
            }
        } catch let error as PSQLError {
            throw Self.translate(error)
        }
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }

    static func translate(_ error: PSQLError) -> DatabaseError {
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = describe(error)
        if state.hasPrefix("23") { return .constraintViolation(message) }
        if state == "40001" || state == "40P01" || state == "55P03" { return .busy(message) }
        if state == "42501" { return DatabaseError(.accessDenied, message) }
        return .statementFailed(message)
    }

    /// A readable message for a PostgreSQL error without the statement's bound values.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

/// One PostgreSQL transaction on one leased connection.
final class PostgresTransaction: DatabaseTransaction, @unchecked Sendable {
    let dialect = SQLDialect.postgres
    let mode: TransactionMode
    private let connection: PostgresConnection
    private let logger: Logger

    init(connection: PostgresConnection, mode: TransactionMode, logger: Logger) {
        self.connection = connection
        self.mode = mode
        self.logger = logger
    }

    private func run(_ sql: String, _ arguments: [DatabaseValue]) async throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        let query = PostgresQuery(unsafeSQL: PostgresPlaceholders.rewrite(sql), binds: binds)
        do {
            return try await connection.query(query, logger: logger).get()
        } catch let error as PSQLError {
            throw PostgresDatabase.translate(error)
        }
    }

    func query(_ sql: String, _ arguments: [DatabaseValue]) async throws -> [DatabaseRow] {
        let result = try await run(sql, arguments)
        var columns: ColumnNames?
        var rows: [DatabaseRow] = []
        rows.reserveCapacity(result.rows.count)
        for row in result.rows {
            var names: [String] = []
            var values: [DatabaseValue] = []
            for cell in row {
                if columns == nil { names.append(cell.columnName) }
                values.append(try Self.value(of: cell))
            }
            let shared = columns ?? ColumnNames(names)
            columns = shared
            rows.append(DatabaseRow(columns: shared, values: values))
        }
        return rows
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue]) async throws -> Int {
        try await run(sql, arguments).metadata.rows ?? 0
    }

    func executeTogether(_ statements: [SQLFragment]) async throws {
        guard statements.count > 1 else {
            for statement in statements { _ = try await run(statement.sql, statement.arguments) }
            return
        }
        let clauses = statements.indices.map { "w\($0) AS (\(statements[$0].sql))" }
        _ = try await run("WITH " + clauses.joined(separator: ", ") + " SELECT 1", statements.flatMap(\.arguments))
    }

    func executeScript(_ sql: String) async throws {
        // The extended protocol takes one statement at a time.
        for statement in SQLScript.statements(sql) {
            _ = try await run(statement, [])
        }
    }

    func query(_ sql: String, _ arguments: [DatabaseValue], policy: TableAccessPolicy) async throws -> [DatabaseRow] {
        try await asGuest(policy) { try await self.query(sql, arguments) }
    }

    func execute(_ sql: String, _ arguments: [DatabaseValue], policy: TableAccessPolicy) async throws -> Int {
        try await asGuest(policy) { try await self.execute(sql, arguments) }
    }

    func executeScript(_ sql: String, policy: TableAccessPolicy) async throws {
        try await asGuest(policy) { try await self.executeScript(sql) }
    }

    /// Runs `body` as the guest's role, whose grants are the policy (see ``GuestRoles``).
    ///
    /// `SET LOCAL` ends with the transaction at the latest. A failed statement aborts a
    /// PostgreSQL transaction, so a guest's denied statement fails the whole request.
    private func asGuest<T: Sendable>(_ policy: TableAccessPolicy, _ body: () async throws -> T) async throws -> T {
        _ = try await run("SET LOCAL ROLE \(GuestRoles.quoted(policy.postgresRole))", [])
        let result: T
        do {
            result = try await body()
        } catch let error as DatabaseError where error.kind == .accessDenied {
            throw DatabaseError(.accessDenied, "extension '\(policy.owner)' was refused by the database: \(error.message)")
        }
        _ = try await run("RESET ROLE", [])
        return result
    }

    private static func value(of cell: PostgresCell) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return .integer(try cell.decode(Int64.self))
        case .bool:
            return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return .blob(Array(buffer.readableBytesView))
        case .numeric:
            // SUM over BIGINT answers NUMERIC on PostgreSQL; integral results map back to integers
            // so both backends hand the same value to the caller.
            let number = try cell.decode(Decimal.self)
            var input = number
            var whole = Decimal()
            NSDecimalRound(&whole, &input, 0, .plain)
            if whole == number, number <= Decimal(Int64.max), number >= Decimal(Int64.min) {
                return .integer(NSDecimalNumber(decimal: number).int64Value)
            }
            return .text(number.description)
        default:
            return .text(try cell.decode(String.self))
        }
    }
}

/// Rewrites portable `?` placeholders to PostgreSQL's `$1, $2, ...`, leaving quoted text alone.
enum PostgresPlaceholders {
    /// Works on the UTF-8 bytes: every delimiter is ASCII, so no byte of a multi-byte character
    /// can be mistaken for one, and iterating `Character`s (grapheme breaking) cost 6% of the
    /// engine's CPU on PostgreSQL, where every statement passes through here.
    static func rewrite(_ sql: String) -> String {
        guard sql.utf8.contains(UInt8(ascii: "?")) else { return sql }
        var output: [UInt8] = []
        output.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quote: UInt8?
        for byte in sql.utf8 {
            if let open = quote {
                if byte == open { quote = nil }
                output.append(byte)
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                output.append(byte)
            } else if byte == UInt8(ascii: "?") {
                index += 1
                output.append(UInt8(ascii: "$"))
                output.append(contentsOf: String(index).utf8)
            } else {
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
