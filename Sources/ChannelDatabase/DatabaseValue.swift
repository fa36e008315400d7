public import Foundation

/// A value bound to, or read from, a channel-database statement.
///
/// The two backends store the same four kinds, so one statement text and one set of arguments
/// behave the same on SQLite and PostgreSQL. Decimal amounts (money, quantities, rates) are kept as
/// fixed-point integers, see ``FixedPoint``: exact on both backends, and comparable and summable in SQL.
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

extension DatabaseValue {
    /// A decimal stored as a fixed-point integer with ``FixedPoint/scale`` fractional digits.
    public static func decimal(_ value: Decimal) throws -> DatabaseValue {
        .integer(try FixedPoint.encode(value))
    }

    public static func optionalDecimal(_ value: Decimal?) throws -> DatabaseValue {
        guard let value else { return .null }
        return .integer(try FixedPoint.encode(value))
    }

    public static func optional(_ value: String?) -> DatabaseValue {
        value.map(DatabaseValue.text) ?? .null
    }

    public static func optional(_ value: Int64?) -> DatabaseValue {
        value.map(DatabaseValue.integer) ?? .null
    }

    public static func bool(_ value: Bool) -> DatabaseValue {
        .integer(value ? 1 : 0)
    }
}

extension DatabaseValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Decimal <-> fixed-point integer with six fractional digits (the precision of Dynamics' amounts).
///
/// Six digits hold unit prices such as 0.012345 per gram; an Int64 then still holds
/// amounts up to 9.2 trillion, more than any order total.
public enum FixedPoint {
    public static let scale = 6
    static let factor = Decimal(sign: .plus, exponent: scale, significand: 1)

    /// Works on the decimal's significand and exponent as integers: every stored amount is
    /// encoded (a cart change writes each line's five amounts), and the `Decimal` arithmetic
    /// below costs microseconds, this well under one. Values outside the fast path (a
    /// significand of 2^63 or more) take the exact general path.
    public static func encode(_ value: Decimal) throws -> Int64 {
        if let parts = value.smallParts {
            let significand = parts.significand
            let shift = parts.exponent + scale
            var micros: UInt64
            if significand == 0 {
                micros = 0
            } else if shift >= 0 {
                guard shift <= 19 else { throw DatabaseError.valueOutOfRange("a decimal is too large to store") }
                let (product, overflow) = significand.multipliedReportingOverflow(by: powersOfTen[shift])
                guard !overflow else { throw DatabaseError.valueOutOfRange("a decimal is too large to store") }
                micros = product
            } else {
                // Trailing zeros past the sixth fractional digit are fine, other digits are not.
                guard -shift <= 19, significand % powersOfTen[-shift] == 0 else {
                    throw DatabaseError.valueOutOfRange("a decimal has more than \(scale) fractional digits")
                }
                micros = significand / powersOfTen[-shift]
            }
            if parts.negative {
                guard micros <= UInt64(Int64.max) + 1 else { throw DatabaseError.valueOutOfRange("a decimal is too large to store") }
                return micros == UInt64(Int64.max) + 1 ? Int64.min : -Int64(micros)
            }
            guard micros <= UInt64(Int64.max) else { throw DatabaseError.valueOutOfRange("a decimal is too large to store") }
            return Int64(micros)
        }
        var scaled = value * factor
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled else { throw DatabaseError.valueOutOfRange("a decimal has more than \(scale) fractional digits") }
        let number = NSDecimalNumber(decimal: rounded)
        guard rounded <= Decimal(Int64.max), rounded >= Decimal(Int64.min) else {
            throw DatabaseError.valueOutOfRange("a decimal is too large to store")
        }
        return number.int64Value
    }

    /// Builds the decimal from sign, exponent and significand instead of dividing by 10^6: every
    /// row decodes its amounts, and `Decimal` division costs microseconds, this a few nanoseconds.
    private static let powersOfTen: [UInt64] = (0...19).map { power in (0..<power).reduce(UInt64(1)) { value, _ in value * 10 } }

    public static func decode(_ stored: Int64) -> Decimal {
        Decimal(sign: stored < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(stored.magnitude))
    }
}

extension Decimal {
    /// The decimal as a sign, a significand of at most 63 bits and a power-of-ten exponent, read
    /// without `Decimal` arithmetic (which allocates); nil for NaN or a larger significand. Every
    /// amount the channel database stores has such parts, so the hot paths that encode, compute
    /// and write amounts start here and keep `Decimal` for the rare rest.
    public var smallParts: (negative: Bool, significand: UInt64, exponent: Int)? {
        guard !isNaN else { return nil }
        let magnitude = significand
        guard magnitude <= Self.largestSmallSignificand else { return nil }
        return (sign == .minus, NSDecimalNumber(decimal: magnitude).uint64Value, exponent)
    }

    private static let largestSmallSignificand = Decimal(Int64.max)
}
