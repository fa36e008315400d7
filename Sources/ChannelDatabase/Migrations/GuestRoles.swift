import Foundation

/// The PostgreSQL roles guests' statements run as: one per extension, holding exactly the
/// grants of its ``TableAccessPolicy``. SQLite needs none (its authorizer judges each statement).
public enum GuestRoles {
    /// Creates the guest's role when missing and grants it what the policy allows.
    ///
    /// Needs a database user that may create roles (a superuser or one with CREATEROLE). Tables
    /// the guest creates in its migrations are owned by its role, so they need no grant.
    public static func provision(_ policy: TableAccessPolicy, in transaction: any DatabaseTransaction) async throws {
        guard transaction.dialect == .postgres else { return }
        let role = quoted(policy.postgresRole)
        // Roles belong to the cluster, and several hosts may start at once: creating an existing
        // role is not an error here.
        try await transaction.execute(
            """
            DO $$ BEGIN
                CREATE ROLE \(role) NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$
            """,
            []
        )
        try await transaction.execute(
            """
            DO $$ BEGIN
                EXECUTE 'GRANT \(role) TO ' || quote_ident(current_user);
            EXCEPTION WHEN others THEN NULL;
            END $$
            """,
            []
        )
        // USAGE only: creating tables is for the guest's migrations (see `allowSchemaChanges`).
        try await transaction.execute("GRANT USAGE ON SCHEMA public TO \(role)", [])
        try await transaction.execute("REVOKE CREATE ON SCHEMA public FROM \(role)", [])
        let existing = try await transaction.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", []
        ).compactMap { $0.string("tablename") }
        for table in existing where policy.readableTables.contains(table) {
            try await transaction.execute("GRANT SELECT ON TABLE \(quoted(table)) TO \(role)", [])
        }
    }

    /// Lets the guest's role create tables while its migrations run, in the migrations'
    /// transaction (`allowed: false` takes it back before that transaction commits).
    public static func allowSchemaChanges(_ policy: TableAccessPolicy, _ allowed: Bool, in transaction: any DatabaseTransaction) async throws {
        guard transaction.dialect == .postgres else { return }
        let role = quoted(policy.postgresRole)
        try await transaction.execute(allowed ? "GRANT CREATE ON SCHEMA public TO \(role)" : "REVOKE CREATE ON SCHEMA public FROM \(role)", [])
    }

    /// Tables a guest's migrations created outside its namespace (PostgreSQL only: on SQLite the
    /// authorizer refuses them as they are prepared).
    public static func foreignTables(of policy: TableAccessPolicy, in transaction: any DatabaseTransaction) async throws -> [String] {
        guard transaction.dialect == .postgres else { return [] }
        return try await transaction.query(
            "SELECT tablename FROM pg_tables WHERE tableowner = ? ORDER BY tablename", [.text(policy.postgresRole)]
        ).compactMap { $0.string("tablename") }.filter { !policy.owns($0) }
    }

    /// Role and table names come from validated extension names ([a-z0-9_]); quoting is belt and braces.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
