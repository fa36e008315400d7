import ChannelDatabase
import Foundation

/// A decimal number held as an `Int128` significand and a count of fractional digits, for the
/// arithmetic of the pricing engines.
///
/// Why not `Decimal`: Foundation's `Decimal` computes on arrays of 16-bit words and allocates in
/// most operations (a division costs several microseconds), and the discount engine does
/// thousands of operations per cart. Here an addition or a multiplication is one or two integer
/// instructions. Amounts enter and leave the engines as `Decimal`; only the inside uses this.
///
/// Exactness: addition, subtraction and multiplication are exact as long as the result has at
/// most ``maximumScale`` fractional digits; beyond that a product is rounded half away from zero
/// to ``maximumScale`` digits. A division is truncated toward zero at ``maximumScale`` digits.
/// Amounts of the channel database have six fractional digits and at most 19 significant ones,
/// so 18 fractional digits leave twelve below the smallest stored unit, far below any currency's
/// rounding; `Decimal` (38 significant digits) rounds its own non-terminating divisions too.
struct SmallDecimal: Comparable, Sendable, CustomStringConvertible {
    static let maximumScale = 18

    /// The value is `significand × 10^-scale`.
    private(set) var significand: Int128
    private(set) var scale: Int

    static let zero = SmallDecimal(significand: 0, scale: 0)

    init(significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
    }

    init(_ integer: Int) {
        self.init(significand: Int128(integer), scale: 0)
    }

    /// Exact for every `Decimal` whose significand fits in 63 bits and whose exponent lies between
    /// -18 and +18 (all amounts of the channel database); others go through their text.
    init(_ value: Decimal) {
        if let parts = value.smallParts, parts.exponent >= -Self.maximumScale, parts.exponent <= Self.maximumScale {
            let exponent = parts.exponent
            let significand = parts.negative ? -Int128(parts.significand) : Int128(parts.significand)
            if exponent >= 0 {
                self.init(significand: significand * Self.powerOfTen(exponent), scale: 0)
            } else {
                self.init(significand: significand, scale: -exponent)
            }
        } else {
            self.init(parsing: value.description)
        }
    }

