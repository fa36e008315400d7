import CommerceTestSupport
import Foundation
import Testing

/// OpenID Connect tokens over real HTTP against the real host: verification, the accounts
/// customers get, employees' stores, and object-level rules between customers.
@Suite("Tokens end to end", .serialized)
struct TokenEndToEndTests {
    static let hsIssuer = "https://hs.example.test"
    static let hsSecret = "an HS256 secret shared with the batch job, 32+ bytes"
    static let json = ["Content-Type": "application/json"]
    /// Demo product 2: 38.69 online, 18 in stock.
    static let product: Int64 = 68_719_476_738

    /// A demo host trusting a test identity provider (RS256 and ES256 keys in a JWKS file, roles
    /// from the `roles` claim), an HS256 issuer for applications, and the development issuer.
    /// The database is SQLite in the data directory unless `backend` is "postgres" (a fresh
    /// database on the server of COMMERCE_TEST_POSTGRES_URL).
    private func host(logLevel: String = "info", backend: String = "sqlite") async throws -> (HostProcess, TestTokens, dataDir: String) {
        let tokens = try TestTokens()
        let directory = try temporaryDirectory()
        try tokens.jwks().write(toFile: directory + "/idp-jwks.json", atomically: true, encoding: .utf8)
        let config = """
            {"auth": {"issuers": [
              {"name": "idp", "issuer": "\(TestTokens.issuer)", "audiences": ["\(TestTokens.audience)"], "roleClaim": "roles",
               "roles": {"Shopper": "customer", "Commerce.App": "application", "Store.Staff": "employee"}, "jwksFile": "idp-jwks.json"},
              {"name": "batch", "issuer": "\(Self.hsIssuer)", "audiences": ["\(TestTokens.audience)"], "kind": "application",
               "allowHS256": true, "secret": "\(Self.hsSecret)"}
            ]}}
            """
        try config.write(toFile: directory + "/host.json", atomically: true, encoding: .utf8)
        var arguments = ["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", directory + "/host.json", "--log-level", logLevel]
        if backend == "postgres" { arguments += ["--database", try await freshPostgresDatabase()] }
        let host = try await HostProcess(arguments)
        return (host, tokens, directory)
    }

    static func errorCode(_ result: HTTPResult) -> String? {
        (result.json?["error"] as? [String: Any])?["code"] as? String
    }

    static func bearer(_ token: String, _ headers: [String: String] = json) -> [String: String] {
        headers.merging(["Authorization": "Bearer \(token)"]) { $1 }
    }

