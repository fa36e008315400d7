@testable import ChannelDatabase
import Foundation
import Testing

@Suite("Decimal parts")
struct DecimalPartsTests {
    private func same(_ value: Decimal) -> Bool {
        let fast = value.smallParts
        let known = value.publicSmallParts
        return fast?.negative == known?.negative && fast?.significand == known?.significand && fast?.exponent == known?.exponent
    }

    @Test("this toolchain's Decimal layout is understood, so amounts take the fast path")
    func layoutUnderstood() {
        // Fails on a Foundation that lays Decimal out otherwise: amounts then still come out
        // right (through the public API), only slower; DecimalStorage needs a look.
        #expect(DecimalStorage.isUnderstood)
    }

    @Test("storage and public API agree", arguments: [
        "0", "1", "-1", "5.99", "-0.000001", "129.99", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "1e-38", "-12e30", "79228162514264337593543950335", "0.1234567890123456789",
    ])
    func agree(_ literal: String) throws {
        #expect(same(try #require(Decimal(string: literal))))
    }

    @Test("storage and public API agree on random amounts, exponents and signs")
    func random() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let bits = Int.random(in: 0...64, using: &generator)
            let significand = bits == 64 ? UInt64.random(in: 0...UInt64.max, using: &generator) : UInt64.random(in: 0...(UInt64(1) << bits), using: &generator)
            let value = Decimal(
                sign: Bool.random(using: &generator) ? .minus : .plus, exponent: Int.random(in: -40...30, using: &generator), significand: Decimal(significand)
            )
            #expect(same(value), "\(value)")
        }
        #expect(Decimal.nan.smallParts == nil)
        // A stored amount comes back normalized: 129.990000 is 12999 × 10^-2.
        let parts = try #require(FixedPoint.decode(129_990_000).smallParts)
        #expect(!parts.negative && parts.significand == 12_999 && parts.exponent == -2)
    }
}
