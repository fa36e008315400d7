import ConsumerAPI
import Foundation
import JWTKit
#if canImport(Glibc)
import Glibc
#endif

/// A token issuer for development: an ES256 key generated into the data directory on first use,
/// which `commerce token` signs with and `serve --demo` (or `auth.devIssuer`) trusts.
///
/// Anyone who can read the data directory can mint tokens for any role with it, so a host
/// serving real customers must not trust it.
struct DevIssuer {
    static let issuer = "urn:commerce:dev-issuer"
    static let audience = "commerce"
    static let keyId = "dev-1"
    static let fileName = "dev-issuer-key.pem"

    let key: ES256PrivateKey

    /// Reads the key from `dataDirectory`, creating it (readable by the owner only) when missing.
    static func load(dataDirectory: String) throws -> DevIssuer {
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        if let data = FileManager.default.contents(atPath: path) {
            do {
                return DevIssuer(key: try ES256PrivateKey(pem: String(decoding: data, as: UTF8.self)))
            } catch {
                throw ConfigurationError(key: "auth.devIssuer", problem: "\(path) is not an ES256 private key in PEM; delete it to make a new one")
            }
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let key = ES256PrivateKey()
        // Written whole to a private file, then linked into place: link(2) fails when the key
        // exists, so when two processes start at once both end up with the first one's key.
        let temporary = path + ".\(UUID().uuidString)"
        let pem = Data(key.pemRepresentation.utf8)
        guard FileManager.default.createFile(atPath: temporary, contents: pem, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError(key: "auth.devIssuer", problem: "cannot write the development issuer's key to \(dataDirectory)")
        }
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            guard errno == EEXIST else {
                throw ConfigurationError(key: "auth.devIssuer", problem: "cannot write the development issuer's key to \(path)")
            }
            return try load(dataDirectory: dataDirectory)
        }
        return DevIssuer(key: key)
    }

    /// The issuer as the host trusts it: the `roles` claim says the role, `stores` an employee's stores.
    func tokenIssuer() throws -> TokenIssuer {
        guard let parameters = key.publicKey.parameters else {
            throw ConfigurationError(key: "auth.devIssuer", problem: "the development issuer's key has no public parameters")
        }
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"\#(Self.keyId)","#
            + #""x":"\#(parameters.x)","y":"\#(parameters.y)"}]}"#
        let roles = Dictionary(uniqueKeysWithValues: TokenIssuer.Role.allCases.map { ($0.rawValue, $0) })
        return try TokenIssuer(
            name: "dev", issuer: Self.issuer, audiences: [Self.audience], roles: .claim(name: "roles", values: roles), storesClaim: "stores",
            jwks: jwks
        )
    }

    struct Claims: JWTPayload {
        var iss: String
        var sub: String
        var aud: String
        var iat: Int64
        var nbf: Int64
        var exp: Int64
        var roles: [String]
        var stores: [String]?
        var azp: String?
        /// An application's scopes, space-separated as OAuth 2.0 writes them.
        var scope: String?
        var name: String?
        var email: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func sign(
        role: TokenIssuer.Role, subject: String, stores: [String], scopes: [String] = [], name: String?, email: String?, lifetime: Int
    ) async throws -> String {
        let now = Int64(Date().timeIntervalSince1970)
        let claims = Claims(
            iss: Self.issuer, sub: subject, aud: Self.audience, iat: now, nbf: now, exp: now + Int64(lifetime), roles: [role.rawValue],
            stores: role == .employee ? stores : nil, azp: role == .application ? subject : nil,
            scope: scopes.isEmpty ? nil : scopes.joined(separator: " "), name: name, email: email
        )
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: Self.keyId))
        return try await keys.sign(claims, kid: JWKIdentifier(string: Self.keyId))
    }
}
