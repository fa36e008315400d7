import CommerceQuery
import Foundation

/// Translates one expression tree into SQL for one dialect.
///
/// Every condition it produces is two-valued: comparisons involving NULL are false (`eq`/`ne` treat
/// `null` as a value, as OData says), so `not`, `and` and `or` never meet SQL's UNKNOWN and the
/// same rows match on SQLite and PostgreSQL.
struct SQLExpressionBuilder {
    let table: SQLQueryTable
    let dialect: SQLDialect
    let now: Date
    /// Lambda variables in scope, innermost last.
    var scopes: [(variable: String, collection: SQLQueryCollection)] = []

    init(table: SQLQueryTable, dialect: SQLDialect, now: Date) {
        self.table = table
        self.dialect = dialect
        self.now = now
    }

    /// Translates an expression that must be Boolean into a condition.
    mutating func condition(_ expression: QueryExpression) throws(QueryTranslationError) -> SQLOperand {
        try asCondition(try operand(expression))
    }

    mutating func operand(_ expression: QueryExpression) throws(QueryTranslationError) -> SQLOperand {
        switch expression {
        case .literal(let literal):
            return try self.literal(literal)
        case .property(let path):
            return try property(path)
        case .lambdaVariable(let name, let path):
            return try lambdaVariable(name, path: path)
        case .unary(.not, let operand):
            let inner = try condition(operand)
            return SQLOperand(.condition, nullable: false, "(NOT ", parenthesized(inner), ")")
        case .unary(.negate, let operand):
            let inner = try self.operand(operand)
            guard let kind = inner.valueKind, kind == .integer || kind == .decimal else {
                throw QueryTranslationError("negation needs a number, not \(inner.kindName)", target: inner.target)
            }
            return SQLOperand(.value(kind), nullable: inner.nullable, "(- ", inner, ")")
        case .binary(let op, let left, let right):
            return try binary(op, left, right)
        case .inList(let value, let items):
            return try inList(value, items)
        case .function(let function, let arguments):
            return try self.function(function, arguments)
        case .lambda(let op, let collection, let variable, let predicate):
            return try lambda(op, collection: collection, variable: variable, predicate: predicate)
        }
    }

    // MARK: - Leaves

    func literal(_ literal: QueryLiteral) throws(QueryTranslationError) -> SQLOperand {
        let kind: SQLValueKind
        let value: DatabaseValue
        switch literal {
        case .null:
            return SQLOperand(sql: "NULL", arguments: [], kind: .null, nullable: true, literal: literal)
        case .boolean(let flag):
            (kind, value) = (.boolean, .bool(flag))
        case .integer(let number):
            (kind, value) = (.integer, .integer(number))
        case .decimal(let number):
            (kind, value) = (.decimal, .integer(try Self.fixedPoint(number)))
        case .string(let text):
            (kind, value) = (.string, .text(text))
        case .date(let text):
            (kind, value) = (.date, .text(text))
        case .dateTimeOffset(let milliseconds, _):
            (kind, value) = (.dateTimeOffset, .integer(milliseconds))
        case .guid(let text):
            // No GUID column type: a GUID compares with string properties in its canonical lower-case form.
            (kind, value) = (.string, .text(text))
        }
        return SQLOperand(sql: "?", arguments: [value], kind: .value(kind), nullable: false, literal: literal)
    }

    static func fixedPoint(_ number: Decimal) throws(QueryTranslationError) -> Int64 {
        do {
            return try FixedPoint.encode(number)
        } catch {
            throw QueryTranslationError("a decimal literal has more than \(FixedPoint.scale) fractional digits or is too large")
        }
    }

    func property(_ path: [String]) throws(QueryTranslationError) -> SQLOperand {
        let key = path.joined(separator: "/")
        if let column = table.properties[key] { return Self.column(column, target: key) }
        if table.collections[key] != nil {
            throw QueryTranslationError("the collection '\(key)' can only be used with any or all", target: key)
        }
        throw QueryTranslationError("unknown property '\(key)'", target: key)
    }

    static func column(_ column: SQLQueryColumn, target: String) -> SQLOperand {
        SQLOperand(
            sql: column.expression,
            arguments: [],
            kind: .value(SQLValueKind(column.type)),
            nullable: column.nullable,
            isColumn: true,
            target: target
        )
    }

    func lambdaVariable(_ name: String, path: [String]) throws(QueryTranslationError) -> SQLOperand {
        guard let index = scopes.lastIndex(where: { $0.variable == name }) else {
            throw QueryTranslationError("unknown lambda variable '\(name)'", target: name)
        }
        let collection = scopes[index].collection
        // An inner subquery over the same table reuses its alias, which would capture the outer variable's column.
        if scopes[(index + 1)...].contains(where: { $0.collection.table == collection.table }) {
            throw QueryTranslationError("a nested lambda over the same collection cannot refer to the outer variable '\(name)'", target: name)
        }
        let target = ([name] + path).joined(separator: "/")
        switch collection.element {
        case .primitive(let column):
            guard path.isEmpty else { throw QueryTranslationError("'\(name)' stands for a primitive value and has no properties", target: target) }
            return Self.column(column, target: target)
        case .complex(let properties):
            let key = path.joined(separator: "/")
            guard let column = properties[key] else {
                throw QueryTranslationError(path.isEmpty ? "'\(name)' must be followed by a property" : "unknown property '\(key)'", target: target)
            }
            return Self.column(column, target: target)
        }
    }

