import CommerceQuery
import Testing

/// Every syntax error names the right position, in the message and in `position`.
@Suite struct QueryParserErrorTests {
    func filterError(_ text: String, aliases: [String: String] = [:]) -> QuerySyntaxError? {
        do {
            let parsed = try QueryParser.filter(text, aliases: aliases)
            Issue.record("parsed \(text.prefix(60)) as \(String(describing: parsed).prefix(200))")
            return nil
        } catch {
            #expect(error.message.hasSuffix("at position \(error.position)"))
            return error
        }
    }

    @Test(arguments: [
        ("Name eq", 7, "expected an expression"),
        ("Name eq 'abc", 8, "unterminated string literal"),
        ("(Name eq 1", 10, "expected ')'"),
        ("foo(1)", 0, "unknown function 'foo'"),
        ("Name eq 1 and foo(1)", 14, "unknown function 'foo'"),
        ("substring(Name)", 0, "substring expects 2 to 3 arguments, got 1"),
        ("contains(Name)", 0, "contains expects 2 arguments, got 1"),
        ("now(1)", 0, "now expects 0 arguments, got 1"),
        ("Price gt 1..2", 11, "expected a digit after the decimal point"),
        ("Price gt 1.5x", 12, "unexpected character 'x' after a literal"),
        ("Price gt 1e", 11, "expected a digit in the exponent"),
        ("Name eq 1 2", 10, "unexpected literal"),
        ("Name eq 1 and", 13, "expected an expression"),
        ("contains(Name,'a'", 17, "expected ')'"),
        ("Name eq -", 9, "expected an expression"),
        ("Name eq \"x\"", 8, "unexpected character '\"'"),
        ("$it eq 1", 0, "unexpected character '$'"),
        ("Name/", 5, "expected a property name after '/'"),
        ("Name eq )", 8, "unexpected ')'"),
        ("(Name eq 1))", 11, "unexpected ')'"),
        ("(Name eq 1 Id)", 11, "expected ')' or an operator, found 'Id'"),
        ("", 0, "expected an expression"),
        ("CategoryIds/all()", 12, "all requires a lambda variable and a predicate"),
        ("CategoryIds/any(c c eq 1)", 18, "expected ':' after the lambda variable"),
        ("CategoryIds/any(1: true)", 16, "expected a lambda variable name"),
        ("A/any(c: B/any(c: true))", 15, "lambda variable 'c' is already in use"),
        ("Name in ()", 9, "unexpected ')'"),
        ("Name in 1", 8, "expected '(' and a list of values after 'in'"),
        ("D eq 2024-13-01", 5, "invalid date"),
        ("D eq 2023-02-29", 5, "invalid date"),
        ("D eq 2024-1-31", 11, "expected a digit"),
        ("D gt 2024-01-31T25:00:00Z", 5, "invalid time of day"),
        ("D gt 2024-01-31T10:00", 21, "expected 'Z' or a time-zone offset such as +02:00"),
        ("D gt 2024-01-31T10:00:00.0001Z", 28, "date-times are precise to milliseconds"),
        ("N eq 12345678901234567890123456789012345678901", 5, "a number has more than 38 significant digits"),
        ("N eq 1e999", 5, "a number is out of range"),
        ("N eq 1e1000", 5, "the exponent of a number is out of range"),
        ("Type eq Sales.Pattern'Yellow'", 13, "qualified names and typed literals such as Sales'...' are not supported"),
        ("Name eq @", 9, "expected a parameter alias name after '@'"),
        ("Name eq @p", 8, "unknown parameter alias @p"),
    ])
    func position(text: String, position: Int, reason: String) {
        guard let error = filterError(text) else { return }
        #expect(error.position == position, "\(text)")
        #expect(error.message == "\(reason) at position \(position)")
    }

    @Test func errorsInsideAliasValuesPointAtTheReference() {
        let error = filterError("Id eq 1 or Name eq @p", aliases: ["@p": "Name eq"])
        #expect(error?.position == 19)
        #expect(error?.message == "the value of parameter alias @p is invalid: expected an expression (at position 7 of the value) at position 19")
        #expect(filterError("Name eq @p", aliases: ["@p": "@p"])?.position == 8)
        #expect(filterError("Id in @l", aliases: ["@l": "(1,"])?.position == 6)
    }

