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
        if DecimalStorage.isUnderstood { return DecimalStorage.smallParts(of: self) }
        return publicSmallParts
    }

    /// ``smallParts`` through Foundation's public API: a comparison and an `NSDecimalNumber`,
    /// together about a microsecond.
    var publicSmallParts: (negative: Bool, significand: UInt64, exponent: Int)? {
        guard !isNaN else { return nil }
        let magnitude = significand
        guard magnitude <= Self.largestSmallSignificand else { return nil }
        return (sign == .minus, NSDecimalNumber(decimal: magnitude).uint64Value, exponent)
    }

    private static let largestSmallSignificand = Decimal(Int64.max)
}

/// Reads a `Decimal`'s parts straight from its storage, in a nanosecond instead of the
/// microsecond of the public API (every amount of every entity written goes through
/// ``Foundation/Decimal/smallParts``; a page of 20 products has 60).
///
/// The storage is the `NSDecimal` layout as swift-foundation packs it: byte 0 the exponent,
/// byte 1 the length in 16-bit words (high four bits) and the sign (bit 3), bytes 4 to 19 the
/// significand in little-endian 16-bit words. That layout is not public API, so it is used only
/// after ``isUnderstood`` checked it, once per process, against the public API on values that
/// exercise every part; on a Foundation that lays `Decimal` out otherwise the public path runs.
enum DecimalStorage {
    static let isUnderstood: Bool = {
        guard MemoryLayout<Decimal>.size == 20 else { return false }
        let probes: [Decimal] = [
            0, 1, -1, 7, Decimal(string: "129.99") ?? 0, Decimal(string: "-0.000001") ?? 0, Decimal(string: "123456789.123456") ?? 0,
            Decimal(sign: .plus, exponent: 3, significand: 12_345), Decimal(sign: .minus, exponent: -38, significand: 1),
            Decimal(Int64.max), Decimal(Int64.max) + 1, Decimal(UInt64.max), Decimal(UInt64.max) * 65_536 + 3, Decimal(Int64.min),
            Decimal(sign: .minus, exponent: -6, significand: Decimal(Int64.max)),
        ]
        return probes.allSatisfy { probe in
            let fast = smallParts(of: probe)
            let known = probe.publicSmallParts
            return fast?.negative == known?.negative && fast?.significand == known?.significand && fast?.exponent == known?.exponent
        }
    }()

    /// The parts as the storage holds them; nil when the significand needs more than 63 bits.
    /// The caller has ruled out NaN.
    static func smallParts(of value: Decimal) -> (negative: Bool, significand: UInt64, exponent: Int)? {
        withUnsafeBytes(of: value) { raw -> (negative: Bool, significand: UInt64, exponent: Int)? in
            let flags = raw[1]
            let words = Int(flags >> 4)
            guard words <= 4 else { return nil }
            var significand: UInt64 = 0
            for word in 0..<words {
                significand |= UInt64(raw.loadUnaligned(fromByteOffset: 4 + 2 * word, as: UInt16.self).littleEndian) << UInt64(16 * word)
            }
            guard significand <= UInt64(Int64.max) else { return nil }
            return (flags & 0x08 != 0, significand, Int(Int8(bitPattern: raw[0])))
        }
    }
}
