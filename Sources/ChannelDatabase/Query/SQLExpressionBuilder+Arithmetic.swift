import CommerceQuery
import Foundation

/// Arithmetic on integers and fixed-point decimals, exact and identical on both backends.
///
/// Decimals are BIGINTs holding value × 10^6, so every operation is integer arithmetic, and both
/// backends truncate integer `/` toward zero and give `%` the sign of the dividend:
/// - `add`, `sub`, `mod`: on the scaled values (an integer operand is scaled first).
/// - `mul`: decimal × integer stays scaled; decimal × decimal is A·B / 10^6 truncated toward zero,
///   computed as `A * (B / 10^6) + (A * (B % 10^6)) / 10^6` so the intermediate stays 10^6 times
///   smaller than A·B (both parts have the sign of A·B, so truncating the sum equals truncating
///   the parts).
/// - `div` and `divby` with a decimal, and `divby` of integers: 10^6·A / B truncated toward zero,
///   computed as `(A / B) * 10^6 + ((A % B) * 10^6) / B` for the same reason.
/// - `div` and `mod` of integers: integer division, truncating toward zero.
/// A literal divisor of zero is an error; a column that is zero makes the result NULL (`NULLIF`),
/// so comparisons with it are false on both backends instead of an error on PostgreSQL only.
/// Results beyond Int64 are not defined (SQLite turns them into REAL, PostgreSQL fails the query).
extension SQLExpressionBuilder {
    static let scaleFactor = "1000000"

    func arithmetic(_ op: BinaryOperator, _ left: SQLOperand, _ right: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        guard let leftKind = left.valueKind, let rightKind = right.valueKind,
            [.integer, .decimal].contains(leftKind), [.integer, .decimal].contains(rightKind)
        else {
            throw QueryTranslationError(
                "\(op.rawValue) needs numbers, not \(left.kindName) and \(right.kindName)",
                target: left.target ?? right.target
            )
        }
        let integers = leftKind == .integer && rightKind == .integer
        let nullable = left.nullable || right.nullable
        switch op {
        case .add, .sub:
            let symbol = op == .add ? " + " : " - "
            if integers { return SQLOperand(.value(.integer), nullable: nullable, "(", left, symbol, right, ")") }
            return SQLOperand(.value(.decimal), nullable: nullable, "(", try asDecimal(left), symbol, try asDecimal(right), ")")
        case .mul:
            if leftKind == .decimal && rightKind == .decimal {
                let f = Self.scaleFactor
                return SQLOperand(
                    .value(.decimal), nullable: nullable,
                    "(", left, " * (", right, " / \(f)) + (", left, " * (", right, " % \(f))) / \(f))"
                )
            }
            return SQLOperand(.value(integers ? .integer : .decimal), nullable: nullable, "(", left, " * ", right, ")")
        case .div where integers:
            let divisor = try nonZeroDivisor(right)
            return SQLOperand(.value(.integer), nullable: nullable || divisor.nullable, "(", left, " / ", divisor, ")")
        case .mod:
            let (dividend, divisorValue) = integers ? (left, right) : (try asDecimal(left), try asDecimal(right))
            let divisor = try nonZeroDivisor(divisorValue)
            return SQLOperand(.value(integers ? .integer : .decimal), nullable: nullable || divisor.nullable, "(", dividend, " % ", divisor, ")")
        case .div, .divby:
            // Integers divide unscaled: the ratio, and so the scaled quotient, is the same.
            let (dividend, divisorValue) = integers ? (left, right) : (try asDecimal(left), try asDecimal(right))
            let divisor = try nonZeroDivisor(divisorValue)
            let f = Self.scaleFactor
            return SQLOperand(
                .value(.decimal),
                nullable: nullable || divisor.nullable,
                "((", dividend, " / ", divisor, ") * \(f) + ((", dividend, " % ", divisor, ") * \(f)) / ", divisor, ")"
            )
        default:
            throw QueryTranslationError("\(op.rawValue) is not an arithmetic operator")
        }
    }

    /// A literal divisor must not be zero; any other divisor becomes NULL when it is.
    func nonZeroDivisor(_ divisor: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        if divisor.literal != nil {
            guard divisor.arguments != [.integer(0)] else { throw QueryTranslationError("division by zero") }
            return divisor
        }
        return SQLOperand(.value(divisor.valueKind ?? .integer), nullable: true, "NULLIF(", divisor, ", 0)")
    }

    /// An integer as a fixed-point decimal; literals are re-encoded rather than multiplied in SQL.
    func asDecimal(_ operand: SQLOperand) throws(QueryTranslationError) -> SQLOperand {
        guard operand.valueKind == .integer else { return operand }
        if case .integer(let number) = operand.literal {
            var result = operand
            result.kind = .value(.decimal)
            result.arguments = [.integer(try Self.fixedPoint(Decimal(number)))]
            return result
        }
        var result = SQLOperand(.value(.decimal), nullable: operand.nullable, "(", operand, " * \(Self.scaleFactor))")
        result.target = operand.target
        return result
    }
}
