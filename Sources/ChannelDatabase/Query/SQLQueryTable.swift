/// How one entity set maps onto SQL, for translating query options.
///
/// Built by the code that owns the schema; names from a query are only ever looked up here, so
/// every identifier that reaches SQL text comes from this map, never from the request.
public struct SQLQueryTable: Sendable {
    /// The alias the main query gives the entity's table, e.g. `p` in `FROM products p`.
    public var alias: String
    /// Filterable and sortable properties by path: `"Name"`, or `"Address/City"` for a property of a
    /// complex property.
    public var properties: [String: SQLQueryColumn]
    /// Collection-valued properties usable with `any` and `all`, by path.
    public var collections: [String: SQLQueryCollection]
    /// Paths of the string properties `$search` looks into; empty when the set is not searchable.
    public var searchProperties: [String]

    public init(
        alias: String,
        properties: [String: SQLQueryColumn],
        collections: [String: SQLQueryCollection] = [:],
        searchProperties: [String] = []
    ) {
        self.alias = alias
        self.properties = properties
        self.collections = collections
        self.searchProperties = searchProperties
    }
}

/// A property stored in (or computed by) one SQL expression.
public struct SQLQueryColumn: Sendable, Hashable {
    /// SQL text yielding the stored value, e.g. `p.name`.
    public var expression: String
    public var type: SQLQueryType
    public var nullable: Bool

    public init(_ expression: String, _ type: SQLQueryType, nullable: Bool = false) {
        self.expression = expression
        self.type = type
        self.nullable = nullable
    }
}

/// The stored form of a property, which decides how literals are bound and operators translated.
public enum SQLQueryType: String, Sendable, Hashable {
    case string
    case int64
    case int32
    /// INTEGER 0 or 1 on both backends.
    case boolean
    /// Fixed point with ``FixedPoint/scale`` fractional digits, in a BIGINT.
    case decimal
    /// UTC epoch milliseconds, in a BIGINT.
    case dateTimeOffset
    /// Text `YYYY-MM-DD`.
    case date
}

/// A collection-valued property, reached through a correlated subquery.
public struct SQLQueryCollection: Sendable, Hashable {
    /// What a lambda variable over the collection stands for.
    public enum Element: Sendable, Hashable {
        /// Collection of primitives: the variable itself is this column (`CategoryIds/any(c: c eq 5)`).
        case primitive(SQLQueryColumn)
        /// Collection of complex values: the variable's properties by path (`Lines/any(l: l/Quantity gt 1)`).
        case complex([String: SQLQueryColumn])
    }

    /// The FROM item of the subquery, with its own alias, e.g. `product_categories pc`.
    public var table: String
    /// Condition tying subquery rows to the outer row, e.g. `pc.product_id = p.record_id`.
    public var correlation: String
    public var element: Element

    public init(table: String, correlation: String, element: Element) {
        self.table = table
        self.correlation = correlation
        self.element = element
    }
}
