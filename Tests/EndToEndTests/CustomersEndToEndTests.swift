import Foundation
import Testing

/// Customer accounts, order history and the listings of orders and carts over real HTTP, with
/// tokens of the development issuer, on SQLite and PostgreSQL.
@Suite("Customers end to end", .serialized)
struct CustomersEndToEndTests {
    static let json = ["Content-Type": "application/json"]
    /// Demo product 2: 38.69 online, 18 in stock.
    static let product: Int64 = 68_719_476_738

    /// A demo host with pages of 2, so listings need server-driven paging.
    private func host(_ backend: String) async throws -> (HostProcess, dataDir: String) {
        let directory = try temporaryDirectory()
        var arguments = ["serve", "--demo", "--port", "0", "--data-dir", directory]
        if backend == "postgres" { arguments += ["--database", try await freshPostgresDatabase()] }
        return (try await HostProcess(arguments, environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "2"]), directory)
    }

    private func token(_ arguments: [String], _ dataDir: String) async throws -> [String: String] {
        let made = try await HostProcess.run(["token"] + arguments + ["--data-dir", dataDir])
        #expect(made.status == 0, "\(made.stderr)")
        return Self.json.merging(["Authorization": "Bearer " + made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]) { $1 }
    }

    static func error(_ result: HTTPResult) -> (code: String?, target: String?) {
        let error = result.json?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["target"] as? String)
    }

    static func values(_ result: HTTPResult) -> [[String: Any]] { result.json?["value"] as? [[String: Any]] ?? [] }

    /// Reads a collection to its end through `@odata.nextLink`; the number of pages read too.
    private func readAll(_ host: HostProcess, _ path: String, headers: [String: String]) async throws -> (rows: [[String: Any]], pages: Int) {
        var rows: [[String: Any]] = []
        var next: String? = path
        var pages = 0
        while let current = next, pages < 20 {
            let result = try await host.get(current, headers: headers)
            #expect(result.status == 200, "\(current): \(result.text)")
            rows += Self.values(result)
            pages += 1
            next = (result.json?["@odata.nextLink"] as? String).flatMap { URL(string: $0) }.map { $0.path + ($0.query.map { "?" + $0 } ?? "") }
        }
        return (rows, pages)
    }

    /// A cart of one unit of the product, checked out by `headers`' caller: the order's JSON.
    private func order(_ host: HostProcess, _ headers: [String: String]) async throws -> [String: Any] {
        let created = try await host.send("POST", "/Commerce/Carts", headers: headers, body: #"{"ReceiptEmail":"buyer@example.com"}"#)
        let id = try #require(created.json?["Id"] as? String, "\(created.text)")
        let added = try await host.send(
            "POST", "/Commerce/Carts('\(id)')/AddCartLines", headers: headers, body: #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":1}]}"#
        )
        let due = try #require(added.text.firstMatch(of: /"AmountDue":([0-9.]+)/)?.1, "\(added.text)")
        let version = try #require(added.json?["Version"] as? Int)
        let body = #"{"cartVersion":\#(version),"cartTenderLines":[{"Amount":\#(due),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}"#
        let checkout = try await host.send("POST", "/Commerce/Carts('\(id)')/Checkout", headers: headers, body: body)
        #expect(checkout.status == 200, "\(checkout.text)")
        return checkout.json ?? [:]
    }

    @Test("accounts: created by applications, changed by their customer with If-Match, listed by back office only", arguments: ["sqlite", "postgres"])
    func accounts(_ backend: String) async throws {
        let (host, dataDir) = try await host(backend)
        let application = try await token(["application", "--subject", "erp", "--scope", "customers", "--scope", "orders", "--scope", "carts"], dataDir)
        let employee = try await token(["employee", "--subject", "e-17", "--store", "128"], dataDir)
        let ann = try await token(["customer", "--subject", "ann", "--email", "ann@example.com", "--name", "Ann Lee"], dataDir)

        // Creating: 201 with the new number, Location and the version's ETag.
        let created = try await host.send("POST", "/Commerce/Customers", headers: application, body: """
            {"FirstName":"Bob","LastName":"Stone","Email":"bob@example.com","CustomerGroup":"RETAIL",
             "Addresses":[{"Name":"Home","Street":"1 Main St","City":"Seattle","State":"WA","ZipCode":"98101","ThreeLetterISORegionName":"USA"}]}
            """)
        #expect(created.status == 201, "\(created.text)")
        let bob = try #require(created.json?["AccountNumber"] as? String)
        #expect(bob == "128-C00000001")
        #expect(created.header("Location")?.hasSuffix("/Commerce/Customers('\(bob)')") == true)
        #expect(created.header("ETag") == #"W/"1""# && created.json?["@odata.etag"] as? String == #"W/"1""#)
        #expect(created.json?["Name"] as? String == "Bob Stone" && created.json?["CustomerGroup"] as? String == "RETAIL")
        let address = try #require((created.json?["Addresses"] as? [[String: Any]])?.first)
        #expect(address["IsPrimary"] as? Bool == true && (address["RecordId"] as? Int ?? 0) > 0)
        #expect(try await host.send("POST", "/Commerce/Customers", headers: employee, body: #"{"Name":"Cy"}"#).json?["AccountNumber"] as? String == "128-C00000002")

        // Bad input: 400 naming the property, nothing written.
        for (body, target) in [
            (#"{"Name":"X","Email":"not-an-address"}"#, "Email"), (#"{"Email":"x@example.com"}"#, "Name"), (#"{"Name":"X","Password":"x"}"#, "Password"),
            (#"{"Name":"X","AccountNumber":"mine"}"#, "AccountNumber"), (#"{"Name":42}"#, "Name"),
            (#"{"Name":"X","Addresses":[{"Street":"no country"}]}"#, "Addresses/0/ThreeLetterISORegionName"),
        ] {
            let refused = try await host.send("POST", "/Commerce/Customers", headers: application, body: body)
            #expect(refused.status == 400 && Self.error(refused).target == target, "\(body): \(refused.status) \(refused.text)")
        }
        #expect(try await host.send("POST", "/Commerce/Customers", headers: application, body: "[]").status == 400)
        #expect(try await host.send("POST", "/Commerce/Customers", headers: ann, body: #"{"Name":"Eve"}"#).status == 403)
        #expect(try await host.send("POST", "/Commerce/Customers", headers: Self.json, body: #"{"Name":"Eve"}"#).status == 401)

        // Ann's account is made by her first call; she changes it, guarded by If-Match.
        let cart = try await host.send("POST", "/Commerce/Carts", headers: ann, body: "{}")
        let annAccount = try #require(cart.json?["CustomerId"] as? String)
        let me = try await host.get("/Commerce/Customers('\(annAccount)')", headers: ann)
        #expect(me.status == 200 && me.json?["Email"] as? String == "ann@example.com")
        let etag = try #require(me.header("ETag"))
        #expect(try await host.get("/Commerce/Customers('\(annAccount)')", headers: ann.merging(["If-None-Match": etag]) { $1 }).status == 304)
        let patched = try await host.send("PATCH", "/Commerce/Customers('\(annAccount)')", headers: ann.merging(["If-Match": etag]) { $1 }, body: """
            {"Phone":"+1 425 555 0100","Addresses":[{"Name":"Home","Street":"5 Pike St","City":"Seattle","State":"WA","ThreeLetterISORegionName":"USA"}]}
            """)
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json?["Phone"] as? String == "+1 425 555 0100" && patched.json?["Name"] as? String == "Ann Lee")
        #expect(patched.header("ETag") == #"W/"2""#)
        let homeId = try #require((patched.json?["Addresses"] as? [[String: Any]])?.first?["RecordId"] as? Int)
        let stale = try await host.send("PATCH", "/Commerce/Customers('\(annAccount)')", headers: ann.merging(["If-Match": etag]) { $1 }, body: #"{"Name":"Stale"}"#)
        #expect(stale.status == 412, "\(stale.text)")
        // Another address as the primary one, the first one removed; null clears the phone.
        let moved = try await host.send("PATCH", "/Commerce/Customers('\(annAccount)')", headers: ann, body: """
            {"Phone":null,"Addresses":[{"Name":"Office","City":"Redmond","ThreeLetterISORegionName":"USA","IsPrimary":true},{"RecordId":\(homeId),"Deactivate":true}]}
            """)
        #expect(moved.status == 200, "\(moved.text)")
        #expect(moved.json?["Phone"] is NSNull)
        let addresses = moved.json?["Addresses"] as? [[String: Any]] ?? []
        #expect(addresses.compactMap { $0["Name"] as? String } == ["Office"] && addresses.first?["IsPrimary"] as? Bool == true)
        // Groups are for back office; another's account is not found.
        let grouped = try await host.send("PATCH", "/Commerce/Customers('\(annAccount)')", headers: ann, body: #"{"PriceGroup":"VIP"}"#)
        #expect(grouped.status == 403 && Self.error(grouped).target == "PriceGroup", "\(grouped.text)")
        #expect(try await host.send("PATCH", "/Commerce/Customers('\(bob)')", headers: ann, body: #"{"Name":"Mallory"}"#).status == 404)
        #expect(try await host.send("PATCH", "/Commerce/Customers('\(annAccount)')", headers: ann, body: #"{"Email":"bad"}"#).status == 400)
        let byApp = try await host.send("PATCH", "/Commerce/Customers('\(annAccount)')", headers: application, body: #"{"PriceGroup":"VIP","CustomerGroup":"STAFF"}"#)
        #expect(byApp.status == 200 && byApp.json?["PriceGroup"] as? String == "VIP", "\(byApp.text)")
        #expect(try await host.get("/Commerce/Customers('\(bob)')", headers: application).json?["Name"] as? String == "Bob Stone")

        // Listing: back office only, with the query options and server-driven paging.
        let filtered = try await host.get("/Commerce/Customers?$filter=PriceGroup%20eq%20'VIP'&$count=true&$select=AccountNumber,Name", headers: application)
        #expect(filtered.status == 200 && filtered.json?["@odata.count"] as? Int == 1, "\(filtered.text)")
        #expect(Self.values(filtered).first?["AccountNumber"] as? String == annAccount && Self.values(filtered).first?["Email"] == nil)
        let all = try await readAll(host, "/Commerce/Customers?$orderby=Name%20desc", headers: employee)
        #expect(all.rows.compactMap { $0["Name"] as? String } == ["Karen Berg", "Cy", "Bob Stone", "Ann Lee"] && all.pages == 2)
        #expect(all.rows.allSatisfy { ($0["@odata.etag"] as? String)?.hasPrefix("W/\"") == true })
        #expect(try await host.get("/Commerce/Customers/$count", headers: application).text == "4")
        for (headers, status) in [(ann, 403), (Self.json, 401)] {
            #expect(try await host.get("/Commerce/Customers", headers: headers).status == status)
            #expect(try await host.get("/Commerce/Customers/$count", headers: headers).status == status)
        }
        #expect(try await host.get("/Commerce/Customers?$filter=Nope%20eq%201", headers: application).status == 400)
        #expect(await host.stop() == 0)
    }

    @Test("a price group set through the API prices the customer's carts with the group's trade agreements", arguments: ["sqlite", "postgres"])
    func priceGroup(_ backend: String) async throws {
        let (host, dataDir) = try await host(backend)
        let application = try await token(["application", "--subject", "erp", "--scope", "customers", "--scope", "orders", "--scope", "carts"], dataDir)
        // In the Seattle store, whose own price group has no trade agreements, demo product 2
        // costs its base price, 42.99; the online price group pays 38.69.
        let store = ["OUN": "0101"]
        let ann = try await token(["customer", "--subject", "ann"], dataDir).merging(store) { $1 }
        func price() async throws -> String? {
            let cart = try await host.send("POST", "/Commerce/Carts", headers: ann, body: #"{"CartLines":[{"ProductId":\#(Self.product),"Quantity":1}]}"#)
            #expect(cart.status == 201, "\(cart.text)")
            return cart.text.firstMatch(of: /"CartLines":\[\{[^}]*"Price":([0-9.]+)/).map { String($0.1) }
        }
        #expect(try await price() == "42.99")
        let account = try #require(try await host.send("POST", "/Commerce/Carts", headers: ann, body: "{}").json?["CustomerId"] as? String)
        let set = try await host.send("PATCH", "/Commerce/Customers('\(account)')", headers: application.merging(store) { $1 }, body: #"{"PriceGroup":"ONLINE"}"#)
        #expect(set.status == 200, "\(set.text)")
        #expect(try await price() == "38.69")
        let cleared = try await host.send("PATCH", "/Commerce/Customers('\(account)')", headers: application, body: #"{"PriceGroup":null}"#)
        #expect(cleared.status == 200 && cleared.json?["PriceGroup"] is NSNull, "\(cleared.text)")
        #expect(try await price() == "42.99")
        #expect(await host.stop() == 0)
    }

    @Test("order history and the listings of orders and carts: own only for customers, paged, newest first", arguments: ["sqlite", "postgres"])
    func history(_ backend: String) async throws {
        let (host, dataDir) = try await host(backend)
        let application = try await token(["application", "--subject", "erp", "--scope", "customers", "--scope", "orders", "--scope", "carts"], dataDir)
        let ann = try await token(["customer", "--subject", "ann"], dataDir)
        let bob = try await token(["customer", "--subject", "bob"], dataDir)
        var annOrders: [String] = []
        for _ in 0..<3 { annOrders.append(try #require(try await order(host, ann)["Id"] as? String)) }
        let bobOrder = try await order(host, bob)
        let annAccount = try #require(try await host.send("POST", "/Commerce/Carts", headers: ann, body: "{}").json?["CustomerId"] as? String)
        let bobId = try #require(bobOrder["Id"] as? String)

        // GetOrderHistory: pages of 2, newest first, every order once.
        let history = try await readAll(host, "/Commerce/Customers('\(annAccount)')/GetOrderHistory()", headers: ann)
        #expect(history.pages == 2 && Set(history.rows.compactMap { $0["Id"] as? String }) == Set(annOrders) && history.rows.count == 3)
        let created = history.rows.compactMap { $0["CreatedDateTime"] as? String }
        #expect(created == created.sorted(by: >))
        #expect(history.rows.allSatisfy { $0["StatusValue"] as? Int == 1 && $0["CustomerId"] as? String == annAccount })
        let page = try await host.get("/Commerce/Customers('\(annAccount)')/GetOrderHistory()?$top=1&$skip=1&$count=true&$select=Id,StatusValue", headers: application)
        #expect(page.status == 200 && page.json?["@odata.count"] as? Int == 3 && Self.values(page).count == 1, "\(page.text)")
        #expect((page.json?["@odata.context"] as? String)?.hasSuffix("$metadata#SalesOrders(Id,StatusValue)") == true, "\(page.text)")
        #expect(try await host.get("/Commerce/Customers('\(annAccount)')/GetOrderHistory()", headers: bob).status == 404)
        #expect(try await host.get("/Commerce/Customers('nobody')/GetOrderHistory()", headers: application).status == 404)
        #expect(try await host.get("/Commerce/Customers('\(annAccount)')/GetOrderHistory()").status == 401)

        // SalesOrders: a customer's own, the channel's for applications, with status.
        let mine = try await readAll(host, "/Commerce/SalesOrders", headers: ann)
        #expect(Set(mine.rows.compactMap { $0["Id"] as? String }) == Set(annOrders))
        let bobsByFilter = try await host.get("/Commerce/SalesOrders?$filter=Id%20eq%20'\(bobId)'", headers: ann)
        #expect(bobsByFilter.status == 200 && Self.values(bobsByFilter).isEmpty)
        let counted = try await host.get("/Commerce/SalesOrders?$count=true&$orderby=SalesId", headers: application)
        #expect(counted.json?["@odata.count"] as? Int == 4 && Self.values(counted).count == 2 && counted.json?["@odata.nextLink"] != nil)
        let everything = try await readAll(host, "/Commerce/SalesOrders?$orderby=SalesId&$select=SalesId,StatusValue", headers: application)
        #expect(everything.rows.compactMap { $0["SalesId"] as? String } == ["128-00000001", "128-00000002", "128-00000003", "128-00000004"])
        #expect(everything.rows.allSatisfy { $0["StatusValue"] as? Int == 1 } && everything.pages == 2)
        #expect(try await host.get("/Commerce/SalesOrders/$count", headers: bob).text == "1")
        #expect(try await host.get("/Commerce/SalesOrders").status == 401)

        // Carts: anonymous callers list nothing; a customer its own; `$filter=Id eq` as python-odata's get() sends it.
        let anonymousCart = try #require(try await host.send("POST", "/Commerce/Carts", headers: Self.json, body: "{}").json?["Id"] as? String)
        let bobCart = try #require(try await host.send("POST", "/Commerce/Carts", headers: bob, body: "{}").json?["Id"] as? String)
        #expect(try await host.get("/Commerce/Carts").status == 401)
        #expect(try await host.get("/Commerce/Carts/$count").status == 401)
        #expect(try await host.get("/Commerce/Carts?$filter=Id%20eq%20'\(anonymousCart)'").status == 401)
        let bobs = try await host.get("/Commerce/Carts?$filter=Id%20eq%20'\(bobCart)'", headers: bob)
        #expect(Self.values(bobs).compactMap { $0["Id"] as? String } == [bobCart] && Self.values(bobs).first?["@odata.etag"] as? String == #"W/"1""#)
        for path in ["/Commerce/Carts?$filter=Id%20eq%20'\(bobCart)'", "/Commerce/Carts?$filter=Id%20eq%20'\(anonymousCart)'"] {
            let result = try await host.get(path, headers: ann)
            #expect(result.status == 200 && Self.values(result).isEmpty, "\(path): \(result.text)")
        }
        let channelCarts = try await readAll(host, "/Commerce/Carts", headers: application)
        #expect(Set(channelCarts.rows.compactMap { $0["Id"] as? String }).isSuperset(of: [anonymousCart, bobCart]))
        #expect(try await host.get("/Commerce/Carts?$filter=Nope%20eq%201", headers: application).status == 400)
        #expect(await host.stop() == 0)
    }
}
