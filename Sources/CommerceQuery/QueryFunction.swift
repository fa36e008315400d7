/// The canonical functions the engine understands; any other name is a syntax error.
public enum QueryFunction: String, Sendable, Codable, Hashable, CaseIterable {
    case contains, startswith, endswith, indexof, substring, tolower, toupper, trim, length, concat
    case year, month, day, hour, minute, second, date, now
    case round, floor, ceiling

    /// The argument counts the function accepts.
    public var arity: ClosedRange<Int> {
        switch self {
        case .now: 0...0
        case .contains, .startswith, .endswith, .indexof, .concat: 2...2
        case .substring: 2...3
        case .tolower, .toupper, .trim, .length, .year, .month, .day, .hour, .minute, .second, .date,
            .round, .floor, .ceiling:
            1...1
        }
    }

    /// Looks a function up by name; 4.01 makes canonical function names case-insensitive.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