    // MARK: - Conditions

    /// Turns a Boolean value into a condition; a NULL Boolean counts as false.
    func asCondition(_ operand: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        switch operand.kind {
        case .condition:
            return operand
        case .value(.boolean):
            return guarded(SQLOperand(.condition, nullable: false, "(", operand, " <> 0)"), operands: [operand])
        default:
            throw QueryTranslationError("expected a Boolean expression, not \(operand.kindName)", target: operand.target)
        }
    }

    /// Every condition is a parenthesized expression or a call-like primary (`EXISTS (...)`,
    /// `COALESCE(...)`), so `NOT` can prefix it directly; only `NOT EXISTS` gets parentheses, for reading.
    func parenthesized(_ operand: SQLOperand) -> SQLOperand {
        guard operand.sql.hasPrefix("NOT ") else { return operand }
        return SQLOperand(operand.kind, nullable: operand.nullable, "(", operand, ")")
    }

    /// Turns a condition into a Boolean value (0/1), for comparing or sorting it.
    func asValue(_ operand: SQLOperand) -> SQLOperand {
        guard operand.kind == .condition else { return operand }
        return SQLOperand(.value(.boolean), nullable: false, "(CASE WHEN ", operand, " THEN 1 ELSE 0 END)")
    }

    /// Makes `condition`, built from `operands`, false rather than NULL when an operand is NULL.
    ///
    /// Plain columns get `col IS NOT NULL AND ...`, which keeps the condition indexable; anything
    /// else is wrapped in `COALESCE(..., FALSE)` so it is not evaluated twice.
    func guarded(_ condition: SQLOperand, operands: [SQLOperand]) -> SQLOperand {
        let nullable = operands.filter(\.nullable)
        guard !nullable.isEmpty else { return condition }
        if nullable.allSatisfy(\.isColumn) {
            let guards = nullable.map { "\($0.sql) IS NOT NULL AND " }.joined()
            return SQLOperand(.condition, nullable: false, "(", guards, condition, ")")
        }
        return SQLOperand(.condition, nullable: false, "COALESCE(", condition, ", FALSE)")
    }

    // MARK: - Binary operators

    mutating func binary(
        _ op: BinaryOperator,
        _ leftExpression: QueryExpression,
        _ rightExpression: QueryExpression
    ) throws(QueryTranslationError) -> SQLOperand {
        switch op {
        case .and, .or:
            let left = try condition(leftExpression)
            let right = try condition(rightExpression)
            return SQLOperand(.condition, nullable: false, "(", left, op == .and ? " AND " : " OR ", right, ")")
        case .eq, .ne:
            return try equality(op == .eq, try operand(leftExpression), try operand(rightExpression))
        case .gt, .ge, .lt, .le:
            return try ordering(op, try operand(leftExpression), try operand(rightExpression))
        case .add, .sub, .mul, .div, .divby, .mod:
            return try arithmetic(op, try operand(leftExpression), try operand(rightExpression))
        case .has:
            throw QueryTranslationError("'has' needs an enumeration-flags property and this entity set has none")
        }
    }

    func equality(_ equal: Bool, _ left: SQLOperand, _ right: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        if left.kind == .null || right.kind == .null {
            let other = left.kind == .null ? right : left
            if other.kind == .null { return .constant(equal) }
            return SQLOperand(.condition, nullable: false, "(", asValue(other), equal ? " IS NULL)" : " IS NOT NULL)")
        }
        let (l, r) = try unified(asValue(left), asValue(right), operation: equal ? "eq" : "ne")
        if !l.nullable && !r.nullable {
            return SQLOperand(.condition, nullable: false, "(", l, equal ? " = " : " <> ", r, ")")
        }
        // A nullable column against a never-null value keeps the indexable `=` form.
        if let column = [l, r].first(where: { $0.nullable }), column.isColumn, !(l.nullable && r.nullable) {
            return equal
                ? SQLOperand(.condition, nullable: false, "(", column.sql, " IS NOT NULL AND ", l, " = ", r, ")")
                : SQLOperand(.condition, nullable: false, "(", column.sql, " IS NULL OR ", l, " <> ", r, ")")
        }
        let op =
            switch dialect {
            case .sqlite: equal ? " IS " : " IS NOT "
            case .postgres: equal ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM "
            }
        return SQLOperand(.condition, nullable: false, "(", l, op, r, ")")
    }

