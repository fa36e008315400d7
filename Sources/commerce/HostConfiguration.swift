import ChannelDatabase
import CommerceRuntime
import ConsumerAPI
import Foundation
import Logging

/// The host's settings, from defaults, a JSON file, `COMMERCE_*` environment variables and
/// command-line flags, each overriding the one before.
///
/// A value of the wrong type or out of range stops the host at start with an error naming the
/// key and where it came from. (apple/swift-configuration was considered: its readers fall back
/// to the default on a mistyped value instead of failing, and it has no shape for the free-form
/// JSON block each extension receives, so the host reads its file itself.)
struct HostConfiguration: Sendable {
    var hostname = "127.0.0.1"
    var port = 8080
    var dataDirectory = "./data"
    /// SQLite file path or `postgres://` URL; nil means `<dataDirectory>/channel.sqlite`.
    var databaseURL: String?
    var defaultChannel: String?
    var maxPageSize = 1_000
    /// Requests per second each caller may make; 0 turns the limit off.
    var rateLimitPerSecond = 0
    var rateLimitBurst = 20
    /// Seconds a request under /Commerce may run before it is answered 504 and rolled back; 0: no limit.
    var requestTimeoutSeconds = 30
    /// Seconds a connection may stay silent (no request part read, no response being written)
    /// before the host closes it, so slow or stalled clients do not hold connections; 0: never.
    var idleTimeoutSeconds = 60
    /// Milliseconds an anonymous catalog answer may be served again (writes through this host
    /// end it at once); 0 computes every answer.
    var catalogCacheMilliseconds = 1_000
    var catalogCacheMegabytes = 32
    var logLevel = Logger.Level.info
    /// Minutes a cart may stay unchanged before it expires; 0 keeps carts forever.
    var cartIdleExpiryMinutes = 30 * 24 * 60
    var allowBackorders = false
    /// API keys of applications: id, the SHA-256 digest of the key (never the key itself) and
    /// the scopes the application is granted.
    var applicationKeys: [(id: String, sha256: [UInt8], scopes: Set<String>)] = []
    /// Where `applicationKeys` came from, for errors found once the model is known.
    var applicationsSource: String?
    /// Token issuers whose signed tokens the host accepts, keys parsed and checked.
    var issuers: [TokenIssuer] = []
    /// Whether the local development issuer (`commerce token`) is trusted; `serve --demo` trusts it too.
    var devIssuer = false
    var extensions: [ExtensionSetting] = []

    struct ExtensionSetting: Sendable {
        var name: String
        /// True when `name` was configured rather than taken from the file name.
        var nameIsConfigured: Bool
        var path: String
        var enabled: Bool
        /// What a refusal to load does: stop the host (the default) or skip the extension.
        var stopOnRefusal: Bool
        /// The extension's own block, handed to it as JSON.
        var configJSON: String
    }

    var databaseLocation: String { databaseURL ?? (dataDirectory as NSString).appendingPathComponent("channel.sqlite") }

    static let environmentKeys: [(variable: String, key: String)] = [
        ("COMMERCE_HTTP_HOSTNAME", "http.hostname"),
        ("COMMERCE_HTTP_PORT", "http.port"),
        ("COMMERCE_HTTP_MAX_PAGE_SIZE", "http.maxPageSize"),
        ("COMMERCE_HTTP_RATE_LIMIT_PER_SECOND", "http.rateLimitPerSecond"),
        ("COMMERCE_HTTP_RATE_LIMIT_BURST", "http.rateLimitBurst"),
        ("COMMERCE_HTTP_REQUEST_TIMEOUT_SECONDS", "http.requestTimeoutSeconds"),
        ("COMMERCE_HTTP_IDLE_TIMEOUT_SECONDS", "http.idleTimeoutSeconds"),
        ("COMMERCE_HTTP_CATALOG_CACHE_MILLISECONDS", "http.catalogCacheMilliseconds"),
        ("COMMERCE_HTTP_CATALOG_CACHE_MEGABYTES", "http.catalogCacheMegabytes"),
        ("COMMERCE_DATA_DIR", "dataDirectory"),
        ("COMMERCE_DATABASE_URL", "database.url"),
        ("COMMERCE_DEFAULT_CHANNEL", "defaultChannel"),
        ("COMMERCE_LOG_LEVEL", "log.level"),
        ("COMMERCE_CARTS_IDLE_EXPIRY_MINUTES", "carts.idleExpiryMinutes"),
        ("COMMERCE_INVENTORY_ALLOW_BACKORDERS", "inventory.allowBackorders"),
        ("COMMERCE_AUTH_DEV_ISSUER", "auth.devIssuer"),
    ]

