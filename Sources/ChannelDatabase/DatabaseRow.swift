public import Foundation

/// One result row. Column names are shared by all rows of a result.
public struct DatabaseRow: Sendable {
    public let columns: ColumnNames
    public let values: [DatabaseValue]

    public init(columns: ColumnNames, values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(index: Int) -> DatabaseValue {
        index < values.count ? values[index] : .null
    }

    public subscript(name: String) -> DatabaseValue {
        guard let index = columns.index(of: name) else { return .null }
        return values[index]
    }

    /// The integer in `column`, or `nil` when it is NULL or not an integer.
    public func int64(_ column: String) -> Int64? {
        if case .integer(let value) = self[column] { return value }
        return nil
    }

    public func int(_ column: String) -> Int? {
        int64(column).map { Int($0) }
    }

    public func string(_ column: String) -> String? {
        switch self[column] {
        case .text(let value): return value
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    public func bool(_ column: String) -> Bool {
        (int64(column) ?? 0) != 0
    }

    /// A fixed-point decimal column, see ``FixedPoint``.
    public func decimal(_ column: String) -> Decimal? {
        int64(column).map(FixedPoint.decode)
    }

    // By position: for statements whose column order is fixed and read on every request, where
    // a name lookup (a string hash and a dictionary probe per column) is a measurable share.

    /// The integer in the column at `index`, or `nil` when it is NULL, not an integer or absent.
    public func int64(at index: Int) -> Int64? {
        if case .integer(let value) = self[index] { return value }
        return nil
    }

    public func string(at index: Int) -> String? {
        switch self[index] {
        case .text(let value): return value
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    public func bool(at index: Int) -> Bool {
        (int64(at: index) ?? 0) != 0
    }

    public func decimal(at index: Int) -> Decimal? {
        int64(at: index).map(FixedPoint.decode)
    }
}

/// Column names of a result, looked up by name in O(1) after the first row.
public final class ColumnNames: Sendable {
    public let names: [String]
    private let positions: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil {
            positions[name] = index
        }
        self.positions = positions
    }

    public func index(of name: String) -> Int? { positions[name] }
}
