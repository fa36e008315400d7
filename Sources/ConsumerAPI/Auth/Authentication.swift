import ChannelDatabase
import CommerceRuntime
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// How callers prove who they are: applications with API keys or client-credential tokens,
/// customers and employees with OpenID Connect tokens (`Authorization: Bearer <jwt>`, or Retail
/// Server's `id_token <jwt>`) from the configured issuers; everyone else is anonymous.
public struct AuthenticationSettings: Sendable {
    /// API keys of trusted applications, stored as SHA-256 digests: the host never holds a key
    /// itself, so a leaked configuration does not leak credentials.
    public var applicationKeys: [ApplicationKey]
    /// Issuers whose signed tokens are accepted.
    public var issuers: [TokenIssuer]

    public init(applicationKeys: [ApplicationKey] = [], issuers: [TokenIssuer] = []) {
        self.applicationKeys = applicationKeys
        self.issuers = issuers
    }

    public struct ApplicationKey: Sendable {
        public var applicationId: String
        public var sha256: [UInt8]
        /// What the key's application may do beyond what needs no scope (see ``ApplicationScope``).
        public var scopes: Set<String>

        public init(applicationId: String, sha256: [UInt8], scopes: Set<String> = []) {
            self.applicationId = applicationId
            self.sha256 = sha256
            self.scopes = scopes
        }
    }

    /// The digest a key is stored as.
    public static func digest(ofKey key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }
}

/// A caller as authentication resolved it, with the scopes it was granted (applications only).
struct Identity: Sendable, Equatable {
    var caller: Caller
    var scopes: Set<String> = []

    static let anonymous = Identity(caller: .anonymous)

    /// The bucket a verified caller's requests count against: its identity, however its
    /// credential is encoded, so a re-signed token or a second key of the same application
    /// shares one bucket. Nil for anonymous callers, who count against their address.
    var rateLimitKey: String? {
        switch caller {
        case .anonymous: nil
        case .application(let id): "application:" + id
        case .customer(let account): "customer:" + account
        case .employee(let id, _): "employee:" + id
        }
    }
}

/// Resolves the caller of a request from its `Authorization` header. One per API: it holds the
/// parsed keys and the accounts of customers seen before.
final class Authenticator: Sendable {
    let settings: AuthenticationSettings
    let tokens: TokenVerifier
    /// Customer accounts by issuer and subject, so a signed-in customer costs one database write
    /// on its first request only. Links never change once made, so entries never go stale.
    private let accounts = Mutex<[String: String]>([:])
    private static let maximumCachedAccounts = 50_000

    init(settings: AuthenticationSettings) {
        self.settings = settings
        self.tokens = TokenVerifier(settings.issuers)
    }

    /// The challenge a 401 carries: the schemes this host accepts.
    var challenge: String { tokens.isEmpty ? "ApiKey" : #"Bearer realm="commerce", ApiKey"# }

    /// Anonymous without credentials; an application for a known API key; the token's role for
    /// a verified token; 401 for anything presented that cannot be verified. Messages never echo
    /// the credential.
    func caller(of request: Request, channel: ChannelRecord, runtime: CommerceRuntime) async throws -> Identity {
        guard let header = request.headers[.authorization] else { return .anonymous }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw unauthorized("the Authorization header is malformed") }
        switch parts[0].lowercased() {
        case "apikey":
            let presented = Array(SHA256.hash(data: Data(parts[1].utf8)))
            // Compare every configured digest fully, so timing does not tell how much matched.
            var match: AuthenticationSettings.ApplicationKey?
            for key in settings.applicationKeys where Self.constantTimeEqual(key.sha256, presented) {
                match = key
            }
            guard let key = match else { throw unauthorized("the API key is not valid") }
            return Identity(caller: .application(id: key.applicationId), scopes: key.scopes)
        case "bearer", "id_token":
            guard !tokens.isEmpty else {
                throw unauthorized("this host has no token issuer configured; authenticate with an API key")
            }
            let token: VerifiedToken
            do {
                token = try await tokens.verify(String(parts[1].trimmingCharacters(in: .whitespaces)))
            } catch {
                var refusal = unauthorized(error.reason)
                refusal.headers[.wwwAuthenticate] = #"Bearer realm="commerce", error="invalid_token""#
                throw refusal
            }
            switch token.role {
            case .application: return Identity(caller: .application(id: token.clientId), scopes: token.scopes)
            case .employee: return Identity(caller: .employee(id: token.subject, storeNumbers: token.storeNumbers))
            case .customer: return Identity(caller: .customer(accountNumber: try await account(of: token, channel: channel, runtime: runtime)))
            }
        default:
            // The scheme is not echoed: a client that left it out sent its credential in its place.
            throw unauthorized("the authorization scheme is not supported; use \(tokens.isEmpty ? "ApiKey" : "Bearer or ApiKey")")
        }
    }