    @Test("forged, stale and misdirected tokens are 401 with an OData error, and the token never reaches the log")
    func tokenAttacks() async throws {
        let (host, tokens, _) = try await host(logLevel: "trace")
        let now = Int(Date().timeIntervalSince1970)
        let shopper: [String: Any] = ["roles": ["Shopper"]]
        func claims(_ extra: [String: Any] = [:]) -> [String: Any] { TestTokens.claims(subject: "alice", extra: shopper.merging(extra) { $1 }) }
        let good = try tokens.token(claims())
        let parts = good.split(separator: ".").map(String.init)
        let attacks: [(String, String)] = [
            ("expired", try tokens.token(claims(["exp": now - 3600]))),
            ("not yet valid", try tokens.token(claims(["nbf": now + 3600]))),
            ("wrong issuer", try tokens.token(claims(["iss": "https://evil.example"]))),
            ("wrong audience", try tokens.token(claims(["aud": "api://someone-else"]))),
            ("bad signature", parts[0] + "." + TestTokens.base64URL(Data(#"{"iss":"\#(TestTokens.issuer)","aud":"\#(TestTokens.audience)","sub":"bob","exp":\#(now + 3600),"roles":["Shopper"]}"#.utf8)) + "." + parts[2]),
            ("alg none", try tokens.token(claims(), alg: "none", kid: nil)),
            ("HS/RS confusion", try tokens.token(claims(), alg: "HS256", kid: "rsa-1", secret: tokens.rsaPublicPEM)),
            ("HS/RS confusion without kid", try tokens.token(claims(), alg: "HS256", kid: nil, secret: tokens.rsaPublicPEM)),
            ("unknown kid", try tokens.token(claims(), kid: "not-published")),
            ("malformed base64", parts[0] + "." + parts[1].prefix(10) + "*" + parts[1].dropFirst(10) + "." + parts[2]),
            ("HS256 with a guessed secret", try tokens.token(claims(["iss": Self.hsIssuer]), alg: "HS256", kid: nil, secret: Array("guessed secret guessed secret guessed".utf8))),
            ("no role", try tokens.token(TestTokens.claims(subject: "alice"))),
        ]
        for (name, token) in attacks {
            for scheme in ["Bearer", "id_token"] {
                let result = try await host.send("POST", "/Commerce/Carts", headers: Self.json.merging(["Authorization": "\(scheme) \(token)"]) { $1 }, body: "{}")
                #expect(result.status == 401, "\(name) (\(scheme)): \(result.status) \(result.text)")
                #expect(Self.errorCode(result) == "Unauthorized", "\(name)")
                let message = (result.json?["error"] as? [String: Any])?["message"] as? String
                #expect(message?.isEmpty == false, "\(name)")
                #expect(result.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(name)")
                #expect(!result.text.contains(token), "\(name)")
            }
        }
        // The same token, valid, is accepted in both forms, and so is an HS256 token of the issuer that enabled it.
        for scheme in ["Bearer", "id_token"] {
            let accepted = try await host.send("POST", "/Commerce/Carts", headers: Self.json.merging(["Authorization": "\(scheme) \(good)"]) { $1 }, body: "{}")
            #expect(accepted.status == 201, "\(scheme): \(accepted.text)")
        }
        let batch = try tokens.token(
            TestTokens.claims(subject: "nightly", extra: ["iss": Self.hsIssuer, "scope": "customers orders"]), alg: "HS256", kid: nil, secret: Array(Self.hsSecret.utf8)
        )
        #expect(try await host.get("/Commerce/Customers('004011')", headers: Self.bearer(batch)).status == 200)

        let (status, log) = await host.stopAndReadLog()
        #expect(status == 0)
        #expect(log.contains("trusting the development token issuer"), "the host's log was not captured: \(log)")
        for (name, token) in attacks + [("accepted", good), ("batch", batch)] {
            #expect(!log.contains(token), "the log holds the \(name) token")
            // Not even the signature, the part that makes a token a credential.
            if let signature = token.split(separator: ".").last, signature.count > 16 { #expect(!log.contains(signature), "the log holds the \(name) signature") }
        }
    }

    @Test("a customer token maps to an account created on first use; the same subject is the same account", arguments: ["sqlite", "postgres"])
    func customerAccounts(backend: String) async throws {
        let (host, tokens, dataDir) = try await host(backend: backend)
        let alice = try tokens.token(TestTokens.claims(subject: "alice-oid", extra: ["roles": ["Shopper"], "name": "Alice Example", "email": "alice@example.com"]))
        let created = try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(alice), body: "{}")
        #expect(created.status == 201, "\(created.text)")
        let account = try #require(created.json?["CustomerId"] as? String)
        let me = try await host.get("/Commerce/Customers('\(account)')", headers: Self.bearer(alice))
        #expect(me.status == 200, "\(me.text)")
        #expect(me.json?["Name"] as? String == "Alice Example" && me.json?["Email"] as? String == "alice@example.com", "\(me.text)")

        // Another token of the same subject (ES256 this time) is the same customer.
        let again = try tokens.token(TestTokens.claims(subject: "alice-oid", extra: ["roles": "Shopper"]), alg: "ES256", kid: "ec-1")
        #expect(try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(again), body: "{}").json?["CustomerId"] as? String == account)
        // The development issuer's subject "alice-oid" is someone else: subjects are per issuer.
        let minted = try await HostProcess.run(["token", "customer", "--subject", "alice-oid", "--data-dir", dataDir])
        #expect(minted.status == 0, "\(minted.stderr)")
        let devAlice = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(devAlice), body: "{}")
        #expect(other.status == 201, "\(other.text)")
        #expect(other.json?["CustomerId"] as? String != account)
        #expect(try await host.get("/Commerce/Customers('\(account)')", headers: Self.bearer(devAlice)).status == 404)
        // Concurrent first calls of a new subject agree on one account.
        let carol = try tokens.token(TestTokens.claims(subject: "carol-oid", extra: ["roles": ["Shopper"]]))
        let accounts: [String?] = try await withThrowingTaskGroup { group in
            for _ in 0..<8 {
                group.addTask { try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(carol), body: "{}").json?["CustomerId"] as? String }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(accounts.count == 8 && Set(accounts).count == 1 && accounts.first??.isEmpty == false, "\(accounts)")
        // A customer may not put its cart on another account.
        let moved = try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(devAlice), body: #"{"CustomerId":"\#(account)"}"#)
        #expect(moved.status == 403, "\(moved.text)")
        #expect(await host.stop() == 0)
    }

    @Test("an employee acts only for the stores its token names; an application token acts for any")
    func employeeStores() async throws {
        let (host, tokens, dataDir) = try await host()
        let employee = try tokens.token(TestTokens.claims(subject: "e-17", extra: ["roles": ["Store.Staff"], "stores": ["128"]]))
        let own = try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(employee).merging(["OUN": "128"]) { $1 }, body: "{}")
        #expect(own.status == 201, "\(own.text)")
        // The default channel is 128, so no header is the employee's own store too.
        #expect(try await host.get("/Commerce/Customers('004011')", headers: Self.bearer(employee)).status == 200)
        for path in ["/Commerce/Customers('004011')", "/Commerce/Products?$top=1", "/Commerce/Carts('\(own.json?["Id"] as? String ?? "")')"] {
            let other = try await host.get(path, headers: Self.bearer(employee).merging(["OUN": "0101"]) { $1 })
            #expect(other.status == 403, "\(path): \(other.text)")
            #expect(Self.errorCode(other) == "Forbidden")
        }
        // The development issuer's employees too.
        let minted = try await HostProcess.run(["token", "employee", "--subject", "e-2", "--store", "0101", "--data-dir", dataDir])
        #expect(minted.status == 0, "\(minted.stderr)")
        let devEmployee = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await host.get("/Commerce/Customers('004011')", headers: Self.bearer(devEmployee).merging(["OUN": "0101"]) { $1 }).status == 200)
        #expect(try await host.get("/Commerce/Customers('004011')", headers: Self.bearer(devEmployee)).status == 403)
        let application = try tokens.token(TestTokens.claims(subject: "svc", extra: ["roles": ["Commerce.App"], "azp": "erp", "scp": ["customers"]]))
        #expect(try await host.get("/Commerce/Customers('004011')", headers: Self.bearer(application).merging(["OUN": "0101"]) { $1 }).status == 200)
        #expect(await host.stop() == 0)
    }

    @Test(
        "customer A cannot read, change or check out B's cart, nor read B's orders or account: by key, filter, expand or batch",
        arguments: ["sqlite", "postgres"]
    )
    func noInsecureDirectObjectReferences(backend: String) async throws {
        let (host, tokens, _) = try await host(backend: backend)
        let a = try tokens.token(TestTokens.claims(subject: "customer-a", extra: ["roles": ["Shopper"]]))
        let b = try tokens.token(TestTokens.claims(subject: "customer-b", extra: ["roles": ["Shopper"]]))

        // B fills a cart, checks one out, and keeps a second one open.
        func cart(of token: String) async throws -> (id: String, version: Int, due: String) {
            let created = try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(token), body: "{}")
            let id = try #require(created.json?["Id"] as? String)
            let added = try await host.send(
                "POST", "/Commerce/Carts('\(id)')/AddCartLines", headers: Self.bearer(token), body: #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":1}]}"#
            )
            #expect(added.status == 200, "\(added.text)")
            let due = try #require(added.text.firstMatch(of: /"AmountDue":([0-9.]+)/)?.1)
            return (id, try #require(added.json?["Version"] as? Int), String(due))
        }
        func checkoutBody(_ cart: (id: String, version: Int, due: String)) -> String {
            #"{"receiptEmail":"b@example.com","cartVersion":\#(cart.version),"cartTenderLines":[{"Amount":\#(cart.due),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}"#
        }
        let ordered = try await cart(of: b)
        let checkout = try await host.send("POST", "/Commerce/Carts('\(ordered.id)')/Checkout", headers: Self.bearer(b), body: checkoutBody(ordered))
        #expect(checkout.status == 200, "\(checkout.text)")
        let orderId = try #require(checkout.json?["Id"] as? String)
        let accountB = try #require(checkout.json?["CustomerId"] as? String)
        let open = try await cart(of: b)
        #expect(try await host.get("/Commerce/SalesOrders('\(orderId)')", headers: Self.bearer(b)).status == 200)
        #expect(try await host.get("/Commerce/Customers('\(accountB)')", headers: Self.bearer(b)).status == 200)

        let secrets = [open.id, orderId, accountB]
        func expectHidden(_ result: HTTPResult, _ what: String) {
            #expect([404, 501].contains(result.status) || (result.status == 200 && (result.json?["value"] as? [Any])?.isEmpty == true), "\(what): \(result.status) \(result.text)")
            #expect(result.status != 403, "\(what): a 403 would tell the object exists")
            for secret in secrets where !what.contains(secret) { #expect(!result.text.contains(secret), "\(what) leaks \(secret)") }
            if [404].contains(result.status) { #expect(!result.text.contains("b@example.com"), "\(what)") }
        }
        let cartPath = "/Commerce/Carts('\(open.id)')"
        // By key: read, change, every cart action, checkout.
        let byKey: [(String, String, String?)] = [
            ("GET", cartPath, nil),
            ("GET", cartPath + "?$select=Id,CartLines", nil),
            ("PATCH", cartPath, #"{"ReceiptEmail":"a@example.com"}"#),
            ("PATCH", cartPath, #"{"CustomerId":"customer-a"}"#),
            ("POST", cartPath + "/AddCartLines", #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":1}]}"#),
            ("POST", cartPath + "/UpdateCartLines", #"{"cartLines":[{"LineId":"x","Quantity":2}]}"#),
            ("POST", cartPath + "/RemoveCartLines", #"{"cartLineIds":["x"]}"#),
            ("POST", cartPath + "/Checkout", checkoutBody(open)),
            ("GET", "/Commerce/SalesOrders('\(orderId)')", nil),
            ("GET", "/Commerce/SalesOrders('\(orderId)')?$expand=SalesLines", nil),
            ("GET", "/Commerce/Customers('\(accountB)')", nil),
            ("GET", "/Commerce/Customers('\(accountB)')?$expand=Addresses", nil),
            ("PATCH", "/Commerce/Customers('\(accountB)')", #"{"Name":"Mallory"}"#),
            ("GET", "/Commerce/Customers('\(accountB)')/GetOrderHistory()", nil),
            ("GET", "/Commerce/Customers('\(accountB)')/GetOrderHistory()?$top=1&$count=true", nil),
        ]
        for (method, path, body) in byKey {
            let result = try await host.send(method, path, headers: Self.bearer(a), body: body)
            #expect(result.status == 404, "\(method) \(path): \(result.status) \(result.text)")
            expectHidden(result, "\(method) \(path)")
        }
        // By filter and by listing: A's collections answer nothing of B's.
        #expect(try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(a), body: "{}").status == 201)
        for path in [
            "/Commerce/Carts?$filter=Id%20eq%20'\(open.id)'", "/Commerce/Carts", "/Commerce/Carts?$filter=CustomerId%20eq%20'\(accountB)'",
            "/Commerce/Carts?$filter=CustomerId%20ne%20null&$count=true", "/Commerce/SalesOrders?$filter=CustomerId%20eq%20'\(accountB)'",
            "/Commerce/SalesOrders", "/Commerce/SalesOrders?$filter=Id%20eq%20'\(orderId)'%20or%20Id%20ne%20''", "/Commerce/SalesOrders?$search=example",
        ] {
            let result = try await host.get(path, headers: Self.bearer(a))
            #expect(result.status == 200, "\(path): \(result.status) \(result.text)")
            for secret in secrets { #expect(!result.text.contains(secret), "\(path) leaks \(secret)") }
            #expect(!result.text.contains("b@example.com"), "\(path)")
        }
        #expect(try await host.get("/Commerce/SalesOrders/$count", headers: Self.bearer(a)).text == "0")
        // Listing accounts is for back office: refused whatever the filter names, so the answer
        // tells nothing about B's account.
        let listing = try await host.get("/Commerce/Customers?$filter=AccountNumber%20eq%20'\(accountB)'", headers: Self.bearer(a))
        let listingNobody = try await host.get("/Commerce/Customers?$filter=AccountNumber%20eq%20'nobody'", headers: Self.bearer(a))
        #expect(listing.status == 403 && listingNobody.status == 403 && listing.text == listingNobody.text, "\(listing.text)")
        #expect(!listing.text.contains(accountB))
        // By $batch: each part is checked as if sent alone, with the batch's credential.
        let batchBody = """
            {"requests":[
              {"id":"1","method":"GET","url":"Carts('\(open.id)')"},
              {"id":"2","method":"GET","url":"SalesOrders('\(orderId)')"},
              {"id":"3","method":"GET","url":"Customers('\(accountB)')"},
              {"id":"4","method":"PATCH","url":"Carts('\(open.id)')","headers":{"Content-Type":"application/json"},"body":{"ReceiptEmail":"a@example.com"}},
              {"id":"5","method":"POST","url":"Carts('\(open.id)')/Checkout","headers":{"Content-Type":"application/json"},"body":\(checkoutBody(open))},
              {"id":"6","method":"PATCH","url":"Customers('\(accountB)')","headers":{"Content-Type":"application/json"},"body":{"Name":"Mallory"}},
              {"id":"7","method":"GET","url":"Customers('\(accountB)')/GetOrderHistory()"},
              {"id":"8","method":"GET","url":"SalesOrders?$filter=CustomerId%20eq%20'\(accountB)'"},
              {"id":"9","method":"GET","url":"Carts?$filter=Id%20eq%20'\(open.id)'"}
            ]}
            """
        let batch = try await host.send("POST", "/Commerce/$batch", headers: Self.bearer(a), body: batchBody)
        #expect(batch.status == 200, "\(batch.text)")
        let responses = batch.json?["responses"] as? [[String: Any]] ?? []
        let statuses = responses.compactMap { $0["status"] as? Int }
        #expect(statuses == [404, 404, 404, 404, 404, 404, 404, 200, 200], "\(batch.text)")
        for listed in responses.suffix(2) { #expect(((listed["body"] as? [String: Any])?["value"] as? [Any])?.isEmpty == true, "\(batch.text)") }
        // The 404 messages name the ids A asked for; nothing of B's objects comes back.
        for field in ["b@example.com", #""CartLines""#, #""SalesId""#, #""AccountNumber""#] { #expect(!batch.text.contains(field), "\(batch.text)") }

        // Nothing changed: B's cart is as B left it, and B still checks it out.
        let after = try await host.get(cartPath, headers: Self.bearer(b))
        #expect(after.json?["Version"] as? Int == open.version && after.json?["ReceiptEmail"] is NSNull, "\(after.text)")
        #expect(try await host.get("/Commerce/Customers('\(accountB)')", headers: Self.bearer(b)).json?["Name"] as? String != "Mallory")
        let done = try await host.send("POST", cartPath + "/Checkout", headers: Self.bearer(b), body: checkoutBody(open))
        #expect(done.status == 200, "\(done.text)")
        #expect(await host.stop() == 0)
    }

    @Test(
        "an anonymous cart is reachable by its id only, and becomes the customer's when a signed-in customer changes it", arguments: ["sqlite", "postgres"]
    )
    func anonymousCartClaim(backend: String) async throws {
        let (host, tokens, _) = try await host(backend: backend)
        let a = try tokens.token(TestTokens.claims(subject: "customer-a", extra: ["roles": ["Shopper"]]))
        let b = try tokens.token(TestTokens.claims(subject: "customer-b", extra: ["roles": ["Shopper"]]))
        let created = try await host.send("POST", "/Commerce/Carts", headers: Self.json, body: "{}")
        let id = try #require(created.json?["Id"] as? String)
        #expect(created.json?["CustomerId"] is NSNull)
        let path = "/Commerce/Carts('\(id)')"
        // Without the id there is nothing to find; with it, an anonymous caller uses the cart.
        #expect(try await host.get("/Commerce/Carts('\(UUID().uuidString.lowercased())')").status == 404)
        let added = try await host.send("POST", path + "/AddCartLines", headers: Self.json, body: #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":1}]}"#)
        #expect(added.status == 200, "\(added.text)")
        // Reading while signed in does not claim it.
        let read = try await host.get(path, headers: Self.bearer(a))
        #expect(read.status == 200 && read.json?["CustomerId"] is NSNull, "\(read.text)")
        // Changing it does: the cart is A's from now on.
        let claimed = try await host.send("POST", path + "/AddCartLines", headers: Self.bearer(a), body: #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":1}]}"#)
        #expect(claimed.status == 200, "\(claimed.text)")
        let accountA = try #require(claimed.json?["CustomerId"] as? String)
        #expect((claimed.json?["CartLines"] as? [[String: Any]])?.first?["Quantity"] as? Double == 2, "\(claimed.text)")
        #expect(try await host.get(path).status == 404, "the anonymous caller no longer reaches it")
        #expect(try await host.get(path, headers: Self.bearer(b)).status == 404)
        let mine = try await host.get(path, headers: Self.bearer(a))
        #expect(mine.status == 200 && mine.json?["CustomerId"] as? String == accountA)
        #expect(await host.stop() == 0)
    }

    @Test("extensions see the token's customer in call_context: the loyalty sample answers a customer only its own balance")
    func extensionSeesTheCustomer() async throws {
        let key = try await ApplicationKey.make()
        let directory = try temporaryDirectory()
        let config = try extensionConfig([#"{"path": "\#(try await ExtensionBuild.path("libloyalty.so"))"}"#], key: key, in: directory)
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", config])
        func token(_ subject: String) async throws -> String {
            let made = try await HostProcess.run(["token", "customer", "--subject", subject, "--data-dir", directory])
            #expect(made.status == 0, "\(made.stderr)")
            return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let alice = try await token("alice")
        let account = try #require(try await host.send("POST", "/Commerce/Carts", headers: Self.bearer(alice), body: "{}").json?["CustomerId"] as? String)
        let own = try await host.get("/Commerce/GetLoyaltyPoints(customerId='\(account)')", headers: Self.bearer(alice))
        #expect(own.status == 200 && own.json?["value"] as? Int == 0, "\(own.text)")
        let other = try await host.get("/Commerce/GetLoyaltyPoints(customerId='004011')", headers: Self.bearer(alice))
        #expect(other.status == 404, "\(other.text)")
        // An application, trusted, reads any balance.
        #expect(try await host.get("/Commerce/GetLoyaltyPoints(customerId='004011')", headers: key.headers).status == 200)
        #expect(await host.stop() == 0)
    }

    @Test("a burst of concurrent token requests past the rate limit gets 429; the limit is per token")
    func rateLimitBurst() async throws {
        let tokens = try TestTokens()
        let directory = try temporaryDirectory()
        try tokens.jwks().write(toFile: directory + "/jwks.json", atomically: true, encoding: .utf8)
        try #"{"auth": {"issuers": [{"name": "idp", "issuer": "\#(TestTokens.issuer)", "audiences": ["\#(TestTokens.audience)"], "kind": "customer", "jwksFile": "jwks.json"}]}}"#
            .write(toFile: directory + "/host.json", atomically: true, encoding: .utf8)
        let host = try await HostProcess(
            ["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", directory + "/host.json"],
            environment: ["COMMERCE_HTTP_RATE_LIMIT_PER_SECOND": "2", "COMMERCE_HTTP_RATE_LIMIT_BURST": "10"]
        )
        let alice = try tokens.token(TestTokens.claims(subject: "alice"))
        let started = ContinuousClock.now
        let statuses: [Int] = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 {
                group.addTask { try await host.get("/Commerce/Products/$count", headers: Self.bearer(alice)).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = Int((ContinuousClock.now - started).components.seconds) + 1
        let served = statuses.filter { $0 == 200 }.count
        #expect(Set(statuses) == [200, 429], "\(statuses)")
        #expect(served >= 10 && served <= 10 + 2 * elapsed, "\(served) served in \(elapsed) s")
        // Another customer's token has its own bucket.
        let bob = try tokens.token(TestTokens.claims(subject: "bob"))
        #expect(try await host.get("/Commerce/Products/$count", headers: Self.bearer(bob)).status == 200)
        #expect(await host.stop() == 0)
    }
}