    /// The commerce policies of this configuration, for the runtime.
    var commerceSettings: CommerceSettings {
        CommerceSettings(cartIdleSeconds: cartIdleExpiryMinutes == 0 ? nil : Int64(cartIdleExpiryMinutes) * 60, allowBackorders: allowBackorders)
    }

    /// Loads the layers in order. `flags` holds only the flags that were given.
    static func load(file: String?, environment: [String: String], flags: [String: String]) throws -> HostConfiguration {
        var configuration = HostConfiguration()
        if let file {
            try configuration.apply(file: file)
        }
        for (variable, key) in environmentKeys {
            if let value = environment[variable] { try configuration.set(key, text: value, source: "environment variable \(variable)") }
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            try configuration.set(key, text: value, source: "command-line flag")
        }
        return configuration
    }

    private mutating func apply(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(key: "--config", problem: "the file \(file) does not exist or cannot be read")
        }
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigurationError(key: "--config", problem: "\(file) is not valid JSON")
        }
        guard case .object(let root) = parsed else {
            throw ConfigurationError(key: "--config", problem: "\(file) must hold a JSON object")
        }
        let source = "file \(file)"
        for (key, value) in root {
            switch key {
            case "http", "database", "log", "carts", "inventory":
                guard case .object(let section) = value else { throw ConfigurationError(key: key, problem: "must be an object", source: source) }
                for (inner, innerValue) in section { try set("\(key).\(inner)", json: innerValue, source: source) }
            case "auth":
                guard case .object(let section) = value else { throw ConfigurationError(key: key, problem: "must be an object", source: source) }
                try applyAuth(section, source: source, directory: (file as NSString).deletingLastPathComponent)
            case "extensions":
                try applyExtensions(value, source: source)
            default:
                try set(key, json: value, source: source)
            }
        }
    }

    /// `auth.applications`: `[{"id": "erp", "keySha256": "<64 hex digits>", "scopes": ["orders"]}]`,
    /// as `commerce api-key <id>` prints it; `auth.issuers`: token issuers (see README); and
    /// `auth.devIssuer`: trust `commerce token`'s local issuer.
    private mutating func applyAuth(_ section: [String: JSONValue], source: String, directory: String) throws {
        for key in section.keys where !["applications", "issuers", "devIssuer"].contains(key) {
            throw ConfigurationError(key: "auth.\(key)", problem: "is not a known setting (applications, issuers, devIssuer)", source: source)
        }
        if let flag = section["devIssuer"] {
            guard case .bool(let enabled) = flag else { throw ConfigurationError(key: "auth.devIssuer", problem: "must be true or false", source: source) }
            devIssuer = enabled
        }
        if let list = section["issuers"] {
            issuers = try Self.issuers(list, source: source, relativeTo: directory)
        }
        guard let applications = section["applications"] else { return }
        guard case .array(let list) = applications else { throw ConfigurationError(key: "auth.applications", problem: "must be an array", source: source) }
        var ids = Set<String>()
        applicationsSource = source
        applicationKeys = try list.enumerated().map { index, item in
            let key = "auth.applications[\(index)]"
            guard case .object(let entry) = item else { throw ConfigurationError(key: key, problem: "must be an object", source: source) }
            for field in entry.keys where !["id", "keySha256", "scopes"].contains(field) {
                throw ConfigurationError(key: "\(key).\(field)", problem: "is not a known setting (id, keySha256, scopes)", source: source)
            }
            guard case .string(let id)? = entry["id"], !id.isEmpty else {
                throw ConfigurationError(key: "\(key).id", problem: "must be a non-empty string", source: source)
            }
            guard ids.insert(id).inserted else { throw ConfigurationError(key: "\(key).id", problem: "repeats the application id '\(id)'", source: source) }
            guard case .string(let hex)? = entry["keySha256"], let digest = Self.hexBytes(hex), digest.count == 32 else {
                throw ConfigurationError(key: "\(key).keySha256", problem: "must be the 64 hex digits of the key's SHA-256 (see `commerce api-key`)", source: source)
            }
            var scopes = Set<String>()
            if let value = entry["scopes"] {
                guard case .array(let list) = value else {
                    throw ConfigurationError(key: "\(key).scopes", problem: "must be an array of scope names, e.g. [\"orders\"]", source: source)
                }
                for item in list {
                    guard case .string(let scope) = item, ApplicationScope.isValid(scope) else {
                        throw ConfigurationError(
                            key: "\(key).scopes", problem: "must hold scope names (printable ASCII without spaces or quotes), not \(item.text)",
                            source: source
                        )
                    }
                    scopes.insert(scope)
                }
            }
            return (id, digest, scopes)
        }
    }

    /// Scopes the model cannot grant are typos that would silently deny: refused at start,
    /// once extensions have added theirs to the model.
    func checkApplicationScopes(known: Set<String>) throws {
        for (index, application) in applicationKeys.enumerated() {
            if let unknown = application.scopes.subtracting(known).sorted().first {
                throw ConfigurationError(
                    key: "auth.applications[\(index)].scopes",
                    problem: "names the unknown scope '\(unknown)'; this host knows \(known.sorted().joined(separator: ", "))",
                    source: applicationsSource
                )
            }
        }
    }

    static let issuerFields = [
        "name", "issuer", "audiences", "kind", "roleClaim", "roles", "storesClaim", "jwksFile", "jwks", "allowHS256", "secret", "clockSkewSeconds",
    ]

    /// `auth.issuers`: every entry checked here, keys included, so a host never starts with an
    /// issuer it cannot verify tokens of.
    private static func issuers(_ value: JSONValue, source: String, relativeTo directory: String) throws -> [TokenIssuer] {
        guard case .array(let list) = value, !list.isEmpty else {
            throw ConfigurationError(key: "auth.issuers", problem: "must be a non-empty array of issuers (leave it out for none)", source: source)
        }
        var names = Set<String>()
        var issuerURLs = Set<String>()
        return try list.enumerated().map { index, item in
            let key = "auth.issuers[\(index)]"
            func fail(_ field: String, _ problem: String) -> ConfigurationError {
                ConfigurationError(key: field.isEmpty ? key : "\(key).\(field)", problem: problem, source: source)
            }
            guard case .object(let entry) = item else { throw fail("", "must be an object") }
            for field in entry.keys where !issuerFields.contains(field) {
                throw fail(field, "is not a known setting (\(issuerFields.joined(separator: ", ")))")
            }
            func text(_ field: String) throws -> String? {
                guard let value = entry[field] else { return nil }
                guard case .string(let text) = value, !text.isEmpty else { throw fail(field, "must be a non-empty string") }
                return text
            }
            guard let name = try text("name") else { throw fail("name", "is required") }
            guard names.insert(name).inserted else { throw fail("name", "repeats the issuer name '\(name)'") }
            guard let issuer = try text("issuer") else { throw fail("issuer", "is required: the iss its tokens carry") }
            guard issuerURLs.insert(issuer).inserted else { throw fail("issuer", "is configured twice") }
            guard case .array(let audienceList)? = entry["audiences"], !audienceList.isEmpty else {
                throw fail("audiences", "must be a non-empty array of the aud values accepted")
            }
            let audiences = try audienceList.map { value in
                guard case .string(let audience) = value, !audience.isEmpty else { throw fail("audiences", "must hold non-empty strings") }
                return audience
            }
            let roles: TokenIssuer.RoleSource
            let kind = try text("kind")
            let roleClaim = try text("roleClaim")
            switch (kind, roleClaim) {
            case (let kind?, nil):
                guard entry["roles"] == nil else { throw fail("roles", "goes with roleClaim, not with kind") }
                guard let role = TokenIssuer.Role.allCases.first(where: { $0.rawValue.lowercased() == kind.lowercased() }) else {
                    throw fail("kind", "must be customer, application or employee")
                }
                roles = .fixed(role)
            case (nil, let claim?):
                guard case .object(let mapping)? = entry["roles"], !mapping.isEmpty else {
                    throw fail("roles", "must map claim values to roles, e.g. {\"Commerce.Employee\": \"employee\"}")
                }
                var values: [String: TokenIssuer.Role] = [:]
                for (claimValue, roleValue) in mapping {
                    guard case .string(let roleName) = roleValue,
                          let role = TokenIssuer.Role.allCases.first(where: { $0.rawValue.lowercased() == roleName.lowercased() })
                    else { throw fail("roles.\(claimValue)", "must be customer, application or employee") }
                    values[claimValue] = role
                }
                roles = .claim(name: claim, values: values)
            case (nil, nil):
                throw fail("kind", "or roleClaim is required: every token of the issuer has one role (kind), or a claim says which")
            case (_?, _?):
                throw fail("kind", "and roleClaim exclude each other")
            }
            var skew = 60
            if let value = entry["clockSkewSeconds"] {
                guard case .integer(let seconds) = value, (0...600).contains(seconds) else {
                    throw fail("clockSkewSeconds", "must be a number in 0...600")
                }
                skew = Int(seconds)
            }
            var jwks: String?
            switch (entry["jwksFile"], entry["jwks"]) {
            case (.string(let path)?, nil):
                let resolved = path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
                guard let data = FileManager.default.contents(atPath: resolved) else {
                    throw fail("jwksFile", "names a file that does not exist or cannot be read: \(resolved)")
                }
                jwks = String(decoding: data, as: UTF8.self)
            case (nil, .object(let document)?):
                jwks = JSONValue.object(document).text
            case (nil, nil):
                break
            case (_?, _?):
                throw fail("jwksFile", "and jwks exclude each other")
            case (_?, nil):
                throw fail("jwksFile", "must be a file path")
            case (nil, _?):
                throw fail("jwks", "must be a JWKS object ({\"keys\": [...]})")
            }
            var secret: [UInt8]?
            var allowHS256 = false
            if let value = entry["allowHS256"] {
                guard case .bool(let flag) = value else { throw fail("allowHS256", "must be true or false") }
                allowHS256 = flag
            }
            if let value = try text("secret") {
                guard allowHS256 else { throw fail("secret", "is used only with allowHS256: true (HS256 is off unless enabled)") }
                secret = Array(value.utf8)
            } else if allowHS256 {
                throw fail("secret", "is required with allowHS256: the shared HS256 secret, at least 32 bytes")
            }
            let storesClaim = try text("storesClaim") ?? "stores"
            do {
                return try TokenIssuer(
                    name: name, issuer: issuer, audiences: audiences, roles: roles, storesClaim: storesClaim, clockSkewSeconds: skew, jwks: jwks,
                    hmacSecret: secret
                )
            } catch let problem as TokenIssuer.KeyProblem {
                throw fail(problem.field == "jwks" && entry["jwksFile"] != nil ? "jwksFile" : problem.field, problem.problem)
            }
        }
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private mutating func applyExtensions(_ value: JSONValue, source: String) throws {
        guard case .array(let list) = value else { throw ConfigurationError(key: "extensions", problem: "must be an array", source: source) }
        var names = Set<String>()
        extensions = try list.enumerated().map { index, item in
            let key = "extensions[\(index)]"
            guard case .object(let entry) = item else { throw ConfigurationError(key: key, problem: "must be an object", source: source) }
            for field in entry.keys where !["name", "path", "enabled", "onRefusal", "config"].contains(field) {
                throw ConfigurationError(key: "\(key).\(field)", problem: "is not a known setting (name, path, enabled, onRefusal, config)", source: source)
            }
            guard case .string(let path)? = entry["path"], !path.isEmpty else {
                throw ConfigurationError(key: "\(key).path", problem: "is required: the path of the extension's .so file", source: source)
            }
            var name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let nameIsConfigured = entry["name"] != nil
            if let given = entry["name"] {
                guard case .string(let text) = given, !text.isEmpty else {
                    throw ConfigurationError(key: "\(key).name", problem: "must be a non-empty string", source: source)
                }
                name = text
            }
            guard names.insert(name).inserted else {
                throw ConfigurationError(key: "\(key).name", problem: "'\(name)' is configured twice", source: source)
            }
            var enabled = true
            if let flag = entry["enabled"] {
                guard case .bool(let bool) = flag else { throw ConfigurationError(key: "\(key).enabled", problem: "must be true or false", source: source) }
                enabled = bool
            }
            var stop = true
            if let refusal = entry["onRefusal"] {
                switch refusal {
                case .string("stop"): stop = true
                case .string("skip"): stop = false
                default: throw ConfigurationError(key: "\(key).onRefusal", problem: "must be \"stop\" or \"skip\"", source: source)
                }
            }
            let block = entry["config"] ?? .object([:])
            guard case .object = block else { throw ConfigurationError(key: "\(key).config", problem: "must be an object", source: source) }
            return ExtensionSetting(
                name: name, nameIsConfigured: nameIsConfigured, path: path, enabled: enabled, stopOnRefusal: stop, configJSON: block.text
            )
        }
    }

    private mutating func set(_ key: String, json value: JSONValue, source: String) throws {
        switch value {
        case .string(let text): try set(key, text: text, source: source)
        case .integer(let number): try set(key, text: String(number), source: source)
        case .bool(let flag): try set(key, text: flag ? "true" : "false", source: source)
        default: try set(key, text: nil, source: source, found: value.typeName)
        }
    }

    /// Sets one key from text; nil text means a JSON value of a type no key accepts.
    private mutating func set(_ key: String, text: String?, source: String, found: String? = nil) throws {
        func required(_ problem: String) throws -> String {
            guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigurationError(key: key, problem: problem + (found.map { ", not \($0)" } ?? ""), source: source)
            }
            return text
        }
        func integer(in range: ClosedRange<Int>) throws -> Int {
            let value = try required("must be a number in \(range.lowerBound)...\(range.upperBound)")
            guard let number = Int(value), range.contains(number) else {
                throw ConfigurationError(key: key, problem: "must be a number in \(range.lowerBound)...\(range.upperBound), not '\(value)'", source: source)
            }
            return number
        }
        switch key {
        case "http.hostname": hostname = try required("must be a host name or address")
        case "http.port": port = try integer(in: 0...65535)
        case "http.maxPageSize": maxPageSize = try integer(in: 1...100_000)
        case "http.rateLimitPerSecond": rateLimitPerSecond = try integer(in: 0...1_000_000)
        case "http.rateLimitBurst": rateLimitBurst = try integer(in: 1...1_000_000)
        case "http.requestTimeoutSeconds": requestTimeoutSeconds = try integer(in: 0...3_600)
        case "http.idleTimeoutSeconds": idleTimeoutSeconds = try integer(in: 0...3_600)
        case "http.catalogCacheMilliseconds": catalogCacheMilliseconds = try integer(in: 0...3_600_000)
        case "http.catalogCacheMegabytes": catalogCacheMegabytes = try integer(in: 1...65_536)
        case "dataDirectory": dataDirectory = try required("must be a directory path")
        case "database.url":
            let value = try required("must be a SQLite file path or a postgres:// URL")
            do {
                _ = try DatabaseLocation(parsing: value)
            } catch let error as DatabaseError {
                throw ConfigurationError(key: key, problem: error.message, source: source)
            }
            databaseURL = value
        case "defaultChannel": defaultChannel = try required("must be an operating unit number")
        case "carts.idleExpiryMinutes": cartIdleExpiryMinutes = try integer(in: 0...5_256_000)
        case "inventory.allowBackorders":
            switch try required("must be true or false").lowercased() {
            case "true": allowBackorders = true
            case "false": allowBackorders = false
            default: throw ConfigurationError(key: key, problem: "must be true or false, not '\(text ?? "")'", source: source)
            }
        case "auth.devIssuer":
            switch try required("must be true or false").lowercased() {
            case "true", "1": devIssuer = true
            case "false", "0": devIssuer = false
            case let other: throw ConfigurationError(key: key, problem: "must be true or false, not '\(other)'", source: source)
            }
        case "log.level":
            let value = try required("must be one of trace, debug, info, notice, warning, error, critical")
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigurationError(key: key, problem: "must be one of trace, debug, info, notice, warning, error, critical, not '\(value)'", source: source)
            }
            logLevel = level
        default:
            throw ConfigurationError(key: key, problem: "is not a known setting", source: source)
        }
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var key: String
    var problem: String
    var source: String?

    var description: String {
        "configuration error: \(key) \(problem)" + (source.map { " (from \($0))" } ?? "")
    }
}
