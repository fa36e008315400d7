import Foundation
import JWTKit
import Synchronization

/// What a verified token says about its bearer.
struct VerifiedToken: Sendable, Equatable {
    var issuerName: String
    /// `iss` of the token, which with `subject` identifies the person or client.
    var issuer: String
    var subject: String
    var role: TokenIssuer.Role
    /// For applications: the OAuth client (`azp`, `client_id` or `appid`), else the subject.
    var clientId: String
    /// For employees: the operating unit numbers the token lets them act for.
    var storeNumbers: [String]
    /// For applications: the OAuth scopes granted, from `scope` (space-separated, RFC 8693) and
    /// `scp` (a string or an array, as Microsoft Entra writes it).
    var scopes: Set<String> = []
    var name: String?
    var email: String?
}

/// Why a token was refused. The reason is safe to show the client: it never contains the token
/// or any part of it.
struct TokenRejection: Error, Equatable, CustomStringConvertible {
    var reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}

/// Verifies compact JWS tokens against the configured issuers with jwt-kit.
///
/// jwt-kit checks the signature with the key it is given; choosing that key is done here, before
/// it: the header's `alg` must be the one algorithm the chosen key verifies, a `kid` must name a
/// key the token's issuer publishes, and `none` never reaches a key. Claims are checked after
/// the signature, with the issuer's clock skew.
final class TokenVerifier: Sendable {
    /// Longer tokens are refused before any parsing or cryptography.
    static let maximumLength = 16 * 1024
    static let acceptedAlgorithms: Set<String> = ["RS256", "ES256", "HS256"]

    private struct IssuerKeys: Sendable {
        let issuer: TokenIssuer
        /// One collection per key, each holding just that key as its default: jwt-kit falls back
        /// to a collection's default key for an unknown `kid`, which a single-key collection
        /// turns into no choice at all.
        let collections: [JWTKeyCollection]
    }

    private let issuers: [String: IssuerKeys]
    /// Keys are added to their collections on first use: adding is async (collections are actors).
    private let loaded = Atomic<Bool>(false)

    init(_ issuers: [TokenIssuer]) {
        var byIssuer: [String: IssuerKeys] = [:]
        for issuer in issuers where byIssuer[issuer.issuer] == nil {
            byIssuer[issuer.issuer] = IssuerKeys(issuer: issuer, collections: issuer.keys.map { _ in JWTKeyCollection() })
        }
        self.issuers = byIssuer
    }

    var isEmpty: Bool { issuers.isEmpty }

    private func loadKeys() async {
        guard !loaded.load(ordering: .acquiring) else { return }
        for entry in issuers.values {
            for (key, collection) in zip(entry.issuer.keys, entry.collections) {
                // Re-adding replaces the default with the same key, so two first requests racing here is harmless.
                switch key.material {
                case .rsa(let publicKey): await collection.add(rsa: publicKey, digestAlgorithm: .sha256)
                case .ecdsa(let publicKey): await collection.add(ecdsa: publicKey)
                case .hmac(let secret): await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
                }
            }
        }
        loaded.store(true, ordering: .releasing)
    }

    func verify(_ token: String, now: Date = Date()) async throws(TokenRejection) -> VerifiedToken {
        guard token.utf8.count <= Self.maximumLength else { throw TokenRejection("the token is longer than \(Self.maximumLength) bytes") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw TokenRejection("the token is not a signed JWT (three base64url parts separated by dots)") }
        guard let headerBytes = Self.base64URLDecode(parts[0]),
              let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any],
              let payloadBytes = Self.base64URLDecode(parts[1]),
              let unverified = (try? JSONSerialization.jsonObject(with: payloadBytes)) as? [String: Any]
        else { throw TokenRejection("the token's header or payload is not base64url-encoded JSON") }
        guard let algorithm = header["alg"] as? String else { throw TokenRejection("the token's header names no algorithm (alg)") }
        guard algorithm.lowercased() != "none" else { throw TokenRejection("unsigned tokens (alg none) are not accepted") }
        guard Self.acceptedAlgorithms.contains(algorithm) else { throw TokenRejection("the token's algorithm is not accepted; use RS256 or ES256") }
        guard !parts[2].isEmpty else { throw TokenRejection("the token is not signed") }
        guard Self.base64URLDecode(parts[2]) != nil else { throw TokenRejection("the token's signature is not base64url") }
        if header["crit"] != nil { throw TokenRejection("the token has critical header parameters this host does not understand") }
        // The issuer is read before the signature is checked only to pick its keys; the
        // verified claims must name the same issuer.
        guard let issuerName = unverified["iss"] as? String, let entry = issuers[issuerName] else {
            throw TokenRejection("the token's issuer is not trusted by this host")
        }
        let index: Int
        if let kid = header["kid"] {
            guard let kid = kid as? String, let found = entry.issuer.keys.firstIndex(where: { $0.kid == kid }) else {
                throw TokenRejection("the token names a key (kid) its issuer does not publish")
            }
            index = found
        } else {
            let candidates = entry.issuer.keys.indices.filter { entry.issuer.keys[$0].algorithm == algorithm }
            guard candidates.count == 1, let only = candidates.first else {
                throw TokenRejection(
                    candidates.isEmpty ? "the token's algorithm does not match its issuer's keys" : "the token names no key (kid) and its issuer has several"
                )
            }
            index = only
        }
        guard entry.issuer.keys[index].algorithm == algorithm else { throw TokenRejection("the token's algorithm does not match its issuer's key") }