    /// The customer account of a verified customer token: linked to its issuer and subject,
    /// created on first use.
    private func account(of token: VerifiedToken, channel: ChannelRecord, runtime: CommerceRuntime) async throws -> String {
        let key = token.issuer + "\n" + token.subject
        if let known = accounts.withLock({ $0[key] }) { return known }
        let account = try await runtime.execute(
            ResolveCustomerIdentityRequest(issuer: token.issuer, subject: token.subject, name: token.name, email: token.email),
            channel: channel, caller: .anonymous
        )
        accounts.withLock { cache in
            if cache.count >= Self.maximumCachedAccounts { cache.removeAll(keepingCapacity: true) }
            cache[key] = account
        }
        return account
    }

    func unauthorized(_ message: String) -> ODataError {
        var error = ODataError(.unauthorized, code: "Unauthorized", message)
        error.headers[.wwwAuthenticate] = challenge
        return error
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

extension Caller {
    var apiRole: APIRole {
        switch self {
        case .anonymous: .anonymous
        case .customer: .customer
        case .application: .application
        case .employee: .employee
        }
    }
}

extension APICall {
    /// Refuses the call unless the caller's role may use what the path addresses: an operation's
    /// roles when it names one, else the entity set's. Anonymous callers get 401 (with the scheme
    /// to use), authenticated ones 403. Everything the model declares has roles; what it does not
    /// declare is not reachable at all.
    func authorize() throws {
        // An employee acts for the stores the token names, whatever the call addresses.
        if case .employee(_, let stores) = caller, !stores.contains(channel.orgUnitNumber) {
            throw ODataError(.forbidden, code: "Forbidden", "the employee may not act for the store \(channel.orgUnitNumber)", target: "OUN")
        }
        let name = path.entitySet
        var roles: Set<APIRole>
        var scope: String?
        var what = name
        if let set = model.entitySet(named: name) {
            (roles, scope) = (set.roles, set.applicationScope)
            if let operation = addressedOperation(entityType: set.entityType) {
                (roles, scope) = (operation.roles, operation.applicationScope)
                what = "\(name)/\(operation.name)"
            } else if let listRoles = set.listRoles, path.key == nil, request.method == .get, path.rest.isEmpty || path.rest == ["$count"] {
                roles = listRoles
                what = "listing \(name)"
            }
        } else if let operation = model.unboundOperation(name) {
            (roles, scope) = (operation.roles, operation.applicationScope)
        } else {
            return
        }
        try authorize(roles: roles, scope: scope, what: what, verb: "use")
    }

    /// The role check, then for applications the scope check: a missing scope is 403 naming it
    /// (with RFC 6750's `insufficient_scope`), so an integrator knows what to grant.
    func authorize(roles: Set<APIRole>, scope: String?, what: String, verb: String) throws {
        guard roles.contains(caller.apiRole) else {
            if caller == .anonymous { throw authenticator.unauthorized("\(what) needs an authenticated caller") }
            throw ODataError(.forbidden, code: "Forbidden", "the \(caller.roleName) role may not \(verb) \(what)")
        }
        guard case .application(let id) = caller, let scope, !scopes.contains(scope) else { return }
        var error = ODataError(
            .forbidden, code: "InsufficientScope", "the application '\(id)' needs the scope '\(scope)' to \(verb) \(what)", target: scope
        )
        error.headers[.wwwAuthenticate] = #"Bearer realm="commerce", error="insufficient_scope", scope="\#(scope)""#
        throw error
    }
}
