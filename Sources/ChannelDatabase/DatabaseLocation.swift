import Foundation

/// Where the channel database lives, parsed from configuration.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresConfiguration)

    /// Parses `postgres://user:password@host:port/database`, `sqlite:///abs/path` or a plain file path.
    public init(parsing value: String) throws {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DatabaseError.invalidURL("the database location is empty") }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(try PostgresConfiguration(url: trimmed))
        } else if trimmed.hasPrefix("sqlite://") {
            let path = String(trimmed.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw DatabaseError.invalidURL("a sqlite:// URL needs a file path") }
            self = .sqlite(path: path)
        } else if let colon = trimmed.range(of: "://") {
            let scheme = trimmed[..<colon.lowerBound]
            throw DatabaseError.invalidURL("unsupported database scheme '\(scheme)': use a SQLite file path or a postgres:// URL")
        } else {
            self = .sqlite(path: trimmed)
        }
    }
}

/// Connection settings of a PostgreSQL channel database.
public struct PostgresConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var maximumConnections: Int

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, maximumConnections: Int = 20) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.maximumConnections = maximumConnections
    }

    public init(url: String) throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw DatabaseError.invalidURL("the PostgreSQL URL is malformed: expected postgres://user:password@host:port/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseError.invalidURL("the PostgreSQL URL names no user: expected postgres://user@host/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else {
            throw DatabaseError.invalidURL("the PostgreSQL URL names no database: expected postgres://user@host/database")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw DatabaseError.invalidURL("the PostgreSQL URL has an invalid port \(port)")
        }
        var maximum = 20
        if let value = components.queryItems?.first(where: { $0.name == "pool_max" })?.value {
            guard let parsed = Int(value), parsed > 0 else {
                throw DatabaseError.invalidURL("pool_max in the PostgreSQL URL must be a positive integer")
            }
            maximum = parsed
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding,
            database: database,
            maximumConnections: maximum
        )
    }
}

extension PostgresConfiguration: CustomStringConvertible {
    /// Without the password, so the configuration can be logged.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
