/// The `ExtensionProperties` of built-in entities, as JSON text per entity part.
///
/// One table serves every entity type so that the core tables stay as they are and an entity
/// without properties (the common case) costs one empty index lookup. An owner is one entity
/// (`cart`, `sales_order`, ...); its `part` is `""` for the entity itself and a line id for
/// its lines, so one query reads a whole cart or order.
public struct ExtensionPropertyStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// The stored JSON per part of one owner; empty when it has none.
    public func properties(ownerType: String, ownerId: String) async throws -> [String: String] {
        let rows = try await transaction.query(
            "SELECT part, properties FROM extension_properties WHERE owner_type = ? AND owner_id = ?", [.text(ownerType), .text(ownerId)]
        )
        var result: [String: String] = [:]
        for row in rows {
            if let part = row.string("part"), let json = row.string("properties") { result[part] = json }
        }
        return result
    }

    /// The stored JSON per part of several owners of one type in one statement (a listed page);
    /// owners without properties are absent.
    public func properties(ownerType: String, ownerIds: [String]) async throws -> [String: [String: String]] {
        guard !ownerIds.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: ownerIds.count).joined(separator: ", ")
        let rows = try await transaction.query(
            "SELECT owner_id, part, properties FROM extension_properties WHERE owner_type = ? AND owner_id IN (\(placeholders))",
            [.text(ownerType)] + ownerIds.map { .text($0) }
        )
        var result: [String: [String: String]] = [:]
        for row in rows {
            if let owner = row.string("owner_id"), let part = row.string("part"), let json = row.string("properties") { result[owner, default: [:]][part] = json }
        }
        return result
    }

    /// Stores `json` for one part, or removes the part when `json` is nil.
    public func set(ownerType: String, ownerId: String, part: String, json: String?) async throws {
        guard let json else {
            try await transaction.execute(
                "DELETE FROM extension_properties WHERE owner_type = ? AND owner_id = ? AND part = ?", [.text(ownerType), .text(ownerId), .text(part)]
            )
            return
        }
        try await transaction.execute(
            """
            INSERT INTO extension_properties (owner_type, owner_id, part, properties) VALUES (?, ?, ?, ?)
            ON CONFLICT (owner_type, owner_id, part) DO UPDATE SET properties = excluded.properties
            """,
            [.text(ownerType), .text(ownerId), .text(part), .text(json)]
        )
    }

    /// The statement that forgets every part of an owner (a checked-out, deleted or purged cart).
    public static func deleteStatement(ownerType: String, ownerId: String) -> SQLFragment {
        SQLFragment(sql: "DELETE FROM extension_properties WHERE owner_type = ? AND owner_id = ?", arguments: [.text(ownerType), .text(ownerId)])
    }
}
