import Foundation

/// One token of a `$filter` or `$orderby` text.
struct QueryToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case literal(QueryLiteral)
        /// `@name`, without the `@`.
        case alias(String)
        case openParen, closeParen, comma, slash, colon
        /// A `-` not followed by a digit: negation of what follows.
        case minus
        case end
    }

    let kind: Kind
    /// Offset of the first scalar.
    let position: Int
    /// Offset just past the last scalar; equal to the next token's `position` when nothing separates them.
    let end: Int
}

/// Splits option text into tokens.
///
/// Whether `-` starts a number, a date or a GUID is decided here by looking ahead, because OData
/// writes those literals without quotes; operators such as `eq` stay identifiers and the parser
/// gives them meaning by position.
struct QueryLexer {
    let scalars: [Unicode.Scalar]
    var offset = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static func tokenize(_ text: String) throws(QuerySyntaxError) -> [QueryToken] {
        var lexer = QueryLexer(text)
        guard lexer.scalars.count <= QueryLimits.maximumLength else {
            throw QuerySyntaxError("the query option is longer than \(QueryLimits.maximumLength) characters", at: QueryLimits.maximumLength)
        }
        var tokens: [QueryToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    mutating func next() throws(QuerySyntaxError) -> QueryToken {
        while let scalar = peek(), Self.isWhitespace(scalar) { offset += 1 }
        let start = offset
        guard let scalar = peek() else { return QueryToken(kind: .end, position: start, end: start) }
        func single(_ kind: QueryToken.Kind) -> QueryToken {
            offset += 1
            return QueryToken(kind: kind, position: start, end: offset)
        }
        switch scalar {
        case "(": return single(.openParen)
        case ")": return single(.closeParen)
        case ",": return single(.comma)
        case "/": return single(.slash)
        case ":": return single(.colon)
        case "'": return try string()
        case "@":
            offset += 1
            guard let first = peek(), Self.isIdentifierStart(first) else {
                throw QuerySyntaxError("expected a parameter alias name after '@'", at: offset)
            }
            let name = try identifierText()
            return QueryToken(kind: .alias(name), position: start, end: offset)
        case "-":
            if let following = peek(at: offset + 1), Self.isDigit(following) { return try numberLike() }
            return single(.minus)
        default:
            if Self.isDigit(scalar) { return try numberLike() }
            if Self.isIdentifierStart(scalar) {
                if let guid = guid(at: start) { return guid }
                let name = try identifierText()
                if let following = peek(), following == "'" || following == "." {
                    throw QuerySyntaxError("qualified names and typed literals such as \(name)'...' are not supported", at: offset)
                }
                return QueryToken(kind: .identifier(name), position: start, end: offset)
            }
            throw QuerySyntaxError("unexpected character \(Self.describe(scalar))", at: start)
        }
    }

    // MARK: - Pieces

    mutating func identifierText() throws(QuerySyntaxError) -> String {
        let start = offset
        var text = String.UnicodeScalarView()
        while let scalar = peek(), Self.isIdentifierPart(scalar) {
            text.append(scalar)
            offset += 1
        }
        guard offset - start <= 128 else { throw QuerySyntaxError("a name is longer than 128 characters", at: start) }
        return String(text)
    }

    mutating func string() throws(QuerySyntaxError) -> QueryToken {
        let start = offset
        offset += 1
        var text = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else { throw QuerySyntaxError("unterminated string literal", at: start) }
            offset += 1
            if scalar == "'" {
                // '' inside a string is one quote; a single quote ends it.
                guard peek() == "'" else { break }
                offset += 1
            }
            text.append(scalar)
        }
        return QueryToken(kind: .literal(.string(String(text))), position: start, end: offset)
    }

    /// A token starting with a digit or `-digit`: GUID, date, date-time, integer or decimal.
    mutating func numberLike() throws(QuerySyntaxError) -> QueryToken {
        let start = offset
        if let guid = guid(at: start) { return guid }
        if scalars[start] != "-", digitRun(from: start) == 4, peek(at: start + 4) == "-" {
            return try dateOrDateTime()
        }
        let literal = try number()
        try expectLiteralEnd()
        return QueryToken(kind: .literal(literal), position: start, end: offset)
    }

    mutating func number() throws(QuerySyntaxError) -> QueryLiteral {
        let start = offset
        let negative = peek() == "-"
        if negative { offset += 1 }
        var digits = digitString()
        var fractionCount = 0
        var exponent = 0
        var isDecimal = false
        if peek() == "." {
            offset += 1
            let fraction = digitString()
            guard !fraction.isEmpty else { throw QuerySyntaxError("expected a digit after the decimal point", at: offset) }
            digits += fraction
            fractionCount = fraction.count
            isDecimal = true
        }
        if let marker = peek(), marker == "e" || marker == "E" {
            offset += 1
            var exponentNegative = false
            if let sign = peek(), sign == "+" || sign == "-" {
                exponentNegative = sign == "-"
                offset += 1
            }
            let exponentDigits = digitString()
            guard !exponentDigits.isEmpty else { throw QuerySyntaxError("expected a digit in the exponent", at: offset) }
            guard exponentDigits.count <= 3, let value = Int(exponentDigits) else {
                throw QuerySyntaxError("the exponent of a number is out of range", at: start)
            }
            exponent = exponentNegative ? -value : value
            isDecimal = true
        }
        if !isDecimal, let value = Int64(negative ? "-" + digits : digits) {
            return .integer(value)
        }
        let significant = digits.drop(while: { $0 == "0" })
        guard significant.count <= 38 else { throw QuerySyntaxError("a number has more than 38 significant digits", at: start) }
        let scale = exponent - fractionCount
        guard (-100...100).contains(scale), let significand = Decimal(string: significant.isEmpty ? "0" : String(significant)) else {
            throw QuerySyntaxError("a number is out of range", at: start)
        }
        return .decimal(Decimal(sign: negative ? .minus : .plus, exponent: scale, significand: significand))
    }

    /// `YYYY-MM-DD`, optionally followed by `Thh:mm[:ss[.fff]]` and `Z` or `±hh:mm`.
    mutating func dateOrDateTime() throws(QuerySyntaxError) -> QueryToken {
        let start = offset
        let year = try fixedDigits(4)
        try expect("-")
        let month = try fixedDigits(2)
        try expect("-")
        let day = try fixedDigits(2)
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else {
            throw QuerySyntaxError("invalid date", at: start)
        }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        guard let marker = peek(), marker == "T" || marker == "t" else {
            try expectLiteralEnd()
            return QueryToken(kind: .literal(.date(text(from: start))), position: start, end: offset)
        }
        offset += 1
        let hour = try fixedDigits(2)
        try expect(":")
        let minute = try fixedDigits(2)
        var second = 0
        var milliseconds = 0
        if peek() == ":" {
            offset += 1
            second = try fixedDigits(2)
            if peek() == "." {
                offset += 1
                let fractionStart = offset
                let fraction = digitString()
                guard !fraction.isEmpty, fraction.count <= 12 else {
                    throw QuerySyntaxError("expected 1 to 12 digits of fractional seconds", at: fractionStart)
                }
                // Instants are stored in milliseconds; finer digits would silently change comparisons.
                guard fraction.dropFirst(3).allSatisfy({ $0 == "0" }) else {
                    throw QuerySyntaxError("date-times are precise to milliseconds", at: fractionStart + 3)
                }
                for (index, digit) in fraction.prefix(3).enumerated() {
                    milliseconds += (Int(String(digit)) ?? 0) * [100, 10, 1][index]
                }
            }
        }
        guard hour < 24, minute < 60, second < 60 else { throw QuerySyntaxError("invalid time of day", at: start) }
        var offsetMinutes = 0
        switch peek() {
        case "Z", "z":
            offset += 1
        case "+", "-":
            let sign = peek() == "-" ? -1 : 1
            let signPosition = offset
            offset += 1
            let offsetHours = try fixedDigits(2)
            try expect(":")
            let offsetMinutePart = try fixedDigits(2)
            guard offsetHours < 24, offsetMinutePart < 60 else { throw QuerySyntaxError("invalid time-zone offset", at: signPosition) }
            offsetMinutes = sign * (offsetHours * 60 + offsetMinutePart)
        default:
            throw QuerySyntaxError("expected 'Z' or a time-zone offset such as +02:00", at: offset)
        }
        try expectLiteralEnd()
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        let literal = QueryLiteral.dateTimeOffset(epochMilliseconds: seconds * 1000 + Int64(milliseconds), text: text(from: start))
        return QueryToken(kind: .literal(literal), position: start, end: offset)
    }

    /// A bare GUID (8-4-4-4-12 hex digits) at `start`, consumed if present.
    mutating func guid(at start: Int) -> QueryToken? {
        let dashes: Set<Int> = [8, 13, 18, 23]
        guard start + 36 <= scalars.count else { return nil }
        for index in 0..<36 {
            let scalar = scalars[start + index]
            if dashes.contains(index) {
                guard scalar == "-" else { return nil }
            } else {
                guard scalar.properties.isASCIIHexDigit else { return nil }
            }
        }
        if let following = peek(at: start + 36), Self.isIdentifierPart(following) || following == "-" { return nil }
        offset = start + 36
        return QueryToken(kind: .literal(.guid(text(from: start).lowercased())), position: start, end: offset)
    }

    // MARK: - Helpers

    func peek() -> Unicode.Scalar? { peek(at: offset) }

    func peek(at index: Int) -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    func text(from start: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<offset])
        return String(view)
    }

    func digitRun(from start: Int) -> Int {
        var index = start
        while let scalar = peek(at: index), Self.isDigit(scalar) { index += 1 }
        return index - start
    }

    mutating func digitString() -> String {
        let start = offset
        offset += digitRun(from: offset)
        return text(from: start)
    }

    mutating func fixedDigits(_ count: Int) throws(QuerySyntaxError) -> Int {
        var value = 0
        for _ in 0..<count {
            guard let scalar = peek(), Self.isDigit(scalar) else { throw QuerySyntaxError("expected a digit", at: offset) }
            value = value * 10 + Int(scalar.value - 48)
            offset += 1
        }
        return value
    }

    mutating func expect(_ expected: Unicode.Scalar) throws(QuerySyntaxError) {
        guard peek() == expected else { throw QuerySyntaxError("expected '\(expected)'", at: offset) }
        offset += 1
    }

    /// A literal must not run straight into a name or another number (`1.5x`, `1..2`).
    func expectLiteralEnd() throws(QuerySyntaxError) {
        if let scalar = peek(), Self.isIdentifierPart(scalar) || scalar == "." || scalar == "'" {
            throw QuerySyntaxError("unexpected character \(Self.describe(scalar)) after a literal", at: offset)
        }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            || (scalar.value > 127 && scalar.properties.isAlphabetic)
    }

    static func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || isDigit(scalar)
    }

    /// Names printable ASCII characters; anything else by code point, so odd input cannot garble a message.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        if (0x21...0x7E).contains(scalar.value) { return "'\(scalar)'" }
        return "U+" + String(scalar.value, radix: 16, uppercase: true)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 in the proleptic Gregorian calendar (400-year eras of 146 097 days).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
