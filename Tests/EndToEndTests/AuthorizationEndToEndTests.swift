import ConsumerAPI
import Foundation
import Testing

/// Roles and credentials over real HTTP, against every entity set and operation of the model.
@Suite("Authorization end to end", .serialized)
struct AuthorizationEndToEndTests {
    /// A host whose configuration accepts one application key made by `commerce api-key`.
    private func hostWithApplicationKey(environment: [String: String] = [:]) throws -> (HostProcess, key: String, dataDir: String) {
        let made = try HostProcess.run(["api-key", "erp-sync"])
        #expect(made.status == 0)
        let lines = made.stdout.split(separator: "\n").map(String.init)
        let key = try #require(lines.dropFirst().first)
        let entry = try #require(lines.last { $0.hasPrefix("{") })
        let directory = try temporaryDirectory()
        let config = directory + "/host.json"
        try #"{"auth": {"applications": [\#(entry)]}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let host = try HostProcess(["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", config], environment: environment)
        return (host, key, directory)
    }

    /// A token of the development issuer that `serve --demo` trusts, made by `commerce token`.
    private func devToken(_ arguments: [String], dataDir: String) throws -> String {
        let made = try HostProcess.run(["token"] + arguments + ["--data-dir", dataDir])
        #expect(made.status == 0, "\(made.stderr)")
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("every role the host can authenticate, against every entity set and operation of the model")
    func roleMatrix() async throws {
        let (host, key, dataDir) = try hostWithApplicationKey()
        let model = EntityModel.retailServer()
        let customer = try devToken(["customer", "--subject", "matrix-customer"], dataDir: dataDir)
        let employee = try devToken(["employee", "--subject", "matrix-employee", "--store", "128"], dataDir: dataDir)
        let application = try devToken(["application", "--subject", "matrix-app"], dataDir: dataDir)
        let callers: [(APIRole, [String: String])] = [
            (.anonymous, [:]), (.application, ["Authorization": "ApiKey \(key)"]), (.application, ["Authorization": "Bearer \(application)"]),
            (.customer, ["Authorization": "Bearer \(customer)"]), (.employee, ["Authorization": "Bearer \(employee)"]),
        ]

        func check(_ method: String, _ path: String, roles: Set<APIRole>) async throws {
            for (role, headers) in callers {
                var headers = headers
                headers["Content-Type"] = "application/json"
                let result = try await host.send(method, path, headers: headers, body: method == "POST" ? "{}" : nil)
                if roles.contains(role) {
                    #expect(![401, 403].contains(result.status), "\(role) \(method) \(path) answered \(result.status)")
                } else {
                    #expect(result.status == (role == .anonymous ? 401 : 403), "\(role) \(method) \(path) answered \(result.status)")
                }
            }
        }

        for set in model.entitySets {
            // Listing a set may take fewer roles than using its entities (carts, customers).
            try await check("GET", "/Commerce/\(set.name)", roles: set.listRoles ?? set.roles)
            try await check("GET", "/Commerce/\(set.name)/$count", roles: set.listRoles ?? set.roles)
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
                try await check(method, "\(target)/\(operation.name)\(call)", roles: operation.roles)
            } else {
                try await check(method, "/Commerce/\(operation.name)\(call)", roles: operation.roles)
            }
        }
        #expect(host.stop() == 0)
    }

    @Test("credentials that cannot be verified are 401 with the scheme to use, and never echoed")
    func badCredentials() async throws {
        let (host, key, _) = try hostWithApplicationKey()
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
        #expect(host.stop() == 0)
    }

    @Test("a malformed auth section stops the host and names the key")
    func badAuthConfiguration() throws {
        let directory = try temporaryDirectory()
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
        ] {
            let config = directory + "/bad.json"
            try json.write(toFile: config, atomically: true, encoding: .utf8)
            let result = try HostProcess.run(["serve", "--port", "0", "--data-dir", directory, "--config", config])
            #expect(result.status == 2, "\(json)")
            #expect(result.stderr.contains(key), "\(result.stderr)")
        }
    }

    @Test("rate limit per caller: a burst past the limit gets 429 with Retry-After, other callers are still served")
    func rateLimit() async throws {
        let (host, key, _) = try hostWithApplicationKey(environment: ["COMMERCE_HTTP_RATE_LIMIT_PER_SECOND": "1", "COMMERCE_HTTP_RATE_LIMIT_BURST": "5"])
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
        #expect(host.stop() == 0)
    }

    @Test("security headers on every response; overlong URLs are 414")
    func securityHeaders() async throws {
        let host = try HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        for path in ["/Commerce/Products(68719476737)", "/Commerce/NoSuchSet", "/health", "/Commerce/$metadata"] {
            let result = try await host.get(path)
            #expect(result.header("X-Content-Type-Options") == "nosniff", "\(path)")
            #expect(result.header("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'", "\(path)")
            #expect(result.header("Referrer-Policy") == "no-referrer", "\(path)")
        }
        let long = try await host.get("/Commerce/Products?custom=" + String(repeating: "x", count: 17_000))
        #expect(long.status == 414)
        #expect(try await host.get("/health").status == 200)
        #expect(host.stop() == 0)
    }
}
