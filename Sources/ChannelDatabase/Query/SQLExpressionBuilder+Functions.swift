import CommerceQuery
import Foundation

/// Canonical functions. String functions count characters (code points) and compare case-sensitively
/// on both backends; `tolower`/`toupper` change ASCII letters only, because that is what SQLite's
/// built-ins do and PostgreSQL's do under the "C" collation.
extension SQLExpressionBuilder {
    mutating func function(_ function: QueryFunction, _ expressions: [QueryExpression]) throws(QueryTranslationError) -> SQLOperand {
        guard function.arity.contains(expressions.count) else {
            let arity = function.arity
            throw QueryTranslationError("\(function.rawValue) takes \(arity.lowerBound) to \(arity.upperBound) arguments", target: function.rawValue)
        }
        var arguments: [SQLOperand] = []
        for expression in expressions { arguments.append(try operand(expression)) }
        let nullable = arguments.contains(where: \.nullable)
        let postgres = dialect == .postgres
        switch function {
        case .contains, .startswith:
            let (text, part) = try strings(function, arguments[0], arguments[1])
            let position = SQLOperand(.value(.integer), nullable: nullable, postgres ? "strpos(" : "instr(", text, ", ", part, ")")
            let test = SQLOperand(.condition, nullable: false, "(", position, function == .contains ? " > 0)" : " = 1)")
            return guarded(test, operands: [text, part])
        case .endswith:
            let (text, part) = try strings(function, arguments[0], arguments[1])
            let test =
                postgres
                ? SQLOperand(.condition, nullable: false, "(right(", text, ", char_length(", part, ")) = ", part, ")")
                // SQLite's substr counts a start below 1 from the end, so it needs the length check first.
                : SQLOperand(
                    .condition, nullable: false,
                    "(length(", text, ") >= length(", part, ") AND substr(", text, ", length(", text, ") - length(", part, ") + 1) = ", part, ")"
                )
            return guarded(test, operands: [text, part])
        case .indexof:
            let (text, part) = try strings(function, arguments[0], arguments[1])
            return SQLOperand(.value(.integer), nullable: nullable, "(", postgres ? "strpos(" : "instr(", text, ", ", part, ") - 1)")
        case .substring:
            return try substring(arguments, nullable: nullable)
        case .tolower, .toupper:
            let text = try string(function, arguments[0])
            let name = function == .tolower ? "lower(" : "upper("
            return SQLOperand(.value(.string), nullable: nullable, name, text, postgres ? " COLLATE \"C\")" : ")")
        case .trim:
            return SQLOperand(.value(.string), nullable: nullable, "trim(", try string(function, arguments[0]), ")")
        case .length:
            return SQLOperand(.value(.integer), nullable: nullable, postgres ? "char_length(" : "length(", try string(function, arguments[0]), ")")
        case .concat:
            let (first, second) = try strings(function, arguments[0], arguments[1])
            return SQLOperand(.value(.string), nullable: nullable, "(", first, " || ", second, ")")
        case .year, .month, .day, .hour, .minute, .second:
            return try datePart(function, arguments[0])
        case .date:
            let value = arguments[0]
            if value.valueKind == .date { return value }
            guard value.valueKind == .dateTimeOffset else { throw typeError(function, value, expected: "Edm.DateTimeOffset") }
            let seconds = epochSeconds(value)
            return postgres
                ? SQLOperand(.value(.date), nullable: nullable, "to_char(to_timestamp(", seconds, ") AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
                : SQLOperand(.value(.date), nullable: nullable, "strftime('%Y-%m-%d', ", seconds, ", 'unixepoch')")
        case .now:
            // Bound from the server clock so both backends see the same instant.
            let milliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
            return SQLOperand(sql: "?", arguments: [.integer(milliseconds)], kind: .value(.dateTimeOffset), nullable: false)
        case .round, .floor, .ceiling:
            return try rounding(function, arguments[0])
        }
    }

    // MARK: - Pieces

    func string(_ function: QueryFunction, _ operand: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        guard operand.valueKind == .string else { throw typeError(function, operand, expected: "Edm.String") }
        return operand
    }

    func strings(_ function: QueryFunction, _ first: SQLOperand, _ second: SQLOperand) throws(QueryTranslationError) -> (SQLOperand, SQLOperand) {
        (try string(function, first), try string(function, second))
    }

    func typeError(_ function: QueryFunction, _ operand: SQLOperand, expected: String) -> QueryTranslationError {
        QueryTranslationError("\(function.rawValue) expects \(expected), not \(operand.kindName)", target: operand.target ?? function.rawValue)
    }

    /// `substring(text, start[, length])` with 0-based `start`; negative starts and lengths count
    /// as 0 on both backends (SQLite would count from the end, PostgreSQL would fail).
    func substring(_ arguments: [SQLOperand], nullable: Bool) throws(QueryTranslationError) -> SQLOperand {
        let text = try string(.substring, arguments[0])
        var pieces: [any SQLPiece] = ["substr(", text, ", ", try position(arguments[1], offset: 1)]
        if arguments.count == 3 {
            pieces += [", ", try position(arguments[2], offset: 0)]
        }
        pieces.append(")")
        var sql = ""
        var values: [DatabaseValue] = []
        for piece in pieces { piece.append(to: &sql, &values) }
        return SQLOperand(sql: sql, arguments: values, kind: .value(.string), nullable: nullable)
    }

    /// `max(value, 0) + offset`, as the INTEGER PostgreSQL's `substr` wants.
    func position(_ operand: SQLOperand, offset: Int64) throws(QueryTranslationError) -> SQLOperand {
        guard operand.valueKind == .integer else { throw typeError(.substring, operand, expected: "Edm.Int32") }
        let clamped: SQLOperand
        if case .integer(let number) = operand.literal {
            let value = min(max(number, 0), Int64(Int32.max) - offset) + offset
            clamped = SQLOperand(sql: "?", arguments: [.integer(value)], kind: .value(.integer), nullable: false)
        } else {
            let offsetText = offset == 0 ? "" : " + \(offset)"
            clamped = SQLOperand(
                .value(.integer), nullable: operand.nullable,
                "(CASE WHEN ", operand, " < 0 THEN 0 ELSE ", operand, " END", offsetText, ")"
            )
        }
        // Arguments are bound as BIGINT, and PostgreSQL has no substr(text, bigint).
        guard dialect == .postgres else { return clamped }
        return SQLOperand(.value(.integer), nullable: operand.nullable, "CAST(", clamped, " AS INTEGER)")
    }

    /// Whole seconds since the epoch, rounded toward negative infinity, from epoch milliseconds.
    func epochSeconds(_ milliseconds: SQLOperand) -> SQLOperand {
        SQLOperand(.value(.integer), nullable: milliseconds.nullable, "((", milliseconds, " - (((", milliseconds, " % 1000) + 1000) % 1000)) / 1000)")
    }

    func datePart(_ function: QueryFunction, _ value: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        let integerType = dialect == .postgres ? "BIGINT" : "INTEGER"
        if value.valueKind == .date {
            let (start, length) =
                switch function {
                case .year: ("1", "4")
                case .month: ("6", "2")
                case .day: ("9", "2")
                default: throw typeError(function, value, expected: "Edm.DateTimeOffset")
                }
            return SQLOperand(.value(.integer), nullable: value.nullable, "CAST(substr(", value, ", \(start), \(length)) AS \(integerType))")
        }
        guard value.valueKind == .dateTimeOffset else { throw typeError(function, value, expected: "Edm.DateTimeOffset or Edm.Date") }
        let seconds = epochSeconds(value)
        switch dialect {
        case .sqlite:
            let format =
                switch function {
                case .year: "%Y"
                case .month: "%m"
                case .day: "%d"
                case .hour: "%H"
                case .minute: "%M"
                default: "%S"
                }
            return SQLOperand(.value(.integer), nullable: value.nullable, "CAST(strftime('\(format)', ", seconds, ", 'unixepoch') AS INTEGER)")
        case .postgres:
            let field = function.rawValue.uppercased()
            return SQLOperand(
                .value(.integer), nullable: value.nullable,
                "CAST(EXTRACT(\(field) FROM to_timestamp(", seconds, ") AT TIME ZONE 'UTC') AS BIGINT)"
            )
        }
    }

    /// Rounding of fixed-point decimals to whole numbers; integers are already whole.
    /// `round` goes half away from zero, as OData specifies.
    func rounding(_ function: QueryFunction, _ value: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        guard let kind = value.valueKind, kind == .integer || kind == .decimal else {
            throw typeError(function, value, expected: "Edm.Decimal")
        }
        guard kind == .decimal else { return value }
        let f = Self.scaleFactor
        switch function {
        case .floor:
            return SQLOperand(.value(.decimal), nullable: value.nullable, "(", value, " - (((", value, " % \(f)) + \(f)) % \(f)))")
        case .ceiling:
            return SQLOperand(.value(.decimal), nullable: value.nullable, "(", value, " + ((\(f) - (", value, " % \(f))) % \(f)))")
        default:
            return SQLOperand(
                .value(.decimal), nullable: value.nullable,
                "(((", value, " + (CASE WHEN ", value, " < 0 THEN -500000 ELSE 500000 END)) / \(f)) * \(f))"
            )
        }
    }
}
