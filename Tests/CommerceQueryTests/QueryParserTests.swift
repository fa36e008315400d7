import CommerceQuery
import Foundation
import Testing

func property(_ path: String...) -> QueryExpression { .property(path) }
func integer(_ value: Int64) -> QueryExpression { .literal(.integer(value)) }
func string(_ value: String) -> QueryExpression { .literal(.string(value)) }
func binary(_ op: BinaryOperator, _ left: QueryExpression, _ right: QueryExpression) -> QueryExpression { .binary(op, left, right) }

@Suite struct FilterParserTests {
    @Test func comparison() throws {
        #expect(try QueryParser.filter("Name eq 'Milk'") == binary(.eq, property("Name"), string("Milk")))
    }

    @Test func andBindsTighterThanOr() throws {
        let parsed = try QueryParser.filter("A eq 1 or B eq 2 and C eq 3")
        let expected = binary(.or, binary(.eq, property("A"), integer(1)), binary(.and, binary(.eq, property("B"), integer(2)), binary(.eq, property("C"), integer(3))))
        #expect(parsed == expected)
    }

    @Test func arithmeticPrecedence() throws {
        let parsed = try QueryParser.filter("A add B mul C eq D")
        #expect(parsed == binary(.eq, binary(.add, property("A"), binary(.mul, property("B"), property("C"))), property("D")))
    }

