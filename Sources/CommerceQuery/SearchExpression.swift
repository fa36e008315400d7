/// A `$search` expression: words and phrases combined with `AND`, `OR` and `NOT`.
///
/// Adjacent terms without an operator are joined by `AND`; `NOT` binds tighter than `AND`, `AND`
/// tighter than `OR`.
public indirect enum SearchExpression: Sendable, Codable, Hashable {
    case word(String)
    /// A double-quoted phrase, unescaped.
    case phrase(String)
    case not(SearchExpression)
    case and(SearchExpression, SearchExpression)
    case or(SearchExpression, SearchExpression)
}
