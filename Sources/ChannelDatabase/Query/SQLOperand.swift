import CommerceQuery

/// The value kinds the translator reasons about; several column types share one kind.
enum SQLValueKind: Equatable {
    case string
    case integer
    /// Fixed point, scale ``FixedPoint/scale``.
    case decimal
    /// INTEGER 0/1, possibly NULL: a Boolean *value* (a column), as opposed to a condition.
    case boolean
    case dateTimeOffset
    case date

    init(_ type: SQLQueryType) {
        switch type {
        case .string: self = .string
        case .int64, .int32: self = .integer
        case .boolean: self = .boolean
        case .decimal: self = .decimal
        case .dateTimeOffset: self = .dateTimeOffset
        case .date: self = .date
        }
    }

    var edmName: String {
        switch self {
        case .string: "Edm.String"
        case .integer: "Edm.Int64"
        case .decimal: "Edm.Decimal"
        case .boolean: "Edm.Boolean"
        case .dateTimeOffset: "Edm.DateTimeOffset"
        case .date: "Edm.Date"
        }
    }

    /// Kinds stored as text, compared byte-wise.
    var isText: Bool { self == .string || self == .date }
}

/// A translated sub-expression.
struct SQLOperand {
    enum Kind: Equatable {
        /// An SQL condition that is never NULL (true or false, nothing else), so NOT, AND and OR
        /// over conditions are two-valued.
        case condition
        case value(SQLValueKind)
        /// The `null` literal; only meaningful in `eq`, `ne` and `in`.
        case null
    }

    var sql: String
    var arguments: [DatabaseValue]
    var kind: Kind
    /// Whether the SQL may yield NULL.
    var nullable: Bool
    /// A bare column reference: no arguments, cheap to repeat in an `IS NOT NULL` guard.
    var isColumn = false
    /// The literal this operand binds, for constant checks (division by zero) and re-encoding.
    var literal: QueryLiteral?
    /// The property path, for error targets.
    var target: String?

    var valueKind: SQLValueKind? {
        if case .value(let kind) = kind { return kind }
        return nil
    }

    var kindName: String {
        switch kind {
        case .condition: "Edm.Boolean"
        case .value(let kind): kind.edmName
        case .null: "null"
        }
    }
}

/// Something that can be spliced into SQL text: raw SQL or an operand with its arguments.
protocol SQLPiece {
    func append(to sql: inout String, _ arguments: inout [DatabaseValue])
}

extension String: SQLPiece {
    func append(to sql: inout String, _ arguments: inout [DatabaseValue]) { sql += self }
}

extension SQLOperand: SQLPiece {
    func append(to sql: inout String, _ arguments: inout [DatabaseValue]) {
        sql += self.sql
        arguments += self.arguments
    }
}

extension SQLOperand {
    /// Concatenates pieces, keeping arguments in placeholder order even when an operand is repeated.
    init(_ kind: Kind, nullable: Bool, _ pieces: any SQLPiece...) {
        var sql = ""
        var arguments: [DatabaseValue] = []
        for piece in pieces { piece.append(to: &sql, &arguments) }
        self.init(sql: sql, arguments: arguments, kind: kind, nullable: nullable)
    }

    /// A condition that is constant: `(1 = 1)` or `(1 = 0)`.
    static func constant(_ value: Bool) -> SQLOperand {
        SQLOperand(sql: value ? "(1 = 1)" : "(1 = 0)", arguments: [], kind: .condition, nullable: false)
    }
}
