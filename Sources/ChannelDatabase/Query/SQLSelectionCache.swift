import CommerceQuery

/// Translations of query criteria into the WHERE and ORDER BY parts of one entity set's
/// statements, kept between requests.
///
/// A list request translated its `$filter` and `$orderby` anew each time (~3.5% of its CPU)
/// although storefronts repeat the same criteria. A translation depends on the criteria (literals
/// included: they become the arguments), the table (one cache per table), the dialect, the key
/// columns and the base condition: all of them are the key, so a hit returns exactly what
/// ``CatalogStore/selection(_:table:key:base:dialect:)`` would. Criteria that call `now()` bind
/// the clock and are never kept, nor are failed translations. Past ``entryLimit`` entries the
/// cache starts over.
///
/// Call from any thread.
final class SQLSelectionCache: Sendable {
    typealias Selection = (whereSQL: String, orderSQL: String, arguments: [DatabaseValue], orderArguments: [DatabaseValue])

    private struct Key: Hashable {
        var criteria: QueryCriteria
        var dialect: SQLDialect
        var key: String?
        var base: String?
    }

    static let entryLimit = 512

    let table: SQLQueryTable
    private let entries = BoundedCache<Key, Selection>(limit: entryLimit)

    init(table: SQLQueryTable) {
        self.table = table
    }

    /// The selection for `criteria`, translated or cached.
    func selection(
        _ criteria: QueryCriteria, key: String?, base: String? = nil, dialect: SQLDialect
    ) throws(QueryTranslationError) -> Selection {
        let cacheKey = Key(criteria: criteria, dialect: dialect, key: key, base: base)
        if let hit = entries[cacheKey] { return hit }
        let selection = try CatalogStore.selection(criteria, table: table, key: key, base: base, dialect: dialect)
        guard !Self.readsClock(criteria) else { return selection }
        entries.store(selection, for: cacheKey)
        return selection
    }

    var count: Int { entries.count }

    /// Whether translating `criteria` binds the current instant (`now()`).
    static func readsClock(_ criteria: QueryCriteria) -> Bool {
        criteria.filter.map(readsClock) ?? false || criteria.orderBy.contains { readsClock($0.expression) }
    }

    private static func readsClock(_ expression: QueryExpression) -> Bool {
        switch expression {
        case .literal, .property, .lambdaVariable:
            return false
        case .unary(_, let operand):
            return readsClock(operand)
        case .binary(_, let left, let right):
            return readsClock(left) || readsClock(right)
        case .inList(let value, let items):
            return readsClock(value) || items.contains(where: readsClock)
        case .function(let function, let arguments):
            return function == .now || arguments.contains(where: readsClock)
        case .lambda(_, let collection, _, let predicate):
            return readsClock(collection) || predicate.map(readsClock) ?? false
        }
    }
}
