@testable import ConsumerAPI
import CommerceTestSupport
import Foundation
import Testing

/// Token verification against real keys and real signatures: what is accepted, and every
/// refusal with its reason.
@Suite("Token verification")
struct TokenVerifierTests {
    static let secret = Array("a shared HS256 secret of at least 32 bytes".utf8)
    let tokens: TestTokens
    let verifier: TokenVerifier

    init() throws {
        tokens = try TestTokens()
        let roles: [String: TokenIssuer.Role] = ["Shopper": .customer, "Commerce.App": .application, "Store.Staff": .employee]
        verifier = TokenVerifier([
            try TokenIssuer(
                name: "test", issuer: TestTokens.issuer, audiences: [TestTokens.audience, "other"], roles: .claim(name: "roles", values: roles),
                storesClaim: "stores", clockSkewSeconds: 60, jwks: try tokens.jwks()
            ),
            try TokenIssuer(
                name: "shared", issuer: "https://hs.example.test", audiences: [TestTokens.audience], roles: .fixed(.application),
                jwks: nil, hmacSecret: Self.secret
            ),
        ])
    }

    private func rejection(_ token: String) async -> String? {
        do {
            _ = try await verifier.verify(token)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test("RS256 and ES256 tokens give the role their claim maps to")
    func accepted() async throws {
        let customer = try await verifier.verify(try tokens.token(TestTokens.claims(subject: "alice", extra: ["roles": ["Shopper"], "email": "a@example.com"])))
        #expect(customer.role == .customer && customer.subject == "alice" && customer.issuer == TestTokens.issuer && customer.email == "a@example.com")
        let employee = try await verifier.verify(
            try tokens.token(TestTokens.claims(subject: "e-7", extra: ["roles": "Store.Staff", "stores": ["068", "069"]]), alg: "ES256", kid: "ec-1")
        )
        #expect(employee.role == .employee && employee.storeNumbers == ["068", "069"])
        let application = try await verifier.verify(
            try tokens.token(TestTokens.claims(subject: "svc", extra: ["roles": ["Commerce.App", "Unrelated"], "azp": "erp-sync", "aud": ["x", "other"]]))
        )
        #expect(application.role == .application && application.clientId == "erp-sync")
        // Without a kid, the one key of the token's algorithm is used.
        let noKid = try await verifier.verify(try tokens.token(TestTokens.claims(subject: "bob", extra: ["roles": ["Shopper"]]), alg: "ES256", kid: nil))
        #expect(noKid.subject == "bob")
        // HS256 only where the issuer enabled it.
        let shared = try await verifier.verify(
            try tokens.token(TestTokens.claims(subject: "batch", extra: ["iss": "https://hs.example.test"]), alg: "HS256", kid: nil, secret: Self.secret)
        )
        #expect(shared.role == .application)
    }

    @Test("an application's scopes come from scope (space-separated) and scp (string or array); other roles get none")
    func scopes() async throws {
        func verified(_ extra: [String: Any]) async throws -> VerifiedToken {
            try await verifier.verify(try tokens.token(TestTokens.claims(subject: "svc", extra: extra)))
        }
        #expect(try await verified(["roles": ["Commerce.App"]]).scopes.isEmpty)
        #expect(try await verified(["roles": ["Commerce.App"], "scope": "orders  customers"]).scopes == ["orders", "customers"])
        #expect(try await verified(["roles": ["Commerce.App"], "scp": ["orders", "carts"]]).scopes == ["orders", "carts"])
        #expect(try await verified(["roles": ["Commerce.App"], "scp": "carts", "scope": "orders"]).scopes == ["orders", "carts"])
        // A customer's token may carry OAuth scopes of the identity provider's own; they grant nothing here.
        #expect(try await verified(["roles": ["Shopper"], "scope": "openid orders"]).scopes.isEmpty)
    }

    @Test("expiry and not-before are checked with the issuer's clock skew")
    func times() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let roles: [String: Any] = ["roles": ["Shopper"]]
        func claims(_ extra: [String: Any]) -> [String: Any] { TestTokens.claims(subject: "alice", extra: roles.merging(extra) { $1 }) }
        #expect(await rejection(try tokens.token(claims(["exp": now - 61]))) == "the token has expired")
        #expect(await rejection(try tokens.token(claims(["exp": now - 30]))) == nil, "within the skew")
        #expect(await rejection(try tokens.token(claims(["nbf": now + 120]))) == "the token is not valid yet (nbf)")
        #expect(await rejection(try tokens.token(claims(["nbf": now + 30]))) == nil, "within the skew")
        #expect(await rejection(try tokens.token(claims(["iat": now + 600]))) == "the token is not valid yet (issued in the future)")
        var noExpiry = claims([:])
        noExpiry["exp"] = nil
        #expect(await rejection(try tokens.token(noExpiry)) == "the token has no expiry (exp)")
    }

    @Test("attacks and mistakes are refused with a reason that does not quote the token")
    func refused() async throws {
        let valid = TestTokens.claims(subject: "alice", extra: ["roles": ["Shopper"]])
        let good = try tokens.token(valid)
        let parts = good.split(separator: ".").map(String.init)
        let cases: [(String, String)] = [
            (try tokens.token(valid.merging(["iss": "https://evil.example"]) { $1 }), "the token's issuer is not trusted by this host"),
            (try tokens.token(valid.merging(["aud": "api://someone-else"]) { $1 }), "the token is not meant for this service (aud)"),
            // The payload of another token under this token's signature.
            (parts[0] + "." + TestTokens.base64URL(Data(#"{"iss":"\#(TestTokens.issuer)","sub":"mallory","aud":"\#(TestTokens.audience)","exp":9999999999,"roles":["Shopper"]}"#.utf8)) + "." + parts[2],
             "the token's signature is not valid"),
            (try tokens.token(valid, alg: "none", kid: nil), "unsigned tokens (alg none) are not accepted"),
            (try tokens.token(valid, alg: "none", kid: nil) + "c2ln", "unsigned tokens (alg none) are not accepted"),
            (try tokens.token(valid, alg: "NONE", kid: "rsa-1"), "unsigned tokens (alg none) are not accepted"),
            // Algorithm confusion: HS256 with the RSA public key as the secret, naming the RSA key or none.
            (try tokens.token(valid, alg: "HS256", kid: "rsa-1", secret: tokens.rsaPublicPEM), "the token's algorithm does not match its issuer's key"),
            (try tokens.token(valid, alg: "HS256", kid: nil, secret: tokens.rsaPublicPEM), "the token's algorithm does not match its issuer's keys"),
            (try tokens.token(valid, alg: "ES256", kid: "rsa-1"), "the token's algorithm does not match its issuer's key"),
            (try tokens.token(valid, alg: "RS512", kid: "rsa-1"), "the token's algorithm is not accepted; use RS256 or ES256"),
            (try tokens.token(valid, kid: "rotated-away"), "the token names a key (kid) its issuer does not publish"),
            (parts[0] + ".%%%." + parts[2], "the token's header or payload is not base64url-encoded JSON"),
            (parts[0] + "." + parts[1] + ".a+b/c=", "the token's signature is not base64url"),
            (parts[0] + "." + parts[1], "the token is not a signed JWT (three base64url parts separated by dots)"),
            ("", "the token is not a signed JWT (three base64url parts separated by dots)"),
            (TestTokens.base64URL(Data("[1]".utf8)) + "." + parts[1] + "." + parts[2], "the token's header or payload is not base64url-encoded JSON"),
            (try tokens.token(TestTokens.claims(subject: "alice")), "the token carries no role this host accepts"),
            (try tokens.token(TestTokens.claims(subject: "alice", extra: ["roles": ["Shopper", "Store.Staff"]])), "the token carries more than one role; use one token per role"),
            (try tokens.token(TestTokens.claims(subject: "e-1", extra: ["roles": ["Store.Staff"]])), "the employee token names no store (stores)"),
            (try tokens.token(TestTokens.claims(subject: "", extra: ["roles": ["Shopper"]])), "the token has no subject (sub) of at most 255 bytes"),
            // HS256 at an issuer that did not enable it, and with the wrong secret where it did.
            (try tokens.token(valid, alg: "HS256", kid: nil, secret: TokenVerifierTests.secret), "the token's algorithm does not match its issuer's keys"),
            (try tokens.token(valid.merging(["iss": "https://hs.example.test"]) { $1 }, alg: "HS256", kid: nil, secret: Array("a different secret of at least 32 bytes!".utf8)),
             "the token's signature is not valid"),
            (String(repeating: "a", count: TokenVerifier.maximumLength + 1), "the token is longer than 16384 bytes"),
        ]
        for (token, reason) in cases {
            let refused = await rejection(token)
            #expect(refused == reason, "\(token.prefix(60))")
            if let refused, !token.isEmpty { #expect(!refused.contains(token)) }
        }
        #expect(await rejection(good) == nil)
    }

    @Test("key material is checked when the issuer is configured")
    func keyProblems() throws {
        func problem(_ jwks: String?, secret: [UInt8]? = nil) -> String? {
            do {
                _ = try TokenIssuer(name: "x", issuer: "x", audiences: ["a"], roles: .fixed(.customer), jwks: jwks, hmacSecret: secret)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(try tokens.jwks()) == nil)
        #expect(problem("[]") == "jwks is not a JSON object")
        #expect(problem(#"{"keys":{}}"#) == "jwks.keys must be an array of JSON Web Keys")
        #expect(problem(#"{"keys":[]}"#) == "jwks holds no signing key")
        #expect(problem(#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)?.hasPrefix("jwks.keys[0] holds private or secret key material") == true)
        #expect(problem(#"{"keys":[{"kty":"EC","crv":"P-384","x":"a","y":"b"}]}"#)?.hasPrefix("jwks.keys[0].crv must be P-256") == true)
        #expect(problem(#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#)?.hasPrefix("jwks.keys[0] is not a usable RSA public key") == true)
        #expect(problem(#"{"keys":[{"kty":"RSA","alg":"RS384","n":"AQAB","e":"AQAB"}]}"#)?.hasPrefix("jwks.keys[0].alg must be RS256") == true)
        #expect(problem(#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"a"}]}"#) == "jwks.keys[0].kty must be RSA or EC, not 'OKP'")
        #expect(problem(nil, secret: Array("short".utf8)) == "secret must be at least 32 bytes for HS256")
        #expect(problem(nil, secret: Self.secret) == nil)
    }
}
