public import CommerceRuntime
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// How callers prove who they are. Until token issuers are configured (customers and employees
/// with OpenID Connect tokens, a later milestone), applications authenticate with API keys and
/// everyone else is anonymous.
public struct AuthenticationSettings: Sendable {
    /// API keys of trusted applications, stored as SHA-256 digests: the host never holds a key
    /// itself, so a leaked configuration does not leak credentials.
    public var applicationKeys: [ApplicationKey]

    public init(applicationKeys: [ApplicationKey] = []) {
        self.applicationKeys = applicationKeys
    }

    public struct ApplicationKey: Sendable {
        public var applicationId: String
        public var sha256: [UInt8]

        public init(applicationId: String, sha256: [UInt8]) {
            self.applicationId = applicationId
            self.sha256 = sha256
        }
    }

    /// The digest a key is stored as.
    public static func digest(ofKey key: String) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }
}

/// Resolves the caller of a request from its `Authorization` header.
struct Authenticator: Sendable {
    let settings: AuthenticationSettings

    /// Anonymous without credentials; an application for a known API key; 401 for anything
    /// presented that cannot be verified. Messages never echo the credential.
    func caller(of request: Request) throws -> Caller {
        guard let header = request.headers[.authorization] else { return .anonymous }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw Self.unauthorized("the Authorization header is malformed") }
        switch parts[0].lowercased() {
        case "apikey":
            let presented = Array(SHA256.hash(data: Data(parts[1].utf8)))
            // Compare every configured digest fully, so timing does not tell how much matched.
            var match: String?
            for key in settings.applicationKeys where Self.constantTimeEqual(key.sha256, presented) {
                match = key.applicationId
            }
            guard let applicationId = match else { throw Self.unauthorized("the API key is not valid") }
            return .application(id: applicationId)
        case "bearer", "id_token":
            throw Self.unauthorized("this host has no token issuer configured; token authentication is not available yet")
        default:
            throw Self.unauthorized("the authorization scheme '\(parts[0])' is not supported; use ApiKey")
        }
    }

    static func unauthorized(_ message: String) -> ODataError {
        var error = ODataError(.unauthorized, code: "Unauthorized", message)
        error.headers[.wwwAuthenticate] = "ApiKey"
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
        let name = path.entitySet
        var roles: Set<APIRole>
        var what = name
        if let set = model.entitySet(named: name) {
            roles = set.roles
            if let operation = addressedOperation(entityType: set.entityType) {
                roles = operation.roles
                what = "\(name)/\(operation.name)"
            }
        } else if let operation = model.unboundOperation(name) {
            roles = operation.roles
        } else {
            return
        }
        guard !roles.contains(caller.apiRole) else { return }
        if caller == .anonymous { throw Authenticator.unauthorized("\(what) needs an authenticated caller") }
        throw ODataError(.forbidden, code: "Forbidden", "the \(caller.roleName) role may not use \(what)")
    }
}