    func ordering(_ op: BinaryOperator, _ left: SQLOperand, _ right: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        if left.kind == .null || right.kind == .null { return .constant(false) }
        let (l, r) = try unified(asValue(left), asValue(right), operation: op.rawValue)
        let symbol =
            switch op {
            case .gt: " > "
            case .ge: " >= "
            case .lt: " < "
            default: " <= "
            }
        let comparison = SQLOperand(.condition, nullable: false, "(", collated(l), symbol, r, ")")
        return guarded(comparison, operands: [l, r])
    }

    /// PostgreSQL compares text by the database collation; "C" makes it byte order, as on SQLite.
    func collated(_ operand: SQLOperand) -> SQLOperand {
        guard dialect == .postgres, operand.valueKind?.isText == true else { return operand }
        var result = SQLOperand(.value(operand.valueKind ?? .string), nullable: operand.nullable, operand, " COLLATE \"C\"")
        result.target = operand.target
        return result
    }

    /// Brings two values to one kind: integers meet decimals as decimals, otherwise kinds must match.
    func unified(_ left: SQLOperand, _ right: SQLOperand, operation: String) throws(QueryTranslationError) -> (SQLOperand, SQLOperand) {
        guard let leftKind = left.valueKind, let rightKind = right.valueKind else {
            throw QueryTranslationError("cannot use \(left.kindName) and \(right.kindName) with \(operation)", target: left.target ?? right.target)
        }
        if leftKind == rightKind { return (left, right) }
        switch (leftKind, rightKind) {
        case (.integer, .decimal): return (try asDecimal(left), right)
        case (.decimal, .integer): return (left, try asDecimal(right))
        default:
            throw QueryTranslationError("cannot compare \(leftKind.edmName) with \(rightKind.edmName)", target: left.target ?? right.target)
        }
    }

    // MARK: - in

    mutating func inList(_ valueExpression: QueryExpression, _ itemExpressions: [QueryExpression]) throws(QueryTranslationError) -> SQLOperand {
        let value = asValue(try operand(valueExpression))
        guard let kind = value.valueKind else {
            throw QueryTranslationError("the left side of 'in' must be a value, not \(value.kindName)", target: value.target)
        }
        var includesNull = false
        var items: [SQLOperand] = []
        for expression in itemExpressions {
            guard case .literal(let literal) = expression else {
                throw QueryTranslationError("the list after 'in' may contain only literal values", target: value.target)
            }
            var item = try self.literal(literal)
            if item.kind == .null {
                includesNull = true
                continue
            }
            if item.valueKind == .integer && kind == .decimal { item = try asDecimal(item) }
            guard item.valueKind == kind else {
                throw QueryTranslationError("cannot compare \(kind.edmName) with \(item.kindName) in 'in'", target: value.target)
            }
            items.append(item)
        }
        var membership: SQLOperand?
        if !items.isEmpty {
            var sql = "(\(value.sql) IN ("
            var arguments = value.arguments
            for (index, item) in items.enumerated() {
                if index > 0 { sql += ", " }
                item.append(to: &sql, &arguments)
            }
            sql += "))"
            membership = guarded(SQLOperand(sql: sql, arguments: arguments, kind: .condition, nullable: false), operands: [value])
        }
        guard includesNull else { return membership ?? .constant(false) }
        let isNull = SQLOperand(.condition, nullable: false, "(", value, " IS NULL)")
        guard let membership else { return isNull }
        return SQLOperand(.condition, nullable: false, "(", isNull, " OR ", membership, ")")
    }

    // MARK: - Lambdas

    mutating func lambda(
        _ op: LambdaOperator,
        collection path: QueryExpression,
        variable: String?,
        predicate: QueryExpression?
    ) throws(QueryTranslationError) -> SQLOperand {
        guard case .property(let segments) = path else {
            throw QueryTranslationError("any and all are supported only on collections of the entity itself")
        }
        let key = segments.joined(separator: "/")
        guard let collection = table.collections[key] else {
            if table.properties[key] != nil { throw QueryTranslationError("'\(key)' is not a collection", target: key) }
            throw QueryTranslationError("unknown property '\(key)'", target: key)
        }
        let from = "SELECT 1 FROM \(collection.table) WHERE \(collection.correlation)"
        guard let variable, let predicate else {
            guard op == .any else { throw QueryTranslationError("all needs a predicate", target: key) }
            return SQLOperand(.condition, nullable: false, "EXISTS (", from, ")")
        }
        scopes.append((variable, collection))
        let inner = try condition(predicate)
        scopes.removeLast()
        switch op {
        case .any: return SQLOperand(.condition, nullable: false, "EXISTS (", from, " AND ", inner, ")")
        case .all: return SQLOperand(.condition, nullable: false, "NOT EXISTS (", from, " AND NOT ", parenthesized(inner), ")")
        }
    }
}
