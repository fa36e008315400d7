import ChannelDatabase
public import Foundation

/// Writes JSON straight into bytes, in the order the caller gives.
///
/// Responses are written field by field rather than through `JSONEncoder`, because the OData
/// layer decides per request which properties and annotations appear, and because encoding
/// is on the hot path of every read.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current object or array needs a comma before it.
    private var needsComma = false

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        appendString(value)
        needsComma = true
    }

    public mutating func int(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(of: value.magnitude, fractionDigits: 0)
        needsComma = true
    }

    /// A decimal as a JSON number, digit for digit (OData `IEEE754Compatible=false`).
    public mutating func decimal(_ value: Decimal) {
        separate()
        if !appendPlainDecimal(value) { bytes.append(contentsOf: value.description.utf8) }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// Bytes that already are one JSON value.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    /// The number of bytes written so far: where the next value starts.
    public var count: Int { bytes.count }

    /// Calls `body` with the bytes written from `offset` on (e.g. to digest the members just
    /// written); the buffer is valid only while `body` runs.
    public func withBytes<Result>(from offset: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset...])) }
    }

    /// Overwrites bytes already written, starting at `offset`, with as many others: for a value
    /// of fixed length that is known only after what follows it (an ETag over the members after
    /// it), written first as a placeholder. The JSON stays valid only if the replacement is.
    public mutating func overwrite(at offset: Int, with replacement: some Collection<UInt8>) {
        precondition(offset >= 0 && offset + replacement.count <= bytes.count, "overwrite past the bytes written")
        bytes.withUnsafeMutableBufferPointer { buffer in
            var index = offset
            for byte in replacement {
                buffer[index] = byte
                index += 1
            }
        }
    }

    /// Members (`"k":v,...`) written by another writer, spliced into the current object.
    public mutating func members(of other: JSONWriter) {
        guard !other.bytes.isEmpty else { return }
        separate()
        bytes.append(contentsOf: other.bytes)
        needsComma = true
    }

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    public mutating func field(_ name: String, _ value: Int64) {
        key(name)
        int(value)
    }

    public mutating func field(_ name: String, _ value: Int64?) {
        key(name)
        if let value { int(value) } else { null() }
    }

    public mutating func field(_ name: String, _ value: Decimal) {
        key(name)
        decimal(value)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// Writes a decimal whose significand fits 63 bits from its parts, the case of every amount
    /// the engine stores; answers false (writing nothing) for any other, which then goes through
    /// `Decimal.description`, several times slower on the hot path of every priced entity.
    private mutating func appendPlainDecimal(_ value: Decimal) -> Bool {
        guard let parts = value.smallParts, parts.exponent <= 0, parts.exponent >= -38 else { return false }
        var mantissa = parts.significand
        var fraction = -parts.exponent
        // Same text as `description`: no trailing fractional zeros.
        while fraction > 0, mantissa % 10 == 0 {
            mantissa /= 10
            fraction -= 1
        }
        if parts.negative, mantissa != 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(of: mantissa, fractionDigits: fraction)
        return true
    }

    /// Writes `value` in decimal with a point before its last `fractionDigits` digits (at most
    /// 38), and a leading `0.` and zeros where it has fewer: through a buffer on the stack, not
    /// a `String` per number.
    private mutating func appendDigits(of value: UInt64, fractionDigits: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var position = buffer.count
            var rest = value
            var written = 0
            repeat {
                if fractionDigits > 0, written == fractionDigits {
                    position -= 1
                    buffer[position] = UInt8(ascii: ".")
                }
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                written += 1
            } while rest > 0 || written <= fractionDigits
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position...]))
        }
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Nearly every string needs no escaping: scan its bytes in place and copy it whole.
        let plain = value.utf8.withContiguousStorageIfAvailable { buffer -> Bool in
            for byte in buffer where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: buffer)
            return true
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
