import CommerceQuery
import Testing

/// `$expand`: navigation paths with nested options, parsed by the same parsers as top-level ones.
@Suite struct ExpandParserTests {
    @Test func plainAndNestedItems() throws {
        let items = try QueryParser.expand("Categories, Products($select=Name;$top=2)")
        #expect(items.map(\.path) == [["Categories"], ["Products"]])
        #expect(items[0] == ExpandItem(path: ["Categories"]))
        #expect(items[1].select == [["Name"]] && items[1].top == 2 && items[1].skip == 0)
    }

    @Test func everyNestedOption() throws {
        let text = "Categories($filter=contains(Name,'a;b)');$orderby=Name desc;$select=Name,RecordId;$top=3;$skip=1;$count=true;$search=shirt;$expand=Products($top=1))"
        let item = try #require(try QueryParser.expand(text).first)
        #expect(item.criteria.filter == .function(.contains, [.property(["Name"]), .literal(.string("a;b)"))]))
        #expect(item.criteria.orderBy == [OrderByItem(.property(["Name"]), descending: true)])
        #expect(item.criteria.search != nil)
        #expect(item.select == [["Name"], ["RecordId"]])
        #expect(item.top == 3 && item.skip == 1 && item.count)
        #expect(item.expand.map(\.path) == [["Products"]] && item.expand.first?.top == 1)
        #expect(item.depth == 2)
        // The options as written, for next links of the nested collection.
        #expect(item.rawOptions.first == "$filter=contains(Name,'a;b)')")
    }

    @Test func starAndLevels() throws {
        #expect(try QueryParser.expand("*").map(\.path) == [["*"]])
        #expect(try QueryParser.expand("Categories($levels=2)").first?.levels == "2")
    }

    @Test func aliasesReachNestedFilters() throws {
        let item = try #require(try QueryParser.expand("Categories($filter=Name eq @n)", aliases: ["@n": "'Shirts'"]).first)
        #expect(item.criteria.filter == .binary(.eq, .property(["Name"]), .literal(.string("Shirts"))))
    }

    @Test(arguments: [
        ("Categories(", 11, "'(' without a matching ')'"),
        ("Categories)", 10, "')' without a matching '('"),
        ("Categories($top=-1)", 16, "$top must be a non-negative integer"),
        ("Categories($top=1;$top=2)", 18, "$top is given more than once"),
        ("Categories($filter=Name eq)", 26, "expected an expression"),
        ("Categories($format=json)", 11, "'$format' is not an option of $expand"),
        ("Categories($top)", 11, "expected an option such as $top=5"),
        ("Categories/$ref", 11, "$ref in $expand is not supported"),
        ("1Categories", 0, "expected a navigation property name"),
        ("Categories,", 11, "expected a navigation property"),
        ("Categories($filter=Name eq 'x)", 30, "a string literal is not closed"),
        ("A($expand=B($expand=C($expand=D)))", 30, "$expand nests at most 3 levels"),
        ("*($top=1)", 1, "'*' in $expand takes no options"),
    ])
    func errorsNameTheirPosition(text: String, position: Int, message: String) {
        do {
            let items = try QueryParser.expand(text)
            Issue.record("parsed \(text) as \(items)")
        } catch {
            #expect(error.message.hasPrefix(message), "\(error.message)")
            #expect(error.position == position, "\(error.message)")
            #expect(error.message.hasSuffix("at position \(error.position)"))
        }
    }
}
