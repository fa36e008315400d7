/// Random identifiers (RFC 9562 version-4 UUIDs, lowercase) for carts, lines, orders and
/// payments, from the system's CSPRNG.
///
/// A cart's id is all an anonymous caller needs to use the cart, so it must be unguessable:
/// 122 random bits. Foundation's `UUID()` gives the same, but on Linux it opens and reads
/// `/dev/urandom` for every one; seven per checkout, mostly while the SQLite writer is held.
/// `SystemRandomNumberGenerator` asks the kernel (`getrandom`) without a file.
public enum RandomIdentifier {
    public static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        let high = generator.next()
        let low = generator.next()
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(index)))
            bytes[index + 8] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(index)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        return format(bytes)
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hexadecimal.
    static func format(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
