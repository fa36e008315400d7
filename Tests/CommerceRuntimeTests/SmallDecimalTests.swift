@testable import CommerceRuntime
import Foundation
import PropertyBased
import Testing

/// The engines' fast decimal must give what `Decimal` gives for amounts of the channel database
/// (six fractional digits): exactly for sums and products, and after rounding to a currency for
/// quotients (truncated at 18 digits, where `Decimal` keeps 38).
@Suite("SmallDecimal")
struct SmallDecimalTests {
    /// An amount with up to six fractional digits, from a signed integer of micro-units.
    static func amount(_ micros: Int) -> Decimal { Decimal(micros) / 1_000_000 }

    static let micros = Gen.int(in: -9_000_000_000_000...9_000_000_000_000)
    static let small = Gen.int(in: -100_000_000...100_000_000)

    @Test("converts to and from Decimal without loss")
    func roundTrip() async {
        await propertyCheck(count: 500, input: Self.micros) { micros in
            let value = Self.amount(micros)
            #expect(SmallDecimal(value).decimal == value)
        }
        for text in ["0", "-0.5", "123.456", "1e3", "0.000001", "-9223372036854.775807", "12345678901234567890123", "0.1234567890123456789"] {
            let value = Decimal(string: text) ?? 0
            let expected = value.rounded(toDecimals: SmallDecimal.maximumScale)
            #expect(SmallDecimal(value).decimal == expected, "\(text)")
        }
    }

    @Test("sums, differences, products and comparisons are those of Decimal")
    func exactOperations() async {
        await propertyCheck(count: 500, input: Self.micros, Self.small) { a, b in
            let x = Self.amount(a)
            let y = Self.amount(b)
            let (p, q) = (SmallDecimal(x), SmallDecimal(y))
            #expect((p + q).decimal == x + y)
            #expect((p - q).decimal == x - y)
            #expect((p * q).decimal == x * y)
            #expect((p < q) == (x < y))
            #expect((p == q) == (x == y))
        }
    }

    @Test("rounding to a currency, half away from zero and down, is that of NSDecimalRound")
    func rounding() async {
        await propertyCheck(count: 500, input: Self.micros, Gen.int(in: 0...4)) { micros, decimals in
            let value = Self.amount(micros)
            #expect(SmallDecimal(value).rounded(toDecimals: decimals).decimal == value.rounded(toDecimals: decimals))
            var input = value
            var down = Decimal()
            NSDecimalRound(&down, &input, decimals, .down)
            #expect(SmallDecimal(value).rounded(toDecimals: decimals, .down).decimal == down)
        }
        #expect(SmallDecimal(Decimal(string: "0.005") ?? 0).rounded(toDecimals: 2).decimal == Decimal(string: "0.01"))
        #expect(SmallDecimal(Decimal(string: "-0.005") ?? 0).rounded(toDecimals: 2).decimal == Decimal(string: "-0.01"))
        #expect(SmallDecimal(Decimal(string: "0.00499999") ?? 0).rounded(toDecimals: 2).decimal == 0)
    }

    @Test("a quotient rounded to a currency is the Decimal quotient rounded to it")
    func division() async {
        await propertyCheck(count: 500, input: Self.micros, Self.small) { a, b in
            guard b != 0 else { return }
            let x = Self.amount(a)
            let y = Self.amount(b)
            let quotient = SmallDecimal(x) / SmallDecimal(y)
            for decimals in [2, 3, 6] {
                #expect(quotient.rounded(toDecimals: decimals, .down).decimal == Self.floor(x / y, decimals), "\(x) / \(y)")
            }
        }
        #expect((SmallDecimal(10) / SmallDecimal(4)).decimal == Decimal(string: "2.5"))
        #expect((SmallDecimal(1) / SmallDecimal(3)).decimal == Decimal(string: "0.333333333333333333"))
        #expect((SmallDecimal(5) / SmallDecimal(0)).isZero)
    }

    @Test("products of many digits lose only digits past the eighteenth")
    func wideProducts() {
        let third = SmallDecimal(1) / SmallDecimal(3)
        #expect((third * third).decimal == Decimal(string: "0.111111111111111111"))
        // The largest amount the channel database stores, squared: 38 digits, still exact.
        let largest = Decimal(string: "9223372036854.775807") ?? 0
        #expect((SmallDecimal(largest) * SmallDecimal(largest)).decimal == largest * largest)
    }

    static func floor(_ value: Decimal, _ decimals: Int) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, decimals, .down)
        return output
    }
}
