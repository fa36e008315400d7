import CCommerceSDK
import CommerceRuntime
import ConsumerAPI
import Foundation

/// A C callback with the pointer the extension asked to get back with it.
///
/// `@unchecked Sendable`: the header's threading contract makes callbacks callable from any
/// thread at any time; the extension, not Swift, guarantees that.
struct Callback<Function>: @unchecked Sendable {
    let function: Function
    let userData: UnsafeMutableRawPointer?
}

/// What an extension registered during its init, checked and copied out of its memory.
struct Registrations: Sendable {
    struct Handler: Sendable {
        var requestType: String
        var mode: RequestMode
        var callback: Callback<commerce_handler_fn>
    }

    struct Trigger: Sendable {
        enum Kind: Sendable {
            case pre(Callback<commerce_pre_trigger_fn>)
            case post(Callback<commerce_post_trigger_fn>)
        }

        var requestType: String
        var kind: Kind
    }

    struct Operation: Sendable {
        var name: String
        var kind: EdmOperation.Kind
        var boundTo: String?
        var parameters: [EdmOperation.Parameter]
        var returnType: String
        var roles: Set<APIRole>
        var applicationScope: String?
        var callback: Callback<commerce_operation_fn>
    }

    struct EntitySet: Sendable {
        var name: String
        var entityType: EdmEntityType
        var roles: Set<APIRole>
        var applicationScope: String?
        var callback: Callback<commerce_operation_fn>
    }

    struct Migration: Sendable {
        var version: Int
        var description: String
        var sqlite: String
        var postgres: String
    }

    var handlers: [Handler] = []
    var triggers: [Trigger] = []
    var operations: [Operation] = []
    var entitySets: [EntitySet] = []
    var migrations: [Migration] = []
}

/// The `commerce_init` handle: collects registrations while the extension's init runs.
///
/// Used on the one thread that runs init, so it needs no lock.
final class InitRegistrar {
    let extensionName: String
    var registrations = Registrations()
    /// Problems with registrations; any of them refuses the extension even if init succeeds.
    var problems: [String] = []
    var initError: String?

