public import Foundation

/// Rounding of decimal amounts to a currency's number of fractional digits.
///
/// Halves round away from zero ("0.005 USD" -> "0.01"), the commercial rule and Dynamics'
/// default. Amounts are always `Decimal`, never floating point.
extension Decimal {
    public func rounded(toDecimals decimals: Int) -> Decimal {
        var input = self
        var output = Decimal()
        NSDecimalRound(&output, &input, decimals, .plain)
        return output
    }
}

/// An amount in a currency.
public struct Money: Codable, Sendable, Equatable {
    public var amount: Decimal
    public var currency: String

    public init(_ amount: Decimal, _ currency: String) {
        self.amount = amount
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case amount = "Amount"
        case currency = "Currency"
    }
}

/// A key/value pair that extensions attach to entities (`ExtensionProperties` in the API).
public struct CommerceProperty: Codable, Sendable, Equatable {
    public var key: String
    public var value: CommercePropertyValue

    public init(key: String, value: CommercePropertyValue) {
        self.key = key
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case key = "Key"
        case value = "Value"
    }
}

/// The typed value of a ``CommerceProperty``; exactly one member is set, as in Retail Server.
public struct CommercePropertyValue: Codable, Sendable, Equatable {
    public var stringValue: String?
    public var booleanValue: Bool?
    public var decimalValue: Decimal?
    public var integerValue: Int32?
    public var longValue: Int64?
    public var dateTimeOffsetValue: String?

    public init(
        stringValue: String? = nil, booleanValue: Bool? = nil, decimalValue: Decimal? = nil, integerValue: Int32? = nil,
        longValue: Int64? = nil, dateTimeOffsetValue: String? = nil
    ) {
        self.stringValue = stringValue
        self.booleanValue = booleanValue
        self.decimalValue = decimalValue
        self.integerValue = integerValue
        self.longValue = longValue
        self.dateTimeOffsetValue = dateTimeOffsetValue
    }

    enum CodingKeys: String, CodingKey {
        case stringValue = "StringValue"
        case booleanValue = "BooleanValue"
        case decimalValue = "DecimalValue"
        case integerValue = "IntegerValue"
        case longValue = "LongValue"
        case dateTimeOffsetValue = "DateTimeOffsetValue"
    }
}
