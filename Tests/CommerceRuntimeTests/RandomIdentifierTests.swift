@testable import CommerceRuntime
import Foundation
import Testing

@Suite("Random identifiers")
struct RandomIdentifierTests {
    @Test("version-4 UUIDs in lowercase that Foundation parses back to the same value")
    func wellFormed() throws {
        for _ in 0..<1_000 {
            let text = RandomIdentifier.uuid()
            #expect(text.count == 36)
            #expect(text == text.lowercased())
            let parsed = try #require(UUID(uuidString: text))
            #expect(parsed.uuidString.lowercased() == text)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version nibble of \(text)")
            #expect(bytes[8] >> 6 == 0b10, "variant bits of \(text)")
        }
    }

    @Test("formats every byte value as two lowercase hexadecimal digits, dashes after bytes 4, 6, 8 and 10")
    func formatting() {
        #expect(RandomIdentifier.format([0x00, 0x01, 0x0a, 0x0f, 0x10, 0x7f, 0x80, 0x9c, 0xa5, 0xbe, 0xc3, 0xd4, 0xe0, 0xef, 0xf1, 0xff])
            == "00010a0f-107f-809c-a5be-c3d4e0eff1ff")
    }

    @Test("a hundred thousand in a row are all different, and every random nibble takes every value")
    func distinct() {
        let (distinct, values) = Self.sample(RandomIdentifier.uuid)
        #expect(distinct == 100_000)
        // Position 14 is the version ("4"), 19 carries the variant (8, 9, a or b), the dashes are fixed.
        for index in 0..<36 where ![8, 13, 14, 18, 19, 23].contains(index) {
            #expect(values[index].count == 16, "position \(index) took \(values[index].count) values")
        }
        #expect(values[14] == ["4"])
        #expect(values[19] == ["8", "9", "a", "b"])
    }

    @Test("version-7 UUIDs carry the current Unix time in milliseconds, sort by it, and keep 74 random bits")
    func timeOrdered() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1_000)
        let first = RandomIdentifier.timeOrdered()
        let after = UInt64(Date().timeIntervalSince1970 * 1_000) + 1
        let parsed = try #require(UUID(uuidString: first))
        #expect(parsed.uuidString.lowercased() == first)
        let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
        #expect(bytes[6] >> 4 == 7, "version nibble of \(first)")
        #expect(bytes[8] >> 6 == 0b10, "variant bits of \(first)")
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect((before...after).contains(milliseconds), "\(milliseconds) is not between \(before) and \(after)")

        // Made in a later millisecond, an id sorts after: as text too, which is how the
        // indexes compare them.
        Thread.sleep(forTimeInterval: 0.002)
        #expect(RandomIdentifier.timeOrdered() > first)

        let (distinct, values) = Self.sample(RandomIdentifier.timeOrdered)
        #expect(distinct == 100_000)
        // After the time (positions 0-12) and the version (14), every random nibble takes every value.
        for index in 15..<36 where ![18, 19, 23].contains(index) {
            #expect(values[index].count == 16, "position \(index) took \(values[index].count) values")
        }
        #expect(values[14] == ["7"])
        #expect(values[19] == ["8", "9", "a", "b"])
    }

    /// A hundred thousand identifiers in a row: how many differ, and the characters seen at each
    /// position.
    private static func sample(_ make: () -> String) -> (distinct: Int, values: [Set<Character>]) {
        var seen = Set<String>()
        var values = Array(repeating: Set<Character>(), count: 36)
        for _ in 0..<100_000 {
            let text = make()
            seen.insert(text)
            for (index, character) in text.enumerated() { values[index].insert(character) }
        }
        return (seen.count, values)
    }
}