    init(extensionName: String) { self.extensionName = extensionName }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> InitRegistrar? {
        guard let handle else { return nil }
        return Unmanaged<InitRegistrar>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func reject(_ problem: String) -> commerce_status {
        problems.append(problem)
        return commerce_status(COMMERCE_INVALID)
    }

    func addHandler(_ pointer: UnsafePointer<commerce_handler_registration>?) -> commerce_status {
        guard let pointer, let value = SizedStruct.read(pointer, minimumSize: UInt32(MemoryLayout<commerce_handler_registration>.size)) else {
            return reject("a handler registration is NULL or smaller than commerce_handler_registration")
        }
        let type = value.request_type.string
        guard Self.isTypeName(type) else { return reject("a handler registration has the invalid request type '\(type)'") }
        guard let function = value.handler else { return reject("the handler registration for \(type) has no handler function") }
        guard value.mode == UInt32(COMMERCE_MODE_READ) || value.mode == UInt32(COMMERCE_MODE_WRITE) else {
            return reject("the handler registration for \(type) has the unknown mode \(value.mode)")
        }
        registrations.handlers.append(
            .init(requestType: type, mode: value.mode == UInt32(COMMERCE_MODE_READ) ? .read : .write, callback: Callback(function: function, userData: value.user_data))
        )
        return commerce_status(COMMERCE_OK)
    }

    func addTrigger(_ pointer: UnsafePointer<commerce_trigger_registration>?) -> commerce_status {
        guard let pointer, let value = SizedStruct.read(pointer, minimumSize: UInt32(MemoryLayout<commerce_trigger_registration>.size)) else {
            return reject("a trigger registration is NULL or smaller than commerce_trigger_registration")
        }
        let type = value.request_type.string
        guard Self.isTypeName(type) else { return reject("a trigger registration has the invalid request type '\(type)'") }
        switch (value.pre, value.post) {
        case (let pre?, nil):
            registrations.triggers.append(.init(requestType: type, kind: .pre(Callback(function: pre, userData: value.user_data))))
        case (nil, let post?):
            registrations.triggers.append(.init(requestType: type, kind: .post(Callback(function: post, userData: value.user_data))))
        default:
            return reject("the trigger registration for \(type) must set exactly one of pre and post")
        }
        return commerce_status(COMMERCE_OK)
    }

    /// 1.0 operation registrations end before `roles_json`.
    static let operationSizeV1_0 = UInt32(MemoryLayout<commerce_operation_registration>.offset(of: \.roles_json) ?? 0)

    func addOperation(_ pointer: UnsafePointer<commerce_operation_registration>?) -> commerce_status {
        guard let pointer, let value = SizedStruct.read(pointer, minimumSize: Self.operationSizeV1_0) else {
            return reject("an operation registration is NULL or smaller than commerce_operation_registration")
        }
        let name = value.name.string
        guard Self.isIdentifier(name) else { return reject("an operation registration has the invalid name '\(name)'") }
        guard let function = value.handler else { return reject("the operation \(name) has no handler function") }
        let kind: EdmOperation.Kind
        switch value.kind {
        case UInt32(COMMERCE_OPERATION_ACTION): kind = .action
        case UInt32(COMMERCE_OPERATION_FUNCTION): kind = .function
        default: return reject("the operation \(name) has the unknown kind \(value.kind)")
        }
        do {
            let parameters = try Self.parameters(value.parameters_json.bytes, of: name)
            let roles = try Self.roles(value.roles_json.bytes, of: "the operation \(name)")
            let scope = try Self.applicationScope(value.application_scope.string, of: "the operation \(name)")
            let bound = value.bound_to.string
            registrations.operations.append(
                .init(
                    name: name, kind: kind, boundTo: bound.isEmpty ? nil : bound, parameters: parameters,
                    returnType: value.return_type.string, roles: roles, applicationScope: scope,
                    callback: Callback(function: function, userData: value.user_data)
                )
            )
        } catch {
            return reject(error.description)
        }
        return commerce_status(COMMERCE_OK)
    }

    /// 1.1 entity set registrations end before `application_scope`.
    static let entitySetSizeV1_1 = UInt32(MemoryLayout<commerce_entity_set_registration>.offset(of: \.application_scope) ?? 0)

    func addEntitySet(_ pointer: UnsafePointer<commerce_entity_set_registration>?) -> commerce_status {
        guard let pointer, let value = SizedStruct.read(pointer, minimumSize: Self.entitySetSizeV1_1) else {
            return reject("an entity set registration is NULL or smaller than commerce_entity_set_registration")
        }
        let name = value.name.string
        guard Self.isIdentifier(name) else { return reject("an entity set registration has the invalid name '\(name)'") }
        guard let function = value.read else { return reject("the entity set \(name) has no read function") }
        do {
            let type = try Self.entityType(value.entity_type_json.bytes, of: name)
            let roles = try Self.roles(value.roles_json.bytes, of: "the entity set \(name)")
            let scope = try Self.applicationScope(value.application_scope.string, of: "the entity set \(name)")
            registrations.entitySets.append(
                .init(
                    name: name, entityType: type, roles: roles, applicationScope: scope,
                    callback: Callback(function: function, userData: value.user_data)
                )
            )
        } catch {
            return reject(error.description)
        }
        return commerce_status(COMMERCE_OK)
    }

    func addMigration(_ pointer: UnsafePointer<commerce_migration>?) -> commerce_status {
        guard let pointer, let value = SizedStruct.read(pointer, minimumSize: UInt32(MemoryLayout<commerce_migration>.size)) else {
            return reject("a migration is NULL or smaller than commerce_migration")
        }
        let version = Int(value.version)
        guard version > 0 else { return reject("a migration has version 0; versions start at 1") }
        if let last = registrations.migrations.last, version <= last.version {
            return reject("migration \(version) is registered after migration \(last.version); register them in increasing version order, each once")
        }
        let sqlite = value.sqlite_sql.string
        let postgres = value.postgres_sql.string
        guard !sqlite.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, !postgres.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return reject("migration \(version) needs SQL for both SQLite and PostgreSQL")
        }
        registrations.migrations.append(.init(version: version, description: value.description.string, sqlite: sqlite, postgres: postgres))
        return commerce_status(COMMERCE_OK)
    }

