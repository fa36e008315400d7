import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random identifiers (RFC 9562 UUIDs, lowercase) from the system's CSPRNG: version 7 for the
/// keys of carts, lines, orders and payments (``timeOrdered()``), version 4 elsewhere.
///
/// A cart's id is all an anonymous caller needs to use the cart, so it must be unguessable.
/// Foundation's `UUID()` gives a version-4 one, but on Linux it opens and reads
/// `/dev/urandom` for every one, and `SystemRandomNumberGenerator` makes one `getrandom` call
/// per 8 bytes: seven identifiers per checkout, mostly while the SQLite writer is held. So the
/// kernel's random bytes are fetched 4 KiB at a time (for 256 identifiers) and each byte is
/// handed out once.
public enum RandomIdentifier {
    public static func uuid() -> String {
        var bytes = pool.withLock { $0.take16() }
        bytes.6 = (bytes.6 & 0x0F) | 0x40  // version 4
        bytes.8 = (bytes.8 & 0x3F) | 0x80  // variant 10
        return withUnsafeBytes(of: bytes) { format($0) }
    }

    /// A version-7 UUID: the Unix time in milliseconds (48 bits), then 74 random bits. Ids made
    /// one after another sort together, so the rows they key go into the same index page:
    /// checkout inserts carts, lines, orders and payments, and with random keys each landed on a
    /// page of its own, one more page per insert for the commit to write (BENCHMARKS.md, checkout).
    /// 74 random bits still leave a cart's id unguessable (2^74 tries within one millisecond).
    public static func timeOrdered() -> String {
        var bytes = pool.withLock { $0.take16() }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(max(0, now.tv_sec)) &* 1_000 &+ UInt64(max(0, now.tv_nsec) / 1_000_000)
        bytes.0 = UInt8(truncatingIfNeeded: milliseconds >> 40)
        bytes.1 = UInt8(truncatingIfNeeded: milliseconds >> 32)
        bytes.2 = UInt8(truncatingIfNeeded: milliseconds >> 24)
        bytes.3 = UInt8(truncatingIfNeeded: milliseconds >> 16)
        bytes.4 = UInt8(truncatingIfNeeded: milliseconds >> 8)
        bytes.5 = UInt8(truncatingIfNeeded: milliseconds)
        bytes.6 = (bytes.6 & 0x0F) | 0x70  // version 7
        bytes.8 = (bytes.8 & 0x3F) | 0x80  // variant 10
        return withUnsafeBytes(of: bytes) { format($0) }
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lowercase hexadecimal.
    static func format(_ bytes: some Collection<UInt8>) -> String {
        precondition(bytes.count == 16, "a UUID has 16 bytes")
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { text in
            var at = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[at] = UInt8(ascii: "-")
                    at += 1
                }
                text[at] = digits.utf8Start[Int(byte >> 4)]
                text[at + 1] = digits.utf8Start[Int(byte & 0x0F)]
                at += 2
            }
            return at
        }
    }

    private static let pool = Mutex(Pool())

    private struct Pool: ~Copyable {
        private var bytes = [UInt8](repeating: 0, count: 4_096)
        private var next = 4_096

        typealias Sixteen = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

        mutating func take16() -> Sixteen {
            if next + 16 > bytes.count {
                bytes.withUnsafeMutableBytes { Self.fill($0) }
                next = 0
            }
            defer { next += 16 }
            return bytes.withUnsafeBytes { buffer in
                buffer.loadUnaligned(fromByteOffset: next, as: Sixteen.self)
            }
        }

        /// From the kernel's CSPRNG. `getrandom` is not in Swift's Glibc module, so the pool is
        /// filled by reading `/dev/urandom`: three system calls per 256 identifiers.
        private static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
            var filled = 0
            #if canImport(Glibc)
            let file = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            if file >= 0, let base = buffer.baseAddress {
                while filled < buffer.count {
                    let count = read(file, base + filled, buffer.count - filled)
                    if count > 0 {
                        filled += count
                    } else if count == 0 || errno != EINTR {
                        break
                    }
                }
                close(file)
            }
            #elseif canImport(Darwin)
            if let base = buffer.baseAddress {
                arc4random_buf(base, buffer.count)
                filled = buffer.count
            }
            #endif
            // Without the device (a chroot, say) the standard library's generator, which asks the
            // kernel another way, fills what is left.
            var generator = SystemRandomNumberGenerator()
            for index in filled..<buffer.count { buffer[index] = generator.next() }
        }
    }
}
