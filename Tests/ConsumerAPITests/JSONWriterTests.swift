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
        "0.5", "-0.000001", "1000000", "9223372036854.775807", "-9223372036854.775807", "12e30", "0.00000000000000000000000000000000000001",
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

    @Test("integers", arguments: [Int64.min, Int64.min + 1, -1, 0, 7, 10, 4_096, 68_719_476_737, Int64.max])
    func integers(_ value: Int64) {
        #expect(text { $0.int(value) } == String(value))
    }

    @Test("a placeholder written first is overwritten once what follows it is known")
    func overwrite() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("tag")
        let placeholder = writer.count
        writer.raw(Array(#""0000""#.utf8))
        let start = writer.count
        writer.field("Name", "Shirt")
        let written = writer.withBytes(from: start) { String(decoding: $0, as: UTF8.self) }
        writer.overwrite(at: placeholder + 1, with: Array("beef".utf8))
        writer.endObject()
        #expect(written == #","Name":"Shirt""#)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"tag":"beef","Name":"Shirt"}"#)
    }

    @Test("weak ETags: FNV-1a of the properties, the same whether written alone or after other members")
    func etags() {
        let properties = Array(#""RecordId":68719476737,"Name":"Classic Shirt 1""#.utf8)
        // The reference: FNV-1a over the bytes, as 16 hexadecimal digits.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in properties {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        let expected = "W/\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
        #expect(ETag.weak(of: properties) == expected)
        #expect(ETag.weak(digest: ([UInt8(ascii: ",")] + properties).withUnsafeBufferPointer(ETag.digestOfMembers)) == expected)
        #expect(ETag.weak(digest: properties.withUnsafeBufferPointer(ETag.digestOfMembers)) == expected)
        #expect(ETag.weak(digest: 0) == #"W/"0000000000000000""#)
        #expect(ETag.weak(digest: 0x0123_4567_89ab_cdef) == #"W/"0123456789abcdef""#)
        // The placeholder in the body is the same JSON string with zeros for the digits.
        #expect(String(decoding: ETag.placeholderJSON, as: UTF8.self) == #""W/\"0000000000000000\"""#)
        #expect(ETag.placeholderJSON[ETag.digitsOffsetInJSON] == UInt8(ascii: "0") && ETag.placeholderJSON[ETag.digitsOffsetInJSON - 1] == UInt8(ascii: "\""))
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
