@testable import CommerceRuntime
import Foundation
import Testing

/// The encoder extensions' JSON comes from must say what JSONEncoder says.
@Suite("Compact JSON encoder")
struct CompactJSONEncoderTests {
    struct Nested: Codable, Equatable {
        var name: String
        var amount: Decimal
        var count: Int64
        var flag: Bool
        var missing: String?
        var present: String?
        var list: [Int]
        var children: [Nested]
        var map: [String: Int]
    }

    @Test("the CRT's messages and awkward values decode back to what was encoded")
    func roundTrip() throws {
        let child = Nested(name: "c", amount: Decimal(string: "-0.005")!, count: -7, flag: false, missing: nil, present: "p", list: [], children: [], map: [:])
        let value = Nested(
            name: "quote \" backslash \\ newline \n tab \t bell \u{07} é 😀", amount: Decimal(string: "12345678901234567890.123456")!,
            count: Int64.max, flag: true, missing: nil, present: "x", list: [1, 2, 3], children: [child, child], map: ["a": 1]
        )
        let bytes = try CompactJSONEncoder.encode(value)
        #expect(try JSONDecoder().decode(Nested.self, from: Data(bytes)) == value)
        let request = CalculateTaxRequest(lines: [TaxableLine(lineId: "1", itemTaxGroup: nil, amount: Decimal(string: "38.69")!)], countryRegionId: "USA")
        let text = String(decoding: try CompactJSONEncoder.encode(request), as: UTF8.self)
        // Synthesized Codable leaves nil optionals out, as JSONEncoder writes them.
        #expect(text == #"{"Lines":[{"LineId":"1","Amount":38.69}],"CountryRegionId":"USA"}"#)
        #expect(try JSONDecoder().decode(CalculateTaxRequest.self, from: Data(text.utf8)).lines.first?.amount == Decimal(string: "38.69"))
    }

    @Test("types it does not write are refused, so the caller falls back to JSONEncoder")
    func unsupported() {
        struct Stamped: Encodable { var at = Date(timeIntervalSince1970: 0) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder.encode(Stamped()) }
    }
}