    @Test func binaryOperatorsAssociateLeft() throws {
        #expect(try QueryParser.filter("A sub B sub C eq 0") == binary(.eq, binary(.sub, binary(.sub, property("A"), property("B")), property("C")), integer(0)))
        #expect(try QueryParser.filter("A div B divby C mod D eq 0")
            == binary(.eq, binary(.mod, binary(.divby, binary(.div, property("A"), property("B")), property("C")), property("D")), integer(0)))
    }

    @Test func relationalBindsTighterThanEquality() throws {
        #expect(try QueryParser.filter("A gt 1 eq true") == binary(.eq, binary(.gt, property("A"), integer(1)), .literal(.boolean(true))))
    }

    @Test func unaryBindsTighterThanBinary() throws {
        #expect(try QueryParser.filter("not A eq B") == binary(.eq, .unary(.not, property("A")), property("B")))
        #expect(try QueryParser.filter("-A add 1 eq 0") == binary(.eq, binary(.add, .unary(.negate, property("A")), integer(1)), integer(0)))
        #expect(try QueryParser.filter("not (A eq B)") == .unary(.not, binary(.eq, property("A"), property("B"))))
        #expect(try QueryParser.filter("not not A") == .unary(.not, .unary(.not, property("A"))))
    }

    @Test func inAndHasBindAsPrimary() throws {
        #expect(try QueryParser.filter("A in (1, 2) eq false") == binary(.eq, .inList(property("A"), [integer(1), integer(2)]), .literal(.boolean(false))))
        #expect(try QueryParser.filter("A add B in (1)") == binary(.add, property("A"), .inList(property("B"), [integer(1)])))
        #expect(try QueryParser.filter("not A in ('x')") == .unary(.not, .inList(property("A"), [string("x")])))
        #expect(try QueryParser.filter("Style has 'Yellow'") == binary(.has, property("Style"), string("Yellow")))
    }

    @Test func operatorsAndFunctionNamesAreCaseInsensitive() throws {
        #expect(try QueryParser.filter("Name EQ 'a' AND Id Gt 1") == binary(.and, binary(.eq, property("Name"), string("a")), binary(.gt, property("Id"), integer(1))))
        #expect(try QueryParser.filter("CONTAINS(Name,'a')") == .function(.contains, [property("Name"), string("a")]))
    }

    @Test func parenthesesGroup() throws {
        #expect(try QueryParser.filter("(A add B) mul C eq 0") == binary(.eq, binary(.mul, binary(.add, property("A"), property("B")), property("C")), integer(0)))
        #expect(try QueryParser.filter("((((A))))") == property("A"))
    }

    @Test func whitespaceIsFlexible() throws {
        #expect(try QueryParser.filter("  Name\teq\n'a'  ") == binary(.eq, property("Name"), string("a")))
        #expect(try QueryParser.filter("contains( Name , 'a' )") == .function(.contains, [property("Name"), string("a")]))
    }

    @Test func propertyPaths() throws {
        #expect(try QueryParser.filter("Address/City eq 'Oslo'") == binary(.eq, .property(["Address", "City"]), string("Oslo")))
        #expect(try QueryParser.filter("_private1 eq 1") == binary(.eq, property("_private1"), integer(1)))
    }

    @Test(arguments: [
        ("null", QueryLiteral.null),
        ("true", .boolean(true)),
        ("FALSE", .boolean(false)),
        ("42", .integer(42)),
        ("-5", .integer(-5)),
        ("0", .integer(0)),
        ("9223372036854775807", .integer(.max)),
        ("-9223372036854775808", .integer(.min)),
        ("9223372036854775808", .decimal(Decimal(string: "9223372036854775808")!)),
        ("1.5", .decimal(Decimal(string: "1.5")!)),
        ("-0.25", .decimal(Decimal(string: "-0.25")!)),
        ("1.5e3", .decimal(1500)),
        ("2.5E-2", .decimal(Decimal(string: "0.025")!)),
        ("1e2", .decimal(100)),
        ("'it''s'", .string("it's")),
        ("''", .string("")),
        ("'ünïcödé ✓'", .string("ünïcödé ✓")),
        ("2024-01-31", .date("2024-01-31")),
        ("2024-02-29", .date("2024-02-29")),
        ("2024-01-31T10:00:00Z", .dateTimeOffset(epochMilliseconds: 1_706_695_200_000, text: "2024-01-31T10:00:00Z")),
        ("2024-01-31T12:00:00+02:00", .dateTimeOffset(epochMilliseconds: 1_706_695_200_000, text: "2024-01-31T12:00:00+02:00")),
        ("2024-01-31T05:30:00-04:30", .dateTimeOffset(epochMilliseconds: 1_706_695_200_000, text: "2024-01-31T05:30:00-04:30")),
        ("2024-01-31T10:00Z", .dateTimeOffset(epochMilliseconds: 1_706_695_200_000, text: "2024-01-31T10:00Z")),
        ("2024-01-31T10:00:00.123Z", .dateTimeOffset(epochMilliseconds: 1_706_695_200_123, text: "2024-01-31T10:00:00.123Z")),
        ("2024-01-31T10:00:00.5000000Z", .dateTimeOffset(epochMilliseconds: 1_706_695_200_500, text: "2024-01-31T10:00:00.5000000Z")),
        ("1969-12-31T23:59:59.999Z", .dateTimeOffset(epochMilliseconds: -1, text: "1969-12-31T23:59:59.999Z")),
        ("1970-01-01T00:00:00Z", .dateTimeOffset(epochMilliseconds: 0, text: "1970-01-01T00:00:00Z")),
        ("01234567-89AB-cdef-0123-456789ABCDEF", .guid("01234567-89ab-cdef-0123-456789abcdef")),
        ("abcdef01-2345-6789-abcd-ef0123456789", .guid("abcdef01-2345-6789-abcd-ef0123456789")),
    ])
    func literal(text: String, expected: QueryLiteral) throws {
        #expect(try QueryParser.filter("X eq \(text)") == binary(.eq, property("X"), .literal(expected)))
    }

    @Test func everyFunction() throws {
        let cases: [(String, QueryFunction, Int)] = [
            ("contains(Name,'a')", .contains, 2), ("startswith(Name,'a')", .startswith, 2), ("endswith(Name,'a')", .endswith, 2),
            ("indexof(Name,'a')", .indexof, 2), ("substring(Name,1)", .substring, 2), ("substring(Name,1,2)", .substring, 3),
            ("tolower(Name)", .tolower, 1), ("toupper(Name)", .toupper, 1), ("trim(Name)", .trim, 1), ("length(Name)", .length, 1),
            ("concat(Name,'x')", .concat, 2), ("year(D)", .year, 1), ("month(D)", .month, 1), ("day(D)", .day, 1),
            ("hour(D)", .hour, 1), ("minute(D)", .minute, 1), ("second(D)", .second, 1), ("date(D)", .date, 1), ("now()", .now, 0),
            ("round(P)", .round, 1), ("floor(P)", .floor, 1), ("ceiling(P)", .ceiling, 1),
        ]
        #expect(Set(cases.map(\.1)) == Set(QueryFunction.allCases))
        for (text, function, count) in cases {
            let parsed = try QueryParser.filter("\(text) eq 1")
            guard case .binary(.eq, .function(let name, let arguments), _) = parsed else {
                Issue.record("\(text) parsed as \(parsed)")
                continue
            }
            #expect(name == function)
            #expect(arguments.count == count)
        }
        #expect(try QueryParser.filter("substring(Name,1,2) eq 'x'") == binary(.eq, .function(.substring, [property("Name"), integer(1), integer(2)]), string("x")))
        #expect(try QueryParser.filter("contains(tolower(Name),concat('a','b'))")
            == .function(.contains, [.function(.tolower, [property("Name")]), .function(.concat, [string("a"), string("b")])]))
    }

    @Test func lambdas() throws {
        #expect(try QueryParser.filter("CategoryIds/any(c: c eq 5)")
            == .lambda(.any, collection: property("CategoryIds"), variable: "c", predicate: binary(.eq, .lambdaVariable(name: "c", path: []), integer(5))))
        #expect(try QueryParser.filter("CategoryIds/any()") == .lambda(.any, collection: property("CategoryIds"), variable: nil, predicate: nil))
        #expect(try QueryParser.filter("Lines/ALL(l:l/Quantity gt 1 and l/Price lt Price)")
            == .lambda(.all, collection: property("Lines"), variable: "l", predicate: binary(
                .and,
                binary(.gt, .lambdaVariable(name: "l", path: ["Quantity"]), integer(1)),
                binary(.lt, .lambdaVariable(name: "l", path: ["Price"]), property("Price"))
            )))
        #expect(try QueryParser.filter("Lines/any(l: l/Tags/any(t: t eq l/Name))")
            == .lambda(.any, collection: property("Lines"), variable: "l", predicate: .lambda(
                .any, collection: .lambdaVariable(name: "l", path: ["Tags"]), variable: "t",
                predicate: binary(.eq, .lambdaVariable(name: "t", path: []), .lambdaVariable(name: "l", path: ["Name"]))
            )))
        // Outside the lambda the name is a property again.
        #expect(try QueryParser.filter("A/any(c: c eq 1) and c eq 2")
            == binary(.and, .lambda(.any, collection: property("A"), variable: "c", predicate: binary(.eq, .lambdaVariable(name: "c", path: []), integer(1))), binary(.eq, property("c"), integer(2))))
    }

    @Test func aliases() throws {
        #expect(try QueryParser.filter("Name eq @p", aliases: ["@p": "'Milk'"]) == binary(.eq, property("Name"), string("Milk")))
        #expect(try QueryParser.filter("@x gt 5", aliases: ["@x": "Price add 1"]) == binary(.gt, binary(.add, property("Price"), integer(1)), integer(5)))
        #expect(try QueryParser.filter("Id in @list", aliases: ["@list": "(1, 2)"]) == .inList(property("Id"), [integer(1), integer(2)]))
        #expect(try QueryParser.filter("Name eq @a", aliases: ["@a": "@b", "@b": "'x'"]) == binary(.eq, property("Name"), string("x")))
    }

    @Test func codableRoundTrip() throws {
        let parsed = try QueryParser.filter("Lines/any(l: l/Price mul 1.5 gt 2) or not contains(Name,'x') and Created lt 2024-01-31T10:00:00Z")
        let decoded = try JSONDecoder().decode(QueryExpression.self, from: try JSONEncoder().encode(parsed))
        #expect(decoded == parsed)
    }
}