    // MARK: Parsing the JSON parts of registrations

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return name.count <= 128 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    static func isTypeName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 200 && name.unicodeScalars.allSatisfy { $0.isASCII && !$0.properties.isWhitespace }
    }

    static func parameters(_ json: [UInt8], of operation: String) throws(Problem) -> [EdmOperation.Parameter] {
        guard !json.isEmpty else { return [] }
        guard let list = try? JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]] else {
            throw Problem(description: "the parameters of \(operation) are not a JSON array of {\"Name\",\"Type\"} objects")
        }
        return try list.map { entry throws(Problem) in
            guard let name = entry["Name"] as? String, isIdentifier(name) else {
                throw Problem(description: "a parameter of \(operation) has no valid Name")
            }
            guard let typeName = entry["Type"] as? String, let primitive = EdmPrimitive(rawValue: typeName) else {
                throw Problem(description: "the parameter \(name) of \(operation) needs a Type of Edm primitive type (e.g. Edm.String)")
            }
            return EdmProperty(name, .primitive(primitive), nullable: entry["Nullable"] as? Bool ?? false)
        }
    }

    /// Nil when empty, as an extension older than 1.2 leaves it.
    static func applicationScope(_ text: String, of what: String) throws(Problem) -> String? {
        guard !text.isEmpty else { return nil }
        guard ApplicationScope.isValid(text) else {
            throw Problem(description: "the application scope of \(what) is not a scope name (printable ASCII without spaces, quotes or backslashes)")
        }
        return text
    }

    static func roles(_ json: [UInt8], of what: String) throws(Problem) -> Set<APIRole> {
        guard !json.isEmpty else { return [.application, .employee] }
        guard let list = try? JSONSerialization.jsonObject(with: Data(json)) as? [String] else {
            throw Problem(description: "the roles of \(what) are not a JSON array of role names")
        }
        var roles = Set<APIRole>()
        for name in list {
            guard let role = APIRole(rawValue: name) else {
                throw Problem(description: "\(what) names the unknown role '\(name)' (known: Anonymous, Customer, Application, Employee)")
            }
            roles.insert(role)
        }
        return roles
    }

    static func entityType(_ json: [UInt8], of set: String) throws(Problem) -> EdmEntityType {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let name = object["Name"] as? String, isIdentifier(name),
            let key = object["Key"] as? String,
            let properties = object["Properties"] as? [[String: Any]]
        else {
            throw Problem(description: "the entity type of \(set) is not JSON of the form {\"Name\",\"Key\",\"Properties\":[{\"Name\",\"Type\"}]}")
        }
        let parsed = try properties.map { entry throws(Problem) in
            guard let property = entry["Name"] as? String, isIdentifier(property),
                let typeName = entry["Type"] as? String, let primitive = EdmPrimitive(rawValue: typeName)
            else {
                throw Problem(description: "a property of the entity type \(name) needs a Name and an Edm primitive Type")
            }
            return EdmProperty(property, .primitive(primitive), nullable: entry["Nullable"] as? Bool ?? (property != key))
        }
        guard parsed.contains(where: { $0.name == key }) else {
            throw Problem(description: "the key \(key) of the entity type \(name) is not one of its properties")
        }
        return EdmEntityType(name, key: [key], properties: parsed)
    }
}
