import CommerceQuery
import Testing

@testable import ConsumerAPI

/// Parsed query options kept between requests: a hit is what a parse would give, for the same
/// option, text and aliases only.
@Suite("Parsed query option cache")
struct QueryOptionCacheTests {
    @Test("the same text parses once; another option, text or alias value is another entry; errors are not kept")
    func keys() throws {
        let cache = ParsedQueryOptionCache()
        var parses = 0
        func filter(_ text: String, _ aliases: [String: String] = [:]) throws(QuerySyntaxError) -> QueryExpression? {
            let parsed = try cache.parsed(.filter, text, aliases: aliases) { () throws(QuerySyntaxError) in
                parses += 1
                return .filter(try QueryParser.filter(text, aliases: aliases))
            }
            guard case .filter(let expression) = parsed else { return nil }
            return expression
        }
        let first = try filter("BasePrice gt 100")
        #expect(try filter("BasePrice gt 100") == first)
        #expect(first == (try QueryParser.filter("BasePrice gt 100")))
        #expect(parses == 1)
        #expect(try filter("BasePrice gt 101") != first)
        #expect(parses == 2)
        // Aliases are part of the key.
        let a = try filter("Name eq @n", ["@n": "'a'"])
        let b = try filter("Name eq @n", ["@n": "'b'"])
        #expect(a != b)
        #expect(try filter("Name eq @n", ["@n": "'a'"]) == a)
        #expect(parses == 4)
        // The option is part of the key: the same text as $orderby is parsed as $orderby.
        let ordered = try cache.parsed(.orderBy, "BasePrice gt 100", aliases: [:]) { () throws(QuerySyntaxError) in
            .orderBy(try QueryParser.orderBy("BasePrice gt 100"))
        }
        guard case .orderBy = ordered else {
            Issue.record("a $filter parse answered an $orderby")
            return
        }
        #expect(cache.count == 5)
        // Errors: thrown each time, not kept.
        #expect(throws: QuerySyntaxError.self) { try filter("Name eq") }
        #expect(throws: QuerySyntaxError.self) { try filter("Name eq") }
        #expect(parses == 6)
        #expect(cache.count == 5)
        // Long texts are parsed every time and not kept.
        let long = "Name eq '" + String(repeating: "x", count: ParsedQueryOptionCache.textLimit) + "'"
        _ = try filter(long)
        _ = try filter(long)
        #expect(parses == 8)
        #expect(cache.count == 5)
    }

    @Test("past its limit the cache starts over")
    func limit() throws {
        let cache = ParsedQueryOptionCache()
        for price in 0..<ParsedQueryOptionCache.entryLimit {
            _ = try cache.parsed(.filter, "BasePrice gt \(price)", aliases: [:]) { () throws(QuerySyntaxError) in
                .filter(try QueryParser.filter("BasePrice gt \(price)"))
            }
        }
        #expect(cache.count == ParsedQueryOptionCache.entryLimit)
        _ = try cache.parsed(.filter, "BasePrice gt -1", aliases: [:]) { () throws(QuerySyntaxError) in
            .filter(try QueryParser.filter("BasePrice gt -1"))
        }
        #expect(cache.count == 1)
    }

    @Test("query options read through the shared cache: the same criteria, aliases resolved per request; errors name the option")
    func options() throws {
        for _ in 0..<2 {
            let options = try QueryOptions([("$filter", "Name eq @n"), ("@n", "'Lamp'"), ("$orderby", "Name desc"), ("$select", "Name,ItemId")])
            #expect(options.criteria.filter == (try QueryParser.filter("Name eq 'Lamp'")))
            #expect(options.criteria.orderBy == (try QueryParser.orderBy("Name desc")))
            #expect(options.select == [["Name"], ["ItemId"]])
            let other = try QueryOptions([("$filter", "Name eq @n"), ("@n", "'Desk'")])
            #expect(other.criteria.filter == (try QueryParser.filter("Name eq 'Desk'")))
            #expect(try QueryOptions([("$select", "*")]).select == nil)
            #expect(throws: ODataError.self) { try QueryOptions([("$filter", "Name eq")]) }
        }
    }
}
