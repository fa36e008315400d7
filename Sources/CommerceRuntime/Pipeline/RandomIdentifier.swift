import Foundation

/// Random identifiers (RFC 9562 version-4 UUIDs, lowercase) for carts, lines, orders and
/// payments, from the system's CSPRNG.
///
/// A cart's id is all an anonymous caller needs to use the cart, so it must be unguessable:
/// 122 random bits. Foundation's `UUID()` gives the same, but on Linux it opens and reads
/// `/dev/urandom` for every one; seven per checkout, mostly while the SQLite writer is held.
/// `SystemRandomNumberGenerator` asks the kernel (`getrandom`) without a file; Foundation
/// still writes the text.
public enum RandomIdentifier {
    public static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = withUnsafeBytes(of: (generator.next() as UInt64, generator.next() as UInt64)) { Array($0) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        return format(bytes)
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hexadecimal.
    static func format(_ bytes: [UInt8]) -> String {
        let uuid = UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
        return uuid.uuidString.lowercased()
    }
}
