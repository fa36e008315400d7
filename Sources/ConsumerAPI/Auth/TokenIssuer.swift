import Foundation
import JWTKit

/// An OpenID Connect (or OAuth client-credentials) issuer whose signed tokens the host accepts.
///
/// Keys come from a JWKS document (a file or inline in the configuration), never from the
/// network: a host verifies tokens without calling the identity provider, and a rotated key is
/// a configuration change. Only RS256 and ES256 keys are read from a JWKS; HS256 needs an
/// explicit shared secret, because a symmetric key lets whoever verifies also mint tokens.
public struct TokenIssuer: Sendable {
    /// The roles a token can give its bearer.
    public enum Role: String, Sendable, CaseIterable {
        case customer = "Customer"
        case application = "Application"
        case employee = "Employee"
    }

    /// How a token's role is found: one role for every token of the issuer, or a claim whose
    /// values map to roles (e.g. `roles: ["Commerce.Employee"]`).
    public enum RoleSource: Sendable, Equatable {
        case fixed(Role)
        case claim(name: String, values: [String: Role])
    }

    /// The name the configuration and log lines use.
    public var name: String
    /// `iss` exactly as the issuer writes it.
    public var issuer: String
    /// A token is accepted when its `aud` names one of these.
    public var audiences: [String]
    public var roles: RoleSource
    /// The claim listing the operating unit numbers an employee may act for.
    public var storesClaim: String
    /// How far `exp` and `nbf` may be off the host's clock.
    public var clockSkewSeconds: Int
    let keys: [VerificationKey]

    /// Checks and parses the key material: `jwks` is a JWKS document (`{"keys": [...]}`),
    /// `hmacSecret` the HS256 shared secret (at least 32 bytes). At least one is needed.
    public init(
        name: String, issuer: String, audiences: [String], roles: RoleSource, storesClaim: String = "stores", clockSkewSeconds: Int = 60,
        jwks: String?, hmacSecret: [UInt8]? = nil
    ) throws(KeyProblem) {
        self.name = name
        self.issuer = issuer
        self.audiences = audiences
        self.roles = roles
        self.storesClaim = storesClaim
        self.clockSkewSeconds = clockSkewSeconds
        var keys: [VerificationKey] = []
        if let jwks { keys = try Self.parse(jwks: jwks) }
        if let hmacSecret {
            guard hmacSecret.count >= 32 else { throw KeyProblem(field: "secret", "must be at least 32 bytes for HS256") }
            keys.append(VerificationKey(kid: nil, material: .hmac(hmacSecret)))
        }
        guard !keys.isEmpty else { throw KeyProblem(field: "jwks", "holds no signing key") }
        self.keys = keys
    }

    /// What is wrong with configured key material; `field` names the part of the issuer's
    /// configuration, relative to it (`jwks.keys[1].n`).
    public struct KeyProblem: Error, CustomStringConvertible {
        public var field: String
        public var problem: String

        init(field: String, _ problem: String) {
            self.field = field
            self.problem = problem
        }

        public var description: String { "\(field) \(problem)" }
    }

    /// A public key (or the HS256 secret) with the one algorithm it verifies.
    struct VerificationKey: Sendable {
        enum Material: Sendable {
            case rsa(Insecure.RSA.PublicKey)
            case ecdsa(ES256PublicKey)
            case hmac([UInt8])
        }

        var kid: String?
        var material: Material

        /// The `alg` a token must name to be checked against this key. Pinning one algorithm to
        /// each key is what stops algorithm confusion (an HS256 token "signed" with an RSA
        /// public key as its secret).
        var algorithm: String {
            switch material {
            case .rsa: "RS256"
            case .ecdsa: "ES256"
            case .hmac: "HS256"
            }
        }
    }

    private static func parse(jwks text: String) throws(KeyProblem) -> [VerificationKey] {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw KeyProblem(field: "jwks", "is not a JSON object")
        }
        guard let list = root["keys"] as? [Any] else { throw KeyProblem(field: "jwks.keys", "must be an array of JSON Web Keys") }
        var keys: [VerificationKey] = []
        var kids = Set<String>()
        for (index, item) in list.enumerated() {
            let field = "jwks.keys[\(index)]"
            guard let jwk = item as? [String: Any] else { throw KeyProblem(field: field, "must be an object") }
            // Encryption keys may share a published JWKS with signing keys; they sign nothing.
            if let use = jwk["use"] as? String, use != "sig" { continue }
            if jwk["d"] != nil || jwk["k"] != nil {
                throw KeyProblem(field: field, "holds private or secret key material; a JWKS for verification holds public keys only")
            }
            let kid = jwk["kid"] as? String
            if let kid, !kids.insert(kid).inserted { throw KeyProblem(field: "\(field).kid", "repeats the key id '\(kid)'") }
            let declared = jwk["alg"] as? String
            func string(_ name: String) throws(KeyProblem) -> String {
                guard let value = jwk[name] as? String, !value.isEmpty else { throw KeyProblem(field: "\(field).\(name)", "is missing") }
                return value
            }
            switch jwk["kty"] as? String {
            case "RSA":
                guard declared == nil || declared == "RS256" else {
                    throw KeyProblem(field: "\(field).alg", "must be RS256 for an RSA key (other algorithms are not accepted)")
                }
                let modulus = try string("n")
                let exponent = try string("e")
                do {
                    keys.append(VerificationKey(kid: kid, material: .rsa(try Insecure.RSA.PublicKey(modulus: modulus, exponent: exponent))))
                } catch {
                    throw KeyProblem(field: field, "is not a usable RSA public key (at least 2048 bits, base64url n and e)")
                }
            case "EC":
                guard jwk["crv"] as? String == "P-256", declared == nil || declared == "ES256" else {
                    throw KeyProblem(field: "\(field).crv", "must be P-256 (ES256); other curves are not accepted")
                }
                let x = try string("x")
                let y = try string("y")
                do {
                    keys.append(VerificationKey(kid: kid, material: .ecdsa(try ES256PublicKey(parameters: (x, y)))))
                } catch {
                    throw KeyProblem(field: field, "is not a usable P-256 public key (base64url x and y)")
                }
            case let other:
                throw KeyProblem(field: "\(field).kty", "must be RSA or EC, not \(other.map { "'\($0)'" } ?? "missing")")
            }
        }
        if keys.count > 1, keys.contains(where: { $0.kid == nil }) {
            throw KeyProblem(field: "jwks.keys", "must give every key a kid when there are several")
        }
        return keys
    }
}