    /// Parses `-123.456` or `1.5e-7` (what `Decimal.description` writes), rounding past
    /// ``maximumScale`` fractional digits.
    private init(parsing text: String) {
        var mantissa = Substring(text)
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(mantissa[mantissa.index(after: e)...]) ?? 0
            mantissa = mantissa[..<e]
        }
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa = mantissa.dropFirst() }
        var digits: [Int128] = []
        var fraction = 0
        var seenPoint = false
        for character in mantissa {
            if character == "." {
                seenPoint = true
            } else if let digit = character.wholeNumberValue {
                digits.append(Int128(digit))
                if seenPoint { fraction += 1 }
            }
        }
        var scale = fraction - exponent
        // Drop digits below the maximum scale, rounding half away from zero on the last kept one.
        var roundUp = false
        while scale > Self.maximumScale, let last = digits.popLast() {
            roundUp = last >= 5
            scale -= 1
        }
        var significand: Int128 = 0
        for digit in digits { significand = significand * 10 + digit }
        if roundUp { significand += 1 }
        if scale < 0 {
            significand *= Self.powerOfTen(-scale)
            scale = 0
        }
        self.init(significand: negative ? -significand : significand, scale: scale)
    }

    var decimal: Decimal {
        let magnitude = significand.magnitude
        if magnitude <= UInt128(UInt64.max) {
            return Decimal(sign: significand < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(UInt64(magnitude)))
        }
        return Decimal(string: description) ?? 0
    }

    var description: String {
        let magnitude = String(significand.magnitude)
        let sign = significand < 0 ? "-" : ""
        guard scale > 0 else { return sign + magnitude }
        let padded = String(repeating: "0", count: max(0, scale + 1 - magnitude.count)) + magnitude
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<point] + "." + padded[point...]
    }

    var isZero: Bool { significand == 0 }
    var isPositive: Bool { significand > 0 }
    var isNegative: Bool { significand < 0 }

    private static let powers: [Int128] = {
        var powers: [Int128] = [1]
        for _ in 1...38 { powers.append((powers.last ?? 1) * 10) }
        return powers
    }()

    static func powerOfTen(_ exponent: Int) -> Int128 { powers[exponent] }

    /// The two significands at one scale. A value that cannot be widened without overflow (far
    /// beyond any amount) makes the other one lose digits instead.
    private static func aligned(_ a: SmallDecimal, _ b: SmallDecimal) -> (Int128, Int128, Int) {
        if a.scale == b.scale { return (a.significand, b.significand, a.scale) }
        if a.scale < b.scale {
            let (widened, overflow) = a.significand.multipliedReportingOverflow(by: powerOfTen(b.scale - a.scale))
            if !overflow { return (widened, b.significand, b.scale) }
            return (a.significand, b.rounded(toDecimals: a.scale).significand, a.scale)
        }
        let (b2, a2, scale) = aligned(b, a)
        return (a2, b2, scale)
    }

    static func + (a: SmallDecimal, b: SmallDecimal) -> SmallDecimal {
        let (x, y, scale) = aligned(a, b)
        return SmallDecimal(significand: x + y, scale: scale)
    }

    static func - (a: SmallDecimal, b: SmallDecimal) -> SmallDecimal {
        let (x, y, scale) = aligned(a, b)
        return SmallDecimal(significand: x - y, scale: scale)
    }

    static func += (a: inout SmallDecimal, b: SmallDecimal) { a = a + b }
    static func -= (a: inout SmallDecimal, b: SmallDecimal) { a = a - b }

    static func * (a: SmallDecimal, b: SmallDecimal) -> SmallDecimal {
        var a = a
        var b = b
        while true {
            let (product, overflow) = a.significand.multipliedReportingOverflow(by: b.significand)
            if !overflow {
                let result = SmallDecimal(significand: product, scale: a.scale + b.scale)
                return result.scale > maximumScale ? result.rounded(toDecimals: maximumScale) : result
            }
            // Too many digits for 128 bits: give up fractional digits of the finer operand.
            precondition(a.scale > 0 || b.scale > 0, "SmallDecimal overflow: \(a) × \(b)")
            if a.scale >= b.scale { a = a.rounded(toDecimals: a.scale - 1) } else { b = b.rounded(toDecimals: b.scale - 1) }
        }
    }

    /// The quotient truncated toward zero at ``maximumScale`` fractional digits (fewer when the
    /// dividend is too large to be widened that far). Division by zero gives zero, as the callers
    /// guard against it and a discount must never trap a request.
    static func / (a: SmallDecimal, b: SmallDecimal) -> SmallDecimal {
        guard b.significand != 0 else { return .zero }
        // a/b = (a.sig × 10^k / b.sig) × 10^-(a.scale + k - b.scale); choose k for the target scale.
        var target = maximumScale
        while true {
            let k = target + b.scale - a.scale
            if k < 0 {
                // The dividend is finer than the target: drop its extra digits first.
                return a.rounded(toDecimals: a.scale + k) / b
            }
            let (numerator, overflow) = a.significand.multipliedReportingOverflow(by: powerOfTen(k))
            if !overflow { return SmallDecimal(significand: numerator / b.significand, scale: target) }
            target -= 1
            precondition(target >= 0, "SmallDecimal overflow: \(a) / \(b)")
        }
    }

    /// Multiplies by `10^-places` without any arithmetic, e.g. a percentage into a fraction.
    func shifted(by places: Int) -> SmallDecimal {
        let result = SmallDecimal(significand: significand, scale: scale + places)
        return result.scale > Self.maximumScale ? result.rounded(toDecimals: Self.maximumScale) : result
    }

    enum Rounding {
        /// Half away from zero, the commercial rule (`NSDecimalNumber.RoundingMode.plain`).
        case plain
        /// Toward negative infinity (`.down`).
        case down
    }

    func rounded(toDecimals decimals: Int, _ mode: Rounding = .plain) -> SmallDecimal {
        guard scale > decimals else { return self }
        let divisor = Self.powerOfTen(scale - decimals)
        var (quotient, remainder) = significand.quotientAndRemainder(dividingBy: divisor)
        switch mode {
        case .plain:
            if remainder.magnitude * 2 >= divisor.magnitude { quotient += significand < 0 ? -1 : 1 }
        case .down:
            if remainder < 0 { quotient -= 1 }
        }
        return SmallDecimal(significand: quotient, scale: decimals)
    }

    static func == (a: SmallDecimal, b: SmallDecimal) -> Bool {
        let (x, y, _) = aligned(a, b)
        return x == y
    }

    static func < (a: SmallDecimal, b: SmallDecimal) -> Bool {
        let (x, y, _) = aligned(a, b)
        return x < y
    }
}

extension SmallDecimal: ExpressibleByIntegerLiteral {
    init(integerLiteral value: Int) {
        self.init(value)
    }
}

extension Sequence {
    func sum(_ value: (Element) -> SmallDecimal) -> SmallDecimal {
        reduce(SmallDecimal.zero) { $0 + value($1) }
    }
}
