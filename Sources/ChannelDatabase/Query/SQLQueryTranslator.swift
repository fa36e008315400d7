public import CommerceQuery
public import Foundation

/// Translates parsed query options into parameterized SQL for one entity set.
///
/// The SQL uses `?` placeholders on both backends and never contains a value from the query:
/// literals become arguments, names are looked up in the ``SQLQueryTable``. The same query gives
/// the same rows on SQLite and PostgreSQL:
/// - Conditions are two-valued. `eq`/`ne` treat `null` as a value (`Name ne 'a'` is true for a NULL
///   name); `gt`, `ge`, `lt`, `le`, string functions and Boolean properties are false when an
///   operand is NULL; so `not`, `and`, `or` and `all` never see SQL's UNKNOWN.
/// - Decimals are fixed-point BIGINTs and all arithmetic is integer arithmetic that truncates
///   toward zero; see `SQLExpressionBuilder+Arithmetic.swift` for the exact rules.
/// - Text compares and sorts by code point (`COLLATE "C"` on PostgreSQL); `tolower`/`toupper` and
///   `$search` fold ASCII letters only.
/// Pure functions; call from any thread.
public enum SQLQueryTranslator {
    /// The condition for a WHERE clause (without the keyword), for `$filter`.
    ///
    /// `now` is the instant `now()` stands for; it is bound as an argument.
    public static func whereClause(
        _ expression: QueryExpression,
        table: SQLQueryTable,
        dialect: SQLDialect,
        now: Date = Date()
    ) throws(QueryTranslationError) -> SQLFragment {
        var builder = SQLExpressionBuilder(table: table, dialect: dialect, now: now)
        let condition = try builder.condition(expression)
        return SQLFragment(sql: condition.sql, arguments: condition.arguments)
    }

    /// The items of an ORDER BY clause (without the keyword), comma-separated, for `$orderby`;
    /// empty for no items.
    ///
    /// NULL sorts first ascending and last descending, as OData specifies, on both backends; text
    /// sorts by code point. The caller appends its key columns so paging is stable.
    public static func orderBy(
        _ items: [OrderByItem],
        table: SQLQueryTable,
        dialect: SQLDialect,
        now: Date = Date()
    ) throws(QueryTranslationError) -> SQLFragment {
        var builder = SQLExpressionBuilder(table: table, dialect: dialect, now: now)
        var fragment = SQLFragment(sql: "")
        for item in items {
            let value = builder.asValue(try builder.operand(item.expression))
            guard value.valueKind != nil else {
                throw QueryTranslationError("cannot sort by \(value.kindName)", target: value.target)
            }
            if !fragment.sql.isEmpty { fragment.sql += ", " }
            let sorted = builder.collated(value)
            fragment.sql += sorted.sql + (item.descending ? " DESC" : " ASC")
            if value.nullable { fragment.sql += item.descending ? " NULLS LAST" : " NULLS FIRST" }
            fragment.arguments += sorted.arguments
        }
        return fragment
    }

    /// The condition for `$search`: a term matches when any of the table's search properties
    /// contains it, ignoring the case of ASCII letters.
    public static func search(
        _ search: SearchExpression,
        table: SQLQueryTable,
        dialect: SQLDialect
    ) throws(QueryTranslationError) -> SQLFragment {
        var columns: [SQLQueryColumn] = []
        for path in table.searchProperties {
            guard let column = table.properties[path], column.type == .string else {
                throw QueryTranslationError("search property '\(path)' is not a string property", target: path)
            }
            columns.append(column)
        }
        guard !columns.isEmpty else { throw QueryTranslationError("this entity set does not support $search") }
        return searchCondition(search, columns: columns, dialect: dialect)
    }

    private static func searchCondition(_ search: SearchExpression, columns: [SQLQueryColumn], dialect: SQLDialect) -> SQLFragment {
        switch search {
        case .word(let term), .phrase(let term):
            // Lower-cased here, ASCII only, exactly like lower() on the column (see SQLExpressionBuilder+Functions).
            let needle = DatabaseValue.text(String(String.UnicodeScalarView(term.unicodeScalars.map(asciiLowercased))))
            let tests = columns.map { column in
                let test =
                    dialect == .postgres
                    ? "strpos(lower(\(column.expression) COLLATE \"C\"), ?) > 0"
                    : "instr(lower(\(column.expression)), ?) > 0"
                return column.nullable ? "(\(column.expression) IS NOT NULL AND \(test))" : test
            }
            return SQLFragment(sql: "(" + tests.joined(separator: " OR ") + ")", arguments: Array(repeating: needle, count: columns.count))
        case .not(let inner):
            let fragment = searchCondition(inner, columns: columns, dialect: dialect)
            return SQLFragment(sql: "(NOT \(fragment.sql))", arguments: fragment.arguments)
        case .and(let left, let right), .or(let left, let right):
            let l = searchCondition(left, columns: columns, dialect: dialect)
            let r = searchCondition(right, columns: columns, dialect: dialect)
            let op = if case .and = search { " AND " } else { " OR " }
            return SQLFragment(sql: "(\(l.sql)\(op)\(r.sql))", arguments: l.arguments + r.arguments)
        }
    }

    private static func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard ("A"..."Z").contains(scalar), let lowered = Unicode.Scalar(scalar.value + 32) else { return scalar }
        return lowered
    }
}
