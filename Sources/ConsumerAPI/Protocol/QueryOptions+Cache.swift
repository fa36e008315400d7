import ChannelDatabase
import CommerceQuery

/// Parsed `$filter`, `$orderby`, `$search`, `$select` and `$expand` texts, kept between requests.
///
/// Storefronts send the same few query texts over and over; parsing one took ~2.6% of a list
/// request's CPU. The parsers are pure, so a parse depends only on the option, its text and the
/// aliases of the query string: all three are the key. Only successful parses are kept (an
/// error is re-parsed, and costs the client a 400 anyway), and only texts up to
/// ``textLimit`` characters. Past ``entryLimit`` entries the cache starts over, so a client
/// sending ever new texts costs memory for at most that many.
///
/// Call from any thread.
final class ParsedQueryOptionCache: Sendable {
    enum Option: UInt8, Hashable, Sendable {
        case filter, orderBy, search, select, expand
    }

    enum Parsed: Sendable {
        case filter(QueryExpression)
        case orderBy([OrderByItem])
        case search(SearchExpression)
        case select([[String]])
        case expand([ExpandItem])
    }

    struct Key: Hashable, Sendable {
        var option: Option
        var text: String
        var aliases: [String: String]
    }

    static let shared = ParsedQueryOptionCache()
    static let entryLimit = 1_024
    static let textLimit = 2_048

    private let entries = BoundedCache<Key, Parsed>(limit: entryLimit)

    /// The cached parse of `text` for `option`, or the result of `parse`, kept when it succeeds.
    func parsed(
        _ option: Option, _ text: String, aliases: [String: String], parse: () throws(QuerySyntaxError) -> Parsed
    ) throws(QuerySyntaxError) -> Parsed {
        guard text.utf8.count <= Self.textLimit else { return try parse() }
        let key = Key(option: option, text: text, aliases: aliases)
        if let hit = entries[key] { return hit }
        let parsed = try parse()
        entries.store(parsed, for: key)
        return parsed
    }

    var count: Int { entries.count }
}
