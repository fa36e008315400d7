public import Foundation

/// A literal value written in a query option.
///
/// Values are kept in the form the translator needs: decimals exactly as `Decimal`, date-times
/// already normalized to UTC epoch milliseconds (the storage form), GUIDs in lower case.
public enum QueryLiteral: Sendable, Codable, Hashable {
    case null
    case boolean(Bool)
    case integer(Int64)
    /// A number with a fractional part or an exponent, or an integer too large for `Int64`.
    case decimal(Decimal)
    case string(String)
    /// A calendar date, `YYYY-MM-DD`, validated.
    case date(String)
    /// An instant, as UTC epoch milliseconds, plus the literal as written (for messages and round trips).
    case dateTimeOffset(epochMilliseconds: Int64, text: String)
    /// A GUID in its canonical lower-case 8-4-4-4-12 form.
    case guid(String)
}
