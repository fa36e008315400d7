import Foundation

/// Which language a request reads the catalog in: HTTP `Accept-Language` (RFC 9110 12.5.4)
/// against the languages the channel has, else the channel's own.
enum AcceptLanguage {
    /// The language for `header` among `supported` (lower-case, as stored): ranges by falling
    /// q-value (header order among equal ones); for each, a supported tag equal to it
    /// (case-insensitively), else the first one it is a prefix of (`de` → `de-de`), else the first
    /// with the same primary language (`de-AT` → `de-de`). `*` stands for `fallback`; ranges with
    /// `q=0` or a malformed q-value are skipped. Nothing acceptable: `fallback`, as Retail Server
    /// answers in the channel's language rather than `406`.
    static func negotiate(_ header: String?, supported: [String], fallback: String) -> String {
        guard let header, !header.isEmpty else { return fallback }
        var ranges: [(range: String, quality: Int, position: Int)] = []
        for (position, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let range = pieces.first?.lowercased(), !range.isEmpty else { continue }
            var quality = 1_000
            for parameter in pieces.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0].lowercased() == "q" else { continue }
                guard let value = thousandths(pair[1]) else { quality = 0; break }
                quality = value
            }
            if quality > 0 { ranges.append((range, quality, position)) }
        }
        ranges.sort { $0.quality != $1.quality ? $0.quality > $1.quality : $0.position < $1.position }
        for (range, _, _) in ranges {
            if range == "*" { return fallback }
            if let exact = supported.first(where: { $0 == range }) { return exact }
            if let prefixed = supported.first(where: { $0.hasPrefix(range + "-") }) { return prefixed }
            let primary = range.split(separator: "-").first.map(String.init) ?? range
            if let related = supported.first(where: { $0.split(separator: "-").first.map(String.init) == primary }) { return related }
        }
        return fallback
    }

    /// An RFC 9110 qvalue (`1`, `0.8`, `0.125`, `1.000`) in thousandths; nil when malformed.
    static func thousandths(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0] == "0" || parts[0] == "1" else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 3, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let value = (parts[0] == "1" ? 1_000 : 0) + (Int(fraction.padding(toLength: 3, withPad: "0", startingAt: 0)) ?? 0)
        return value <= 1_000 ? value : nil
    }
}