@Suite struct OtherOptionTests {
    @Test func orderBy() throws {
        #expect(try QueryParser.orderBy("Name desc, Price,length(Name) ASC") == [
            OrderByItem(property("Name"), descending: true),
            OrderByItem(property("Price")),
            OrderByItem(.function(.length, [property("Name")])),
        ])
        #expect(try QueryParser.orderBy("Price mul @f desc", aliases: ["@f": "2"]) == [OrderByItem(binary(.mul, property("Price"), integer(2)), descending: true)])
    }

    @Test func select() throws {
        #expect(try QueryParser.select("Name, Address/City,*") == [["Name"], ["Address", "City"], ["*"]])
        #expect(try QueryParser.select("RecordId") == [["RecordId"]])
    }

    @Test func search() throws {
        #expect(try QueryParser.search("blue shoes") == .and(.word("blue"), .word("shoes")))
        #expect(try QueryParser.search("\"red wine\" OR beer") == .or(.phrase("red wine"), .word("beer")))
        #expect(try QueryParser.search("NOT cheap") == .not(.word("cheap")))
        #expect(try QueryParser.search("a OR b c") == .or(.word("a"), .and(.word("b"), .word("c"))))
        #expect(try QueryParser.search("a AND (b OR c)") == .and(.word("a"), .or(.word("b"), .word("c"))))
        #expect(try QueryParser.search("NOT a b") == .and(.not(.word("a")), .word("b")))
        #expect(try QueryParser.search("a and b") == .and(.and(.word("a"), .word("and")), .word("b")))
        #expect(try QueryParser.search(#""say \"hi\" \\ now""#) == .phrase(#"say "hi" \ now"#))
        #expect(try QueryParser.search("50% off-season") == .and(.word("50%"), .word("off-season")))
    }
}