        await loadKeys()
        let claims: TokenClaims
        do {
            claims = try await entry.collections[index].verify(token, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw TokenRejection("the token's signature is not valid")
        } catch {
            throw TokenRejection("the token could not be verified: its signature or claims are malformed")
        }
        return try check(claims, issuer: entry.issuer, now: now)
    }

    private func check(_ claims: TokenClaims, issuer: TokenIssuer, now: Date) throws(TokenRejection) -> VerifiedToken {
        guard claims.string("iss") == issuer.issuer else { throw TokenRejection("the token's issuer is not trusted by this host") }
        let skew = TimeInterval(issuer.clockSkewSeconds)
        guard let expires = claims.number("exp") else { throw TokenRejection("the token has no expiry (exp)") }
        guard now.timeIntervalSince1970 < expires + skew else { throw TokenRejection("the token has expired") }
        if claims.claims["nbf"] != nil {
            guard let notBefore = claims.number("nbf") else { throw TokenRejection("the token's nbf is not a time") }
            guard now.timeIntervalSince1970 + skew >= notBefore else { throw TokenRejection("the token is not valid yet (nbf)") }
        }
        if let issuedAt = claims.number("iat"), issuedAt > now.timeIntervalSince1970 + skew {
            throw TokenRejection("the token is not valid yet (issued in the future)")
        }
        guard claims.strings("aud").contains(where: issuer.audiences.contains) else {
            throw TokenRejection("the token is not meant for this service (aud)")
        }
        guard let subject = claims.string("sub"), !subject.isEmpty, subject.utf8.count <= 255 else {
            throw TokenRejection("the token has no subject (sub) of at most 255 bytes")
        }
        let role: TokenIssuer.Role
        switch issuer.roles {
        case .fixed(let fixed):
            role = fixed
        case .claim(let name, let values):
            let found = Set(claims.strings(name).compactMap { values[$0] })
            guard let only = found.first else { throw TokenRejection("the token carries no role this host accepts") }
            guard found.count == 1 else { throw TokenRejection("the token carries more than one role; use one token per role") }
            role = only
        }
        var stores: [String] = []
        if role == .employee {
            stores = claims.strings(issuer.storesClaim).flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
            guard !stores.isEmpty else { throw TokenRejection("the employee token names no store (\(issuer.storesClaim))") }
        }
        let client = claims.string("azp") ?? claims.string("client_id") ?? claims.string("appid") ?? subject
        let scopes = (claims.strings("scope") + claims.strings("scp")).flatMap { $0.split(separator: " ").map(String.init) }
        return VerifiedToken(
            issuerName: issuer.name, issuer: issuer.issuer, subject: subject, role: role, clientId: client, storeNumbers: stores,
            scopes: role == .application ? Set(scopes) : [], name: claims.string("name"), email: claims.string("email")
        )
    }

    /// Strict base64url: the URL-safe alphabet without padding, as JWS uses it.
    static func base64URLDecode(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
        }), text.utf8.count % 4 != 1 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

/// The claims of a token as JSON values: which claims matter (the role and store claims) is
/// configured per issuer, so no fixed Codable shape fits.
struct TokenClaims: JWTPayload {
    enum Value: Codable, Sendable {
        case string(String)
        case number(Double)
        case array([Value])
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .string(text)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let list = try? container.decode([Value].self) {
                self = .array(list)
            } else {
                self = .other
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            case .array(let list): try container.encode(list)
            case .other: try container.encodeNil()
            }
        }
    }

    var claims: [String: Value]

    init(from decoder: any Decoder) throws {
        claims = try decoder.singleValueContainer().decode([String: Value].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(claims)
    }

    /// Checked by ``TokenVerifier`` after the signature, where the issuer's settings are known.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    func string(_ name: String) -> String? {
        if case .string(let text)? = claims[name] { return text }
        return nil
    }

    func number(_ name: String) -> Double? {
        if case .number(let number)? = claims[name] { return number }
        return nil
    }

    /// A claim that may be one string or an array of strings (`aud`, role claims).
    func strings(_ name: String) -> [String] {
        switch claims[name] {
        case .string(let text)?: return [text]
        case .array(let list)?: return list.compactMap { if case .string(let text) = $0 { text } else { nil } }
        default: return []
        }
    }
}
