/// What statements run on behalf of a guest (an extension) may touch.
///
/// The host enforces it in the database itself, never by trusting the guest: SQLite checks every
/// statement at prepare time with an authorizer callback; PostgreSQL runs the statements as a
/// role that holds only the grants the policy names.
public struct TableAccessPolicy: Sendable, Equatable {
    /// Who the statements run for, named in every refusal.
    public var owner: String
    /// Tables whose name starts with this belong to the guest: it may read, write and (in its
    /// migrations) create and alter them.
    public var ownTablePrefix: String
    /// Core tables the guest may read.
    public var readableTables: Set<String>
    /// Whether DDL on the guest's own tables is allowed (migrations only).
    public var allowsSchemaChanges: Bool

    public init(owner: String, ownTablePrefix: String, readableTables: Set<String>, allowsSchemaChanges: Bool = false) {
        self.owner = owner
        self.ownTablePrefix = ownTablePrefix
        self.readableTables = readableTables
        self.allowsSchemaChanges = allowsSchemaChanges
    }

    /// The PostgreSQL role the guest's statements run as.
    public var postgresRole: String { "commerce_" + ownTablePrefix.trimmingSuffix("_") }

    public func owns(_ table: String) -> Bool { table.lowercased().hasPrefix(ownTablePrefix) }

    public func mayRead(_ table: String) -> Bool { owns(table) || readableTables.contains(table.lowercased()) }

    func deniedRead(_ table: String) -> DatabaseError {
        DatabaseError(.accessDenied, "extension '\(owner)' may not read table '\(table)': its manifest does not list it in readsTables")
    }

    func deniedWrite(_ table: String) -> DatabaseError {
        DatabaseError(.accessDenied, "extension '\(owner)' may not write table '\(table)': an extension writes only its own \(ownTablePrefix)* tables")
    }

    func deniedSchemaChange(_ table: String) -> DatabaseError {
        DatabaseError(
            .accessDenied,
            allowsSchemaChanges
                ? "extension '\(owner)' may not create or change '\(table)': an extension's schema holds only \(ownTablePrefix)* tables"
                : "extension '\(owner)' may change its schema only in its migrations (statement on '\(table)')"
        )
    }

    func denied(_ what: String) -> DatabaseError {
        DatabaseError(.accessDenied, "extension '\(owner)' may not \(what) through the host")
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
