@testable import ConsumerAPI
import Foundation
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    private func text(_ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        build(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test("decimals are written digit for digit, like Decimal.description", arguments: [
        "5.99", "0.000001", "-12.5", "0", "100", "123456789012.345678", "-0.01", "1e-20", "79228162514264337593543950335",
    ])
    func decimals(_ literal: String) throws {
        let value = try #require(Decimal(string: literal))
        #expect(text { $0.decimal(value) } == value.description)
        // Whatever the text, it parses back to the same value.
        #expect(Decimal(string: text { $0.decimal(value) }) == value)
    }

    @Test("fixed-point amounts read from the database print without trailing zeros")
    func fixedPoint() {
        #expect(text { $0.decimal(Decimal(sign: .plus, exponent: -6, significand: Decimal(5_990_000))) } == "5.99")
        #expect(text { $0.decimal(Decimal(sign: .minus, exponent: -6, significand: Decimal(1))) } == "-0.000001")
    }

    @Test("strings are escaped where JSON needs it and copied whole otherwise")
    func strings() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} é 漢字 😀"
        let json = text { $0.beginObject(); $0.field("s", tricky); $0.field("plain", "Classic Shirt 1"); $0.endObject() }
        #expect(json.contains(#""plain":"Classic Shirt 1""#))
        #expect(json.contains(#"\u0007"#))
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        #expect(decoded["s"] == tricky)
    }
}
