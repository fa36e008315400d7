import Foundation

/// One step of a schema, applied once and recorded in `schema_migrations`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// The statements of the step for a dialect, as one script.
    public let script: @Sendable (SQLDialect) -> String

    public init(version: Int, name: String, script: @escaping @Sendable (SQLDialect) -> String) {
        self.version = version
        self.name = name
        self.script = script
    }

    /// A step whose statements are the same on both backends, after ``SchemaText`` substitution.
    public init(version: Int, name: String, portable sql: String) {
        self.init(version: version, name: name) { SchemaText.render(sql, for: $0) }
    }
}

/// The ordered migrations of one namespace: `core` for the engine, one per extension.
public struct MigrationSet: Sendable {
    public let namespace: String
    public let migrations: [Migration]

    public init(namespace: String, migrations: [Migration]) {
        self.namespace = namespace
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }
}

/// The few type names that differ between the backends, written as `{name}` in portable DDL.
public enum SchemaText {
    public static func render(_ sql: String, for dialect: SQLDialect) -> String {
        let substitutions: [(String, String)] = switch dialect {
        case .sqlite: [("{pk}", "INTEGER PRIMARY KEY"), ("{blob}", "BLOB")]
        case .postgres: [("{pk}", "BIGINT PRIMARY KEY"), ("{blob}", "BYTEA")]
        }
        var text = sql
        for (placeholder, value) in substitutions {
            text = text.replacingOccurrences(of: placeholder, with: value)
        }
        return text
    }
}
