import ConsumerAPI
import CommerceTestSupport
import Foundation
import Testing

/// Roles and credentials over real HTTP, against every entity set and operation of the model.
@Suite("Authorization end to end", .serialized)
struct AuthorizationEndToEndTests {
    static let allScopes = ["carts", "customers", "orders"]

    /// A new key made by `commerce api-key` for `id` with `scopes`: the key and its config entry.
    private func applicationKey(_ id: String, scopes: [String]) async throws -> (key: String, entry: String) {
        let made = try await HostProcess.run(["api-key", id] + scopes.flatMap { ["--scope", $0] })
        #expect(made.status == 0, "\(made.stderr)")
        let lines = made.stdout.split(separator: "\n").map(String.init)
        return (try #require(lines.dropFirst().first), try #require(lines.last { $0.hasPrefix("{") }))
    }

    /// A host whose configuration accepts an application key made by `commerce api-key` with
    /// every built-in scope, and one (`unscoped`) without any.
    private func hostWithApplicationKey(environment: [String: String] = [:]) async throws -> (HostProcess, key: String, dataDir: String, unscoped: String) {
        let scoped = try await applicationKey("erp-sync", scopes: Self.allScopes)
        let unscoped = try await applicationKey("catalog-feed", scopes: [])
        let directory = try temporaryDirectory()
        let config = directory + "/host.json"
        try #"{"auth": {"applications": [\#(scoped.entry), \#(unscoped.entry)]}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", config], environment: environment)
        return (host, scoped.key, directory, unscoped.key)
    }

    static func errorCode(_ result: HTTPResult) -> String? {
        (result.json?["error"] as? [String: Any])?["code"] as? String
    }

    /// A token of the development issuer that `serve --demo` trusts, made by `commerce token`.
    private func devToken(_ arguments: [String], dataDir: String) async throws -> String {
        let made = try await HostProcess.run(["token"] + arguments + ["--data-dir", dataDir])
        #expect(made.status == 0, "\(made.stderr)")
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("every role the host can authenticate, against every entity set and operation of the model; applications with and without scopes")
    func roleMatrix() async throws {
        let (host, key, dataDir, unscopedKey) = try await hostWithApplicationKey()
        let model = EntityModel.retailServer()
        let customer = try await devToken(["customer", "--subject", "matrix-customer"], dataDir: dataDir)
        let employee = try await devToken(["employee", "--subject", "matrix-employee", "--store", "128"], dataDir: dataDir)
        let application = try await devToken(["application", "--subject", "matrix-app"] + Self.allScopes.flatMap { ["--scope", $0] }, dataDir: dataDir)
        let unscopedApplication = try await devToken(["application", "--subject", "matrix-unscoped-app"], dataDir: dataDir)
        // Whether the caller holds every scope: an application without scopes may do only what
        // declares none, and gets 403 InsufficientScope for the rest.
        let callers: [(APIRole, scoped: Bool, [String: String])] = [
            (.anonymous, true, [:]), (.application, true, ["Authorization": "ApiKey \(key)"]), (.application, true, ["Authorization": "Bearer \(application)"]),
            (.application, false, ["Authorization": "ApiKey \(unscopedKey)"]), (.application, false, ["Authorization": "Bearer \(unscopedApplication)"]),
            (.customer, true, ["Authorization": "Bearer \(customer)"]), (.employee, true, ["Authorization": "Bearer \(employee)"]),
        ]

        func check(_ method: String, _ path: String, roles: Set<APIRole>, scope: String?) async throws {
            for (role, scoped, headers) in callers {
                var headers = headers
                headers["Content-Type"] = "application/json"
                let result = try await host.send(method, path, headers: headers, body: method == "POST" ? "{}" : nil)
                if !roles.contains(role) {
                    #expect(result.status == (role == .anonymous ? 401 : 403), "\(role) \(method) \(path) answered \(result.status)")
                } else if role == .application, !scoped, let scope {
                    #expect(result.status == 403 && Self.errorCode(result) == "InsufficientScope", "unscoped \(method) \(path) answered \(result.status)")
                    #expect(result.text.contains("'\(scope)'"), "\(result.text)")
                } else {
                    #expect(![401, 403].contains(result.status), "\(role) \(method) \(path) answered \(result.status) \(result.text)")
                }
            }
        }

        for set in model.entitySets {
            // Listing a set may take fewer roles than using its entities (carts, customers).
            try await check("GET", "/Commerce/\(set.name)", roles: set.listRoles ?? set.roles, scope: set.applicationScope)
            try await check("GET", "/Commerce/\(set.name)/$count", roles: set.listRoles ?? set.roles, scope: set.applicationScope)
        }
        for operation in model.operations {
            let method = operation.kind == .action ? "POST" : "GET"
            let call = operation.kind == .function ? "()" : ""
            if let binding = operation.binding {
                let set = try #require(model.entitySets.first { $0.entityType == binding.entityType })
                let type = try #require(model.entityType(named: binding.entityType))
                let keyType = type.key.first.flatMap { type.property(named: $0)?.type }
                let key = keyType == .primitive(.int64) ? "1" : "'none'"
                let target = binding.isCollection ? "/Commerce/\(set.name)" : "/Commerce/\(set.name)(\(key))"
                try await check(method, "\(target)/\(operation.name)\(call)", roles: operation.roles, scope: operation.applicationScope)
            } else {
                try await check(method, "/Commerce/\(operation.name)\(call)", roles: operation.roles, scope: operation.applicationScope)
            }
        }
        #expect(await host.stop() == 0)
    }

    @Test("credentials that cannot be verified are 401 with the scheme to use, and never echoed")
    func badCredentials() async throws {
        let (host, key, _, _) = try await hostWithApplicationKey()
        let good = try await host.get("/Commerce/Customers", headers: ["Authorization": "ApiKey \(key)"])
        #expect(good.status == 200)
        let anonymous = try await host.get("/Commerce/Customers")
        #expect(anonymous.status == 401)
        // `serve --demo` trusts the development token issuer, so both schemes are offered.
        #expect(anonymous.header("WWW-Authenticate") == #"Bearer realm="commerce", ApiKey"#)
        for header in ["ApiKey wrong-\(key)", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "id_token abc", "Basic dXNlcjpwYXNz", "ApiKey", "\(key)"] {
            let result = try await host.get("/Commerce/Products", headers: ["Authorization": header])
            #expect(result.status == 401, "\(header)")
            #expect(!result.text.contains(key), "\(header)")
            #expect((result.json?["error"] as? [String: Any])?["code"] as? String == "Unauthorized")
        }
        // Public reads stay public; the host keeps serving.
        #expect(try await host.get("/Commerce/Products/$count").text == "1140")
        #expect(await host.stop() == 0)
    }

    @Test("a malformed auth section stops the host and names the key")
    func badAuthConfiguration() async throws {
        let directory = try temporaryDirectory()
        let zeros = String(repeating: "0", count: 64)
        let ones = String(repeating: "1", count: 64)
        for (json, key) in [
            (#"{"auth": {"applications": [{"id": "erp", "keySha256": "zz"}]}}"#, "auth.applications[0].keySha256"),
            (#"{"auth": {"applications": [{"keySha256": "00"}]}}"#, "auth.applications[0].id"),
            (#"{"auth": {"issuers": []}}"#, "auth.issuers"),
            (#"{"auth": {"issuers": [{"name": "idp"}]}}"#, "auth.issuers[0].issuer"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "shopper", "jwks": {"keys": []}}]}}"#, "auth.issuers[0].kind"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": [], "kind": "customer"}]}}"#, "auth.issuers[0].audiences"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "customer", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}]}}"#,
             "auth.issuers[0].jwks.keys[0]"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "customer", "jwksFile": "missing.json"}]}}"#,
             "auth.issuers[0].jwksFile"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "application", "allowHS256": true}]}}"#,
             "auth.issuers[0].secret"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "application", "secret": "0123456789abcdef0123456789abcdef"}]}}"#,
             "auth.issuers[0].secret"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "application", "allowHS256": true, "secret": "short"}]}}"#,
             "auth.issuers[0].secret"),
            (#"{"auth": {"issuers": [{"name": "idp", "issuer": "https://idp", "audiences": ["a"], "kind": "customer", "roleClaim": "roles", "jwks": {"keys": []}}]}}"#,
             "auth.issuers[0].kind"),
            (#"{"auth": {"devIssuer": "yes"}}"#, "auth.devIssuer"),
            (#"{"auth": {"applications": [{"id": "erp", "keySha256": "\#(zeros)", "scopes": "orders"}]}}"#, "auth.applications[0].scopes"),
            (#"{"auth": {"applications": [{"id": "erp", "keySha256": "\#(zeros)", "scopes": ["orders read"]}]}}"#, "auth.applications[0].scopes"),
            (#"{"auth": {"applications": [{"id": "erp", "keySha256": "\#(zeros)", "scopes": [7]}]}}"#, "auth.applications[0].scopes"),
            // A typo would silently deny: unknown scopes are refused, naming the known ones.
            (#"{"auth": {"applications": [{"id": "a", "keySha256": "\#(zeros)"}, {"id": "b", "keySha256": "\#(ones)", "scopes": ["order"]}]}}"#,
             "auth.applications[1].scopes names the unknown scope 'order'; this host knows carts, customers, dataexchange, orders"),
            (#"{"http": {"requestTimeoutSeconds": "soon"}}"#, "http.requestTimeoutSeconds"),
            (#"{"http": {"requestTimeoutSeconds": 3601}}"#, "http.requestTimeoutSeconds"),
            (#"{"http": {"idleTimeoutSeconds": -1}}"#, "http.idleTimeoutSeconds"),
            (#"{"http": {"catalogCacheMilliseconds": "always"}}"#, "http.catalogCacheMilliseconds"),
            (#"{"http": {"catalogCacheMegabytes": 0}}"#, "http.catalogCacheMegabytes"),
        ] {
            let config = directory + "/bad.json"
            try json.write(toFile: config, atomically: true, encoding: .utf8)
            let result = try await HostProcess.run(["serve", "--port", "0", "--data-dir", directory, "--config", config])
            #expect(result.status == 2, "\(json)")
            #expect(result.stderr.contains(key), "\(result.stderr)")
        }
        // The environment is checked as strictly as the file.
        let fromEnvironment = try await HostProcess.run(
            ["serve", "--port", "0", "--data-dir", directory], environment: ["COMMERCE_HTTP_REQUEST_TIMEOUT_SECONDS": "ten"]
        )
        #expect(fromEnvironment.status == 2 && fromEnvironment.stderr.contains("http.requestTimeoutSeconds"), "\(fromEnvironment.stderr)")
        #expect(fromEnvironment.stderr.contains("COMMERCE_HTTP_REQUEST_TIMEOUT_SECONDS"), "\(fromEnvironment.stderr)")
    }

    @Test("scopes: an application reaches what needs a scope only with it, from its API key or its token's scope or scp claim")
    func applicationScopes() async throws {
        let tokens = try TestTokens()
        let directory = try temporaryDirectory()
        try tokens.jwks().write(toFile: directory + "/jwks.json", atomically: true, encoding: .utf8)
        let exporter = try await applicationKey("order-export", scopes: ["orders"])
        let feed = try await applicationKey("catalog-feed", scopes: [])
        let config = """
            {"auth": {"applications": [\(exporter.entry), \(feed.entry)], "issuers": [
              {"name": "idp", "issuer": "\(TestTokens.issuer)", "audiences": ["\(TestTokens.audience)"], "kind": "application", "jwksFile": "jwks.json"}]}}
            """
        try config.write(toFile: directory + "/host.json", atomically: true, encoding: .utf8)
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", directory + "/host.json"])
        func apiKey(_ key: String) -> [String: String] { ["Authorization": "ApiKey \(key)", "Content-Type": "application/json"] }
        func bearer(_ claims: [String: Any]) throws -> [String: String] {
            ["Authorization": "Bearer \(try tokens.token(TestTokens.claims(subject: "svc", extra: claims)))", "Content-Type": "application/json"]
        }

        // Without the scope: 403 naming it, with RFC 6750's challenge; nothing is looked up.
        let refused = try await host.get("/Commerce/SalesOrders('nope')", headers: apiKey(feed.key))
        #expect(refused.status == 403 && Self.errorCode(refused) == "InsufficientScope", "\(refused.text)")
        #expect(refused.text.contains("'orders'") && refused.text.contains("catalog-feed"), "\(refused.text)")
        #expect(refused.header("WWW-Authenticate") == #"Bearer realm="commerce", error="insufficient_scope", scope="orders""#)
        // With it: the order is looked up (404: there is none).
        #expect(try await host.get("/Commerce/SalesOrders('nope')", headers: apiKey(exporter.key)).status == 404)
        // One scope grants what declares it, nothing else.
        let customers = try await host.get("/Commerce/Customers('004011')", headers: apiKey(exporter.key))
        #expect(customers.status == 403 && customers.text.contains("'customers'"), "\(customers.text)")
        let cart = try await host.send("POST", "/Commerce/Carts", headers: apiKey(exporter.key), body: "{}")
        #expect(cart.status == 403 && cart.text.contains("'carts'"), "\(cart.text)")
        // What declares no scope is open to every application: the catalog, tender types.
        for key in [feed.key, exporter.key] {
            #expect(try await host.get("/Commerce/Products/$count", headers: apiKey(key)).text == "1140")
            #expect(try await host.get("/Commerce/GetTenderTypes()", headers: apiKey(key)).status == 200)
        }
        // Tokens: `scope` (space-separated) and `scp` (an array) both grant; none grants nothing.
        #expect(try await host.get("/Commerce/Customers('004011')", headers: bearer(["scope": "orders customers"])).status == 200)
        #expect(try await host.get("/Commerce/Customers('004011')", headers: bearer(["scp": ["customers"]])).status == 200)
        #expect(try await host.get("/Commerce/Customers('004011')", headers: bearer(["scp": "customers carts"])).status == 200)
        let unscopedToken = try await host.get("/Commerce/Customers('004011')", headers: bearer([:]))
        #expect(unscopedToken.status == 403 && Self.errorCode(unscopedToken) == "InsufficientScope", "\(unscopedToken.text)")
        // A bound operation declares its own scope: order history needs orders, not customers.
        let history = try await host.get("/Commerce/Customers('004011')/GetOrderHistory()", headers: bearer(["scope": "customers"]))
        #expect(history.status == 403 && history.text.contains("'orders'"), "\(history.text)")
        #expect(try await host.get("/Commerce/Customers('004011')/GetOrderHistory()", headers: bearer(["scope": "orders"])).status == 200)
        // $batch parts are checked as if sent alone.
        let batch = try await host.send("POST", "/Commerce/$batch", headers: apiKey(exporter.key), body: """
            {"requests":[{"id":"1","method":"GET","url":"SalesOrders('nope')"},{"id":"2","method":"GET","url":"Customers('004011')"}]}
            """)
        let statuses = (batch.json?["responses"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? Int }
        #expect(statuses == [404, 403], "\(batch.text)")
        // Scopes do not stand in for a role: customers and anonymous callers are unaffected.
        #expect(try await host.get("/Commerce/SalesOrders('nope')").status == 401)
        #expect(await host.stop() == 0)
    }

    @Test("rate limit per caller: a burst past the limit gets 429 with Retry-After, other callers are still served")
    func rateLimit() async throws {
        let (host, key, _, _) = try await hostWithApplicationKey(environment: ["COMMERCE_HTTP_RATE_LIMIT_PER_SECOND": "1", "COMMERCE_HTTP_RATE_LIMIT_BURST": "5"])
        // The bucket refills at 1 per second while the burst runs, so the number served is the
        // burst plus at most one per elapsed second; the rest are refused.
        let started = ContinuousClock.now
        var statuses: [Int] = []
        var refused: HTTPResult?
        for _ in 0..<20 {
            let result = try await host.get("/Commerce/Products/$count")
            statuses.append(result.status)
            if result.status == 429 { refused = result }
        }
        let elapsed = Int((ContinuousClock.now - started).components.seconds) + 1
        #expect(statuses.prefix(5).allSatisfy { $0 == 200 }, "\(statuses)")
        #expect(Set(statuses) == [200, 429], "\(statuses)")
        #expect(statuses.filter { $0 == 200 }.count <= 5 + elapsed, "\(statuses) in \(elapsed) s")
        let limited = try #require(refused)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect((limited.json?["error"] as? [String: Any])?["code"] as? String == "TooManyRequests")
        // Another caller has its own bucket.
        #expect(try await host.get("/Commerce/Products/$count", headers: ["Authorization": "ApiKey \(key)"]).status == 200)
        // The bucket refills.
        try await Task.sleep(for: .seconds(1.5))
        #expect(try await host.get("/Commerce/Products/$count").status == 200)
        #expect(await host.stop() == 0)
    }

    @Test("the rate limit counts a verified caller, not its credential's bytes; failing credentials count against the address before verification")
    func rateLimitByIdentity() async throws {
        let tokens = try TestTokens()
        let directory = try temporaryDirectory()
        try tokens.jwks().write(toFile: directory + "/jwks.json", atomically: true, encoding: .utf8)
        try #"{"auth": {"issuers": [{"name": "idp", "issuer": "\#(TestTokens.issuer)", "audiences": ["\#(TestTokens.audience)"], "kind": "customer", "jwksFile": "jwks.json"}]}}"#
            .write(toFile: directory + "/host.json", atomically: true, encoding: .utf8)
        let host = try await HostProcess(
            ["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", directory + "/host.json"],
            environment: ["COMMERCE_HTTP_RATE_LIMIT_PER_SECOND": "1", "COMMERCE_HTTP_RATE_LIMIT_BURST": "3"]
        )
        func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }
        // Alice's account exists before the clock starts, so every request below is equally cheap.
        let now = Int(Date().timeIntervalSince1970)
        let warmup = try tokens.token(TestTokens.claims(subject: "alice"))
        #expect(try await host.get("/Commerce/Customers('x')", headers: bearer(warmup)).status == 404)
        try await Task.sleep(for: .seconds(3.5))

        // The same customer with differently encoded tokens (ES256 and RS256, other claims): one bucket.
        let encodings = [
            try tokens.token(TestTokens.claims(subject: "alice", extra: ["jti": "a"])),
            try tokens.token(TestTokens.claims(subject: "alice", extra: ["jti": "b", "iat": now - 30]), alg: "ES256", kid: "ec-1"),
            try tokens.token(TestTokens.claims(subject: "alice", extra: ["jti": "c", "nbf": now - 10])),
        ]
        var started = ContinuousClock.now
        var statuses: [Int] = []
        for index in 0..<9 { statuses.append(try await host.get("/Commerce/Products/$count", headers: bearer(encodings[index % 3])).status) }
        var elapsed = Int((ContinuousClock.now - started).components.seconds) + 1
        // Keyed by credential, each encoding would have had a burst of 3: 9 served.
        #expect(statuses.filter { $0 == 200 }.count <= 3 + elapsed, "\(statuses) in \(elapsed) s")
        #expect(statuses.contains(429), "\(statuses)")
        // Another customer is someone else.
        #expect(try await host.get("/Commerce/Products/$count", headers: bearer(try tokens.token(TestTokens.claims(subject: "bob")))).status == 200)

        // Bad credentials: 401 until the address's bucket of failures is used up, then 429
        // without the token being verified at all.
        let forged = try tokens.token(TestTokens.claims(subject: "mallory", extra: ["aud": "api://elsewhere"]))
        started = ContinuousClock.now
        statuses = []
        for _ in 0..<8 { statuses.append(try await host.get("/Commerce/Products/$count", headers: bearer(forged)).status) }
        elapsed = Int((ContinuousClock.now - started).components.seconds) + 1
        #expect(Set(statuses) == [401, 429], "\(statuses)")
        #expect(statuses.filter { $0 == 401 }.count <= 3 + elapsed, "\(statuses) in \(elapsed) s")
        // While the address is refused, so are its credentials, valid or not (they are not looked
        // at). The bucket gains a token a second, so one may come back between a refusal and the
        // next request: then that valid request is served, and the forged one after it is
        // verified again (401) instead of refused. A valid request served while the forged one
        // after it is still refused would be the bug. Some attempt must see the refusal.
        let carol = try tokens.token(TestTokens.claims(subject: "carol"))
        var seenRefused = false
        for _ in 0..<5 where !seenRefused {
            var refused = try await host.get("/Commerce/Products/$count", headers: bearer(forged))
            for _ in 0..<5 where refused.status != 429 { refused = try await host.get("/Commerce/Products/$count", headers: bearer(forged)) }
            #expect(refused.status == 429 && Self.errorCode(refused) == "TooManyRequests" && refused.header("Retry-After") != nil, "\(refused.text)")
            let valid = try await host.get("/Commerce/Products/$count", headers: bearer(carol))
            let after = try await host.get("/Commerce/Products/$count", headers: bearer(forged))
            if valid.status == 429 {
                seenRefused = true
            } else {
                #expect(valid.status == 200 && after.status == 401, "valid \(valid.status), forged after it \(after.status)")
            }
        }
        #expect(seenRefused, "a valid credential was never refused right after its address was")
        // Anonymous callers of the address have their own bucket and are still served.
        #expect(try await host.get("/Commerce/Products/$count").status == 200)
        // The bucket refills.
        try await Task.sleep(for: .seconds(1.5))
        #expect(try await host.get("/Commerce/Products/$count", headers: bearer(carol)).status == 200)
        #expect(await host.stop() == 0)
    }

    @Test("an idle connection, or one whose request head never completes, is closed after http.idleTimeoutSeconds")
    func idleTimeout() async throws {
        let directory = try temporaryDirectory()
        let host = try await HostProcess(
            ["serve", "--demo", "--port", "0", "--data-dir", directory], environment: ["COMMERCE_HTTP_IDLE_TIMEOUT_SECONDS": "1"]
        )
        let port = try #require(host.baseURL.port)
        // A slow client: part of a request line, then nothing.
        let stalled = try RawConnection(port: port)
        try stalled.send("GET /Commerce/Products/$count HTTP/1.1\r\nHost: localhost\r\n")
        let started = ContinuousClock.now
        #expect(await stalled.readUntilClosed(timeout: .seconds(10)), "the host kept the stalled connection open")
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(500) && waited < .seconds(5), "closed after \(waited)")
        // A client that finishes its request in time is answered, and the host still serves.
        let prompt = try RawConnection(port: port)
        try prompt.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(await prompt.readAll(timeout: .seconds(10)).hasPrefix("HTTP/1.1 200"))
        #expect(try await host.get("/health").status == 200)
        #expect(await host.stop() == 0)
    }

    @Test("security headers on every response; overlong URLs are 414")
    func securityHeaders() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        for path in ["/Commerce/Products(68719476737)", "/Commerce/NoSuchSet", "/health", "/Commerce/$metadata"] {
            let result = try await host.get(path)
            #expect(result.header("X-Content-Type-Options") == "nosniff", "\(path)")
            #expect(result.header("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'", "\(path)")
            #expect(result.header("Referrer-Policy") == "no-referrer", "\(path)")
        }
        let long = try await host.get("/Commerce/Products?custom=" + String(repeating: "x", count: 17_000))
        #expect(long.status == 414)
        #expect(try await host.get("/health").status == 200)
        #expect(await host.stop() == 0)
    }
}
