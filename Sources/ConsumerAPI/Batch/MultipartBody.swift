import Foundation

/// A media type with its parameters, as in `multipart/mixed; boundary="b 1"`.
struct MediaType: Equatable {
    /// `type/subtype`, lower-cased.
    var name: String
    /// Parameter names lower-cased, values unquoted.
    var parameters: [String: String]

    init(_ text: String) {
        var pieces = Self.split(text, on: ";")
        name = pieces.isEmpty ? "" : pieces.removeFirst().trimmingCharacters(in: .whitespaces).lowercased()
        var parameters: [String: String] = [:]
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            parameters[key] = value
        }
        self.parameters = parameters
    }

    /// Splits at `separator` outside quoted strings.
    private static func split(_ text: String, on separator: Character) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" { quoted.toggle() }
            if character == separator, !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        return pieces
    }
}

/// The body parts of a multipart document (RFC 2046, section 5.1.1), headers parsed.
///
/// Preamble and epilogue are ignored. Line breaks may be CRLF or a bare LF (what hand-written
/// requests often hold); the line break before a delimiter belongs to the delimiter, not to the
/// part. A document without its closing delimiter is refused: it may have been cut short.
struct MultipartBody {
    struct Part {
        var headers: [(String, String)]
        var content: [UInt8]

        func header(_ name: String) -> String? {
            headers.last { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    static func parts(of body: [UInt8], boundary: String, describing name: String) throws -> [Part] {
        let delimiter = Array(("--" + boundary).utf8)
        guard var start = nextDelimiter(delimiter, in: body, from: 0) else {
            throw ODataError.badRequest("the \(name) has no part: its boundary delimiter '--\(boundary)' never starts a line")
        }
        var parts: [Part] = []
        while true {
            var position = start + delimiter.count
            if body[position...].starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) { return parts }
            // Transport padding, then the line break that ends the delimiter line.
            while position < body.count, body[position] == UInt8(ascii: " ") || body[position] == UInt8(ascii: "\t") { position += 1 }
            if position < body.count, body[position] == UInt8(ascii: "\r") { position += 1 }
            guard position < body.count, body[position] == UInt8(ascii: "\n") else {
                throw ODataError.badRequest("the \(name) ends without its closing delimiter '--\(boundary)--'")
            }
            position += 1
            guard let next = nextDelimiter(delimiter, in: body, from: position) else {
                throw ODataError.badRequest("the \(name) ends without its closing delimiter '--\(boundary)--'")
            }
            // The line break before the delimiter is the delimiter's.
            var end = next - 1
            if end > position, body[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let (headers, content) = try split(Array(body[position..<max(position, end)]), describing: "a part of the \(name)")
            parts.append(Part(headers: headers, content: content))
            start = next
        }
    }

    /// Where the next delimiter line starts at or after `from` (a line start): `--boundary` at the
    /// start of a line, followed by `--`, padding or a line break.
    private static func nextDelimiter(_ delimiter: [UInt8], in body: [UInt8], from: Int) -> Int? {
        var index = from
        while index + delimiter.count <= body.count {
            let lineStart = index == 0 || body[index - 1] == UInt8(ascii: "\n")
            if lineStart, body[index..<index + delimiter.count].elementsEqual(delimiter) {
                let after = index + delimiter.count
                if after == body.count { return index }
                let next = body[after]
                if next == UInt8(ascii: "-") || next == UInt8(ascii: "\r") || next == UInt8(ascii: "\n") || next == UInt8(ascii: " ")
                    || next == UInt8(ascii: "\t") {
                    return index
                }
            }
            guard let newline = body[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            index = newline + 1
        }
        return nil
    }

    /// Header lines up to the first empty line, and what follows it. A header line without a
    /// colon is refused; so is a part that ends inside its headers.
    static func split(_ bytes: [UInt8], describing name: String) throws -> (headers: [(String, String)], content: [UInt8]) {
        var headers: [(String, String)] = []
        var position = 0
        while true {
            guard let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                // Headers without the empty line after them: allowed only when there is no content at all.
                if position < bytes.count { try headers.append(header(bytes[position...], name)) }
                return (headers, [])
            }
            var lineEnd = newline
            if lineEnd > position, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if lineEnd == position { return (headers, Array(bytes[(newline + 1)...])) }
            try headers.append(header(bytes[position..<lineEnd], name))
            position = newline + 1
        }
    }

    private static func header(_ line: ArraySlice<UInt8>, _ name: String) throws -> (String, String) {
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            throw ODataError.badRequest("\(name) has a header line without a name and a colon: '\(text.prefix(80))'")
        }
        let field = text[..<colon].trimmingCharacters(in: .whitespaces)
        return (field, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}
