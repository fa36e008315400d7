public import Crypto
public import CryptoExtras
public import Foundation

/// Signs test tokens byte by byte, so a test can build any header, including the malicious ones
/// a real library would refuse to produce. Shared by the API and end-to-end tests.
public struct TestTokens {
    public static let issuer = "https://login.example.test/tenant/v2.0"
    public static let audience = "api://commerce-test"

    public let rsa: _RSA.Signing.PrivateKey
    public let ec: P256.Signing.PrivateKey

    public init() throws {
        rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        ec = P256.Signing.PrivateKey()
    }

    /// The public keys as a JWKS document: the RSA key as `rsa-1`, the P-256 key as `ec-1`.
    public func jwks() throws -> String {
        let primitives = try rsa.publicKey.getKeyPrimitives()
        let point = ec.publicKey.x963Representation
        let x = Self.base64URL(point[1...32])
        let y = Self.base64URL(point[33...64])
        return """
            {"keys":[\
            {"kty":"RSA","kid":"rsa-1","use":"sig","n":"\(Self.base64URL(primitives.modulus))","e":"\(Self.base64URL(primitives.publicExponent))"},\
            {"kty":"EC","kid":"ec-1","crv":"P-256","x":"\(x)","y":"\(y)"}]}
            """
    }

    /// Claims of a valid token, valid from a minute ago for an hour; `extra` adds or replaces.
    public static func claims(subject: String, extra: [String: Any] = [:]) -> [String: Any] {
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: Any] = ["iss": issuer, "aud": audience, "sub": subject, "iat": now - 60, "nbf": now - 60, "exp": now + 3600]
        claims.merge(extra) { $1 }
        return claims
    }

    /// A compact JWS. `alg` picks the signing: RS256 and ES256 with the test keys, HS256 with
    /// `secret`, anything else (`none`) unsigned.
    public func token(_ claims: [String: Any], alg: String = "RS256", kid: String? = "rsa-1", secret: [UInt8] = []) throws -> String {
        var header: [String: Any] = ["alg": alg, "typ": "JWT"]
        if let kid { header["kid"] = kid }
        let input = Self.base64URL(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)) + "."
            + Self.base64URL(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        let data = Data(input.utf8)
        let signature: Data
        switch alg {
        case "RS256": signature = try rsa.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
        case "ES256": signature = try ec.signature(for: data).rawRepresentation
        case "HS256": signature = Data(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: secret)))
        default: signature = Data()
        }
        return input + "." + Self.base64URL(signature)
    }

    /// The RSA public key as PEM: the "secret" of an algorithm-confusion attack.
    public var rsaPublicPEM: [UInt8] { Array(rsa.publicKey.pemRepresentation.utf8) }

    public static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
