import Foundation
import Testing

/// Query options over real HTTP against the demo catalog on SQLite.
@Suite("Query options end to end", .serialized)
struct QueryOptionsEndToEndTests {
    private func error(_ result: HTTPResult) -> [String: Any] { result.json?["error"] as? [String: Any] ?? [:] }

    @Test("filter, select, orderby, search, count, aliases and paging by nextLink")
    func queryOptions() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()], environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "25"])

        let filtered = try await host.get("/Commerce/Products?$filter=BasePrice%20gt%20100%20and%20contains(Name,'Shirt')&$select=Name,BasePrice&$orderby=BasePrice%20desc,Name&$count=true&$top=3")
        #expect(filtered.status == 200)
        #expect((filtered.json?["@odata.context"] as? String)?.hasSuffix("$metadata#Products(Name,BasePrice)") == true)
        let rows = filtered.json?["value"] as? [[String: Any]] ?? []
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { Set($0.keys.filter { !$0.hasPrefix("@") }) == ["Name", "BasePrice"] })
        #expect(rows.allSatisfy { ($0["Name"] as? String)?.contains("Shirt") == true && ($0["BasePrice"] as? Double ?? 0) > 100 })
        let prices = rows.compactMap { $0["BasePrice"] as? Double }
        #expect(prices == prices.sorted(by: >))
        let total = filtered.json?["@odata.count"] as? Int ?? 0
        #expect(total > 3)
        #expect(try await host.get("/Commerce/Products/$count?$filter=BasePrice%20gt%20100%20and%20contains(Name,'Shirt')").text == "\(total)")

        let aliased = try await host.get("/Commerce/Products?$filter=ItemId%20eq%20@item&@item='P00001'&$select=RecordId")
        #expect((aliased.json?["value"] as? [[String: Any]])?.map { $0["RecordId"] as? Int } == [68_719_476_737])

        // Option names may be percent-encoded, as some clients send them.
        let encodedNames = try await host.get("/Commerce/Products?%24top=1&%24select=RecordId")
        #expect((encodedNames.json?["value"] as? [[String: Any]])?.count == 1)

        let searched = try await host.get("/Commerce/Products?$search=shirt&$count=true&$top=0")
        #expect((searched.json?["@odata.count"] as? Int ?? 0) > 0)

        // Server-driven paging keeps the filter and order on every next link, to the end.
        var next: URL? = host.url("/Commerce/Products?$filter=CategoryIds/any(c:c%20eq%205637145327)&$orderby=Name&$select=RecordId,Name")
        var names: [String] = []
        var pages = 0
        while let url = next, pages < 100 {
            let page = try await HTTPResult.send("GET", url, headers: [:], body: nil)
            #expect(page.status == 200)
            names += (page.json?["value"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
            next = (page.json?["@odata.nextLink"] as? String).flatMap(URL.init(string:))
            if let link = next?.absoluteString { #expect(link.contains("$filter=") && link.contains("$orderby=Name")) }
            pages += 1
        }
        let expectedCount = try await host.get("/Commerce/Products/$count?$filter=CategoryIds/any(c:c%20eq%205637145327)").text
        #expect(pages > 1)
        #expect("\(names.count)" == expectedCount)
        #expect(names == names.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes(Array($1.unicodeScalars.map(\.value))) })

        let categories = try await host.get("/Commerce/Categories?$filter=ParentCategory%20eq%20null&$select=Name&$orderby=Name")
        #expect((categories.json?["value"] as? [[String: Any]])?.compactMap { $0["Name"] as? String } == ["Clothing", "Electronics", "Home", "Outdoors"])
        #expect(await host.stop() == 0)
    }

    @Test("$expand with nested options, and navigation paths with query options and paging")
    func expandAndNavigation() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()], environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "25"])
        let shirts: Int64 = 5_637_145_327

        // Product -> Categories, nested select, and the level below: Categories -> Products.
        let product = try await host.get("/Commerce/Products(68719476737)?$select=Name&$expand=Categories($select=Name;$expand=Products($select=RecordId;$orderby=Name;$top=2;$count=true))")
        #expect(product.status == 200, "\(product.text)")
        #expect((product.json?["@odata.context"] as? String)?.hasSuffix("#Products(Name,Categories(Name,Products(RecordId)))/$entity") == true, "\(product.text)")
        let categories = product.json?["Categories"] as? [[String: Any]] ?? []
        #expect(categories.map { $0["Name"] as? String } == ["Shirts"])
        let nested = categories.first?["Products"] as? [[String: Any]] ?? []
        #expect(nested.count == 2 && nested.allSatisfy { Set($0.keys) == ["RecordId"] })
        // The nested page equals the same query asked of the navigation path directly.
        let direct = try await host.get("/Commerce/Categories(\(shirts))/Products?$select=RecordId&$orderby=Name&$top=2&$count=true")
        #expect((direct.json?["value"] as? [[String: Any]])?.compactMap { $0["RecordId"] as? Int } == nested.compactMap { $0["RecordId"] as? Int })
        let count = categories.first?["Products@odata.count"] as? Int
        #expect(count != nil && count == direct.json?["@odata.count"] as? Int)
        #expect(try await host.get("/Commerce/Categories(\(shirts))/Products/$count").text == "\(count ?? -1)")
        #expect(try await host.get("/Commerce/Products/$count?$filter=CategoryIds/any(c:c%20eq%20\(shirts))").text == "\(count ?? -1)")

        // A nested filter on a collection of products: each product's own categories that pass.
        let page = try await host.get("/Commerce/Products?$top=5&$select=RecordId,CategoryIds&$expand=Categories($filter=Name%20eq%20'Shirts';$select=RecordId)")
        for row in page.json?["value"] as? [[String: Any]] ?? [] {
            let expected = (row["CategoryIds"] as? [Int] ?? []).contains(Int(shirts)) ? [Int(shirts)] : []
            #expect((row["Categories"] as? [[String: Any]])?.compactMap { $0["RecordId"] as? Int } == expected, "\(row)")
        }

        // A nested collection longer than the page size carries its own next link, which keeps
        // the nested options; following it reaches every product of the category once.
        let expandedCategory = try await host.get("/Commerce/Categories(\(shirts))?$expand=Products($select=RecordId;$orderby=Name)")
        var ids = (expandedCategory.json?["Products"] as? [[String: Any]] ?? []).compactMap { $0["RecordId"] as? Int }
        #expect(ids.count == 25)
        var next = (expandedCategory.json?["Products@odata.nextLink"] as? String).flatMap(URL.init(string:))
        #expect(next?.absoluteString.contains("/Categories(\(shirts))/Products?") == true && next?.absoluteString.contains("$orderby=Name") == true)
        var pages = 0
        while let url = next, pages < 50 {
            let following = try await HTTPResult.send("GET", url, headers: [:], body: nil)
            #expect(following.status == 200)
            ids += (following.json?["value"] as? [[String: Any]] ?? []).compactMap { $0["RecordId"] as? Int }
            next = (following.json?["@odata.nextLink"] as? String).flatMap(URL.init(string:))
            pages += 1
        }
        #expect(ids.count == count && Set(ids).count == ids.count)

        // The other direction as a path, with its own options.
        let ofProduct = try await host.get("/Commerce/Products(68719476737)/Categories?$select=Name")
        #expect((ofProduct.json?["@odata.context"] as? String)?.hasSuffix("#Categories(Name)") == true)
        #expect((ofProduct.json?["value"] as? [[String: Any]])?.compactMap { $0["Name"] as? String } == ["Shirts"])

        // What is not there or not built is said so.
        #expect(try await host.get("/Commerce/Products?$expand=Nope").status == 400)
        #expect(try await host.get("/Commerce/Products?$expand=Categories($expand=Products($expand=Categories($expand=Products)))").status == 400)
        #expect(try await host.get("/Commerce/Products?$expand=Categories($levels=2)").status == 501)
        #expect(try await host.get("/Commerce/Products(1)/Categories").status == 404)
        #expect(await host.stop() == 0)
    }

    @Test("Products/GetActivePrices: prices of the channel, a customer's only for that customer")
    func activePrices() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        let json = ["Content-Type": "application/json"]
        let prices = try await host.send("POST", "/Commerce/Products/GetActivePrices", headers: json, body: #"{"productIds":[68719476737,68719476738]}"#)
        #expect(prices.status == 200, "\(prices.text)")
        let rows = prices.json?["value"] as? [[String: Any]] ?? []
        #expect(rows.compactMap { $0["ProductId"] as? Int } == [68_719_476_737, 68_719_476_738])
        // Demo product 1: 5.99, 10% less for the online store's price group.
        #expect(rows.first?["BasePrice"] as? Double == 5.99 && rows.first?["AdjustedPrice"] as? Double == 5.39, "\(prices.text)")
        let someoneElses = try await host.send(
            "POST", "/Commerce/Products/GetActivePrices", headers: json, body: #"{"productIds":[68719476737],"customerId":"004011"}"#
        )
        #expect(someoneElses.status == 403)
        #expect(try await host.send("POST", "/Commerce/Products/GetActivePrices", headers: json, body: #"{"productIds":[]}"#).status == 400)
        #expect(try await host.send("POST", "/Commerce/Products/GetActivePrices", headers: json, body: #"{"productIds":"x"}"#).status == 400)
        #expect(await host.stop() == 0)
    }

    @Test("bad and hostile query options: clear 4xx, nothing served wrong, the host keeps serving")
    func hostileInput() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()], environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "25"])

        let incomplete = try await host.get("/Commerce/Products?$filter=Name%20eq")
        #expect(incomplete.status == 400)
        #expect(error(incomplete)["target"] as? String == "$filter")
        #expect((error(incomplete)["message"] as? String)?.contains("position 7") == true)

        for bad in [
            "$filter=Nope%20eq%201", "$filter=Name%20gt%205", "$filter=substring(Name)", "$filter=(Name%20eq%20'a'",
            "$orderby=Nope", "$select=Bogus", "$expand=Nothing", "$top=abc", "$skip=-3", "$count=maybe", "$unknown=1",
            "$filter=BasePrice%20eq%201.0000001", "$filter=Name%20eq%20@missing", "$top=1&$top=2",
        ] {
            let result = try await host.get("/Commerce/Products?\(bad)")
            #expect(result.status == 400, "\(bad)")
            #expect(error(result)["code"] != nil, "\(bad)")
        }

        // Deep nesting and very long filters are refused, not crashed on.
        let deep = String(repeating: "(", count: 5_000) + "true" + String(repeating: ")", count: 5_000)
        #expect(try await host.get("/Commerce/Products?$filter=\(deep)").status == 400)
        let long = "Name%20eq%20'" + String(repeating: "a", count: 20_000) + "'"
        let longResult = try await host.get("/Commerce/Products?$filter=\(long)")
        #expect([400, 414, 431].contains(longResult.status))

        // A huge $top is served a page at a time.
        let huge = try await host.get("/Commerce/Products?$top=999999999&$select=RecordId")
        #expect(huge.status == 200)
        #expect((huge.json?["value"] as? [Any])?.count == 25)
        #expect(huge.json?["@odata.nextLink"] != nil)

        // SQL injection attempts are plain values that match nothing.
        let injected = try await host.get("/Commerce/Products?$filter=Name%20eq%20'x''%20OR%201=1%20--'")
        #expect(injected.status == 200)
        #expect((injected.json?["value"] as? [Any])?.isEmpty == true)
        let injectedOrder = try await host.get("/Commerce/Products?$orderby=Name;DROP%20TABLE%20products")
        #expect(injectedOrder.status == 400)

        // Still serving, and the catalog is intact.
        #expect(try await host.get("/Commerce/Products/$count").text == "1140")
        #expect(await host.stop() == 0)
    }

    @Test("Products/Search: bound action by plain and qualified name, bodies checked")
    func search() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        let body = #"{"searchCriteria":{"SearchCondition":"shirt","CategoryIds":[5637145327],"Context":{"ChannelId":5637144592,"CatalogId":0}}}"#
        let json = ["Content-Type": "application/json"]

        let found = try await host.send("POST", "/Commerce/Products/Search?$select=Name,CategoryIds&$top=5", headers: json, body: body)
        #expect(found.status == 200)
        let rows = found.json?["value"] as? [[String: Any]] ?? []
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { ($0["Name"] as? String)?.lowercased().contains("shirt") == true })
        #expect(rows.allSatisfy { ($0["CategoryIds"] as? [Int])?.contains(5_637_145_327) == true })

        let qualified = try await host.send("POST", "/Commerce/Products/Microsoft.Dynamics.Commerce.Runtime.DataModel.Search?$select=Name&$top=5", headers: json, body: body)
        #expect((qualified.json?["value"] as? [[String: Any]])?.count == rows.count)

        #expect(try await host.get("/Commerce/Products/Search").status == 405)
        #expect(try await host.send("POST", "/Commerce/Products/Search", headers: json, body: "{not json").status == 400)
        let missing = try await host.send("POST", "/Commerce/Products/Search", headers: json, body: #"{"criteria":{}}"#)
        #expect(missing.status == 400)
        #expect((missing.json?["error"] as? [String: Any])?["message"] as? String == "the body does not match: the body is missing searchCriteria")
        #expect(try await host.send("POST", "/Commerce/Products/Search", headers: ["Content-Type": "text/plain"], body: body).status == 415)
        let huge = String(repeating: " ", count: 64 * 1024 * 1024)
        #expect(try await host.send("POST", "/Commerce/Products/Search", headers: json, body: huge).status == 413)
        // Availability of demo product 1 (2 + 3 in the channel's warehouses); unknown items are left out.
        let available = try await host.send("POST", "/Commerce/Products/GetProductAvailabilities", headers: json, body: #"{"itemIds":["P00001","NOPE"]}"#)
        #expect(available.status == 200, "\(available.text)")
        #expect((available.json?["value"] as? [[String: Any]])?.map { $0["AvailableQuantity"] as? Int } == [5], "\(available.text)")
        #expect(try await host.send("POST", "/Commerce/Products/GetProductAvailabilities", headers: json, body: #"{"itemIds":[]}"#).status == 400)
        // GetActivePrices checks its body.
        #expect(try await host.send("POST", "/Commerce/Products/GetActivePrices", headers: json, body: "{}").status == 400)
        #expect(try await host.get("/Commerce/Products/$count").text == "1140")
        #expect(await host.stop() == 0)
    }
}