    @Test func deepNestingIsRefused() {
        let parentheses = String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000)
        let error = filterError(parentheses)
        #expect(error?.position == 100)
        #expect(error?.message == "the expression is nested more than 100 levels deep at position 100")
        #expect(filterError(String(repeating: "not ", count: 1000) + "A")?.position == 400)
        #expect(filterError(String(repeating: "-", count: 1000) + "A") != nil)
        // A call and its argument list are two levels.
        #expect(filterError(String(repeating: "length(", count: 500) + "A" + String(repeating: ")", count: 500))?.position == 350)
        // A flat chain deeper than the limit, one tree level per operator.
        let chain = (0..<200).map { "A eq \($0)" }.joined(separator: " or ")
        #expect(filterError(chain)?.message.contains("nested more than 100 levels") == true)
        #expect(throws: QuerySyntaxError.self) { try QueryParser.search(String(repeating: "(", count: 1000) + "a") }
        #expect(throws: QuerySyntaxError.self) { try QueryParser.search(String(repeating: "NOT ", count: 1000) + "a") }
    }

    @Test func exponentialAliasesAreRefused() {
        var aliases: [String: String] = [:]
        for level in 0..<30 { aliases["@a\(level)"] = "@a\(level + 1) add @a\(level + 1)" }
        aliases["@a30"] = "1"
        let error = filterError("@a0 eq 1", aliases: aliases)
        #expect(error?.message.contains("too large") == true)
    }

    @Test func longTextIsRefused() {
        let text = "Name eq '" + String(repeating: "x", count: 100_000) + "'"
        #expect(filterError(text)?.position == 8192)
        #expect(filterError(text)?.message == "the query option is longer than 8192 characters at position 8192")
        #expect((try? QueryParser.filter("Name eq '" + String(repeating: "x", count: 8000) + "'")) != nil)
        #expect(throws: QuerySyntaxError.self) { try QueryParser.search(String(repeating: "a ", count: 50_000)) }
        #expect(throws: QuerySyntaxError.self) { try QueryParser.select(String(repeating: "A,", count: 50_000)) }
        #expect(throws: QuerySyntaxError.self) { try QueryParser.orderBy(String(repeating: "A,", count: 50_000)) }
    }

    @Test(arguments: [
        ("Name desc asc", 10, "expected ',', 'asc', 'desc' or the end of $orderby"),
        ("Name,", 5, "expected an expression"),
        ("", 0, "expected an expression"),
    ])
    func orderByErrors(text: String, position: Int, reason: String) {
        expectError(position, reason) { () throws(QuerySyntaxError) in _ = try QueryParser.orderBy(text) }
    }

    @Test(arguments: [
        ("Name,,Id", 5, "expected a property name"),
        ("Name(", 4, "nested options in $select are not supported"),
        ("Name Id", 5, "expected ',' or the end of $select"),
        ("", 0, "expected a property name"),
        ("Address/", 8, "expected a property name"),
    ])
    func selectErrors(text: String, position: Int, reason: String) {
        expectError(position, reason) { () throws(QuerySyntaxError) in _ = try QueryParser.select(text) }
    }

    @Test(arguments: [
        ("\"abc", 0, "unterminated phrase"),
        ("a AND", 5, "expected a search term"),
        ("(a", 2, "expected ')'"),
        ("OR a", 0, "unexpected 'OR'"),
        ("a)", 1, "unexpected ')'"),
        ("\"\"", 0, "empty phrase"),
        ("\"a\\b\"", 2, "only \\\" and \\\\ may be escaped in a phrase"),
        ("", 0, "expected a search term"),
    ])
    func searchErrors(text: String, position: Int, reason: String) {
        expectError(position, reason) { () throws(QuerySyntaxError) in _ = try QueryParser.search(text) }
    }
}

func expectError(_ position: Int, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(QuerySyntaxError) -> Void) {
    do {
        try body()
        Issue.record("no error", sourceLocation: sourceLocation)
    } catch {
        #expect(error.position == position, sourceLocation: sourceLocation)
        #expect(error.message == "\(reason) at position \(position)", sourceLocation: sourceLocation)
    }
}
