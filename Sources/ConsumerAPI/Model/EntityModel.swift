/// The entity data model of the service: types, entity sets, actions and functions, and the
/// roles allowed to call each.
///
/// Everything the API says about its shape is derived from this one value: `$metadata` (XML and
/// JSON), the service document, routing and authorization. Built-in parts and extensions add
/// to it the same way, through the `add` methods, before the host starts serving; a name
/// clash is an error at start-up, never a silent override.
public struct EntityModel: Sendable {
    /// Retail Server's namespace, so generated clients keep their type names.
    public static let namespace = "Microsoft.Dynamics.Commerce.Runtime.DataModel"
    public static let containerName = "CommerceContext"

    public private(set) var entityTypes: [EdmEntityType] = []
    public private(set) var complexTypes: [EdmComplexType] = []
    public private(set) var enumTypes: [EdmEnumType] = []
    public private(set) var entitySets: [EdmEntitySet] = []
    public private(set) var operations: [EdmOperation] = []
    /// Whether anything was added from outside (with a request type), so routing looks for
    /// it only then and the built-in hot paths pay nothing.
    public private(set) var hasExternalParts = false

    public init() {}

    public mutating func add(_ type: EdmEntityType) throws(EntityModelError) {
        try checkNewTypeName(type.name)
        entityTypes.append(type)
    }

    public mutating func add(_ type: EdmComplexType) throws(EntityModelError) {
        try checkNewTypeName(type.name)
        complexTypes.append(type)
    }

    public mutating func add(_ type: EdmEnumType) throws(EntityModelError) {
        try checkNewTypeName(type.name)
        enumTypes.append(type)
    }

    public mutating func add(_ set: EdmEntitySet) throws(EntityModelError) {
        guard entitySet(named: set.name) == nil, !operations.contains(where: { $0.binding == nil && $0.name == set.name }) else {
            throw EntityModelError("the entity set name '\(set.name)' is already taken")
        }
        guard entityType(named: set.entityType) != nil else {
            throw EntityModelError("the entity set '\(set.name)' names the unknown entity type '\(set.entityType)'")
        }
        entitySets.append(set)
        if set.requestType != nil { hasExternalParts = true }
    }

    /// Adds an action or function. Bound operations overload by binding type; unbound ones
    /// must not share a name with an entity set or another unbound operation.
    public mutating func add(_ operation: EdmOperation) throws(EntityModelError) {
        if let binding = operation.binding {
            guard entityType(named: binding.entityType) != nil else {
                throw EntityModelError("the operation '\(operation.name)' is bound to the unknown entity type '\(binding.entityType)'")
            }
            if operations.contains(where: { $0.name == operation.name && $0.binding == binding }) {
                throw EntityModelError("the operation '\(operation.name)' is already bound to \(binding.description)")
            }
        } else if entitySet(named: operation.name) != nil || operations.contains(where: { $0.binding == nil && $0.name == operation.name }) {
            throw EntityModelError("the unbound operation name '\(operation.name)' is already taken")
        }
        for parameter in operation.parameters { try checkTypeExists(parameter.type, in: "parameter \(parameter.name) of \(operation.name)") }
        if let result = operation.returnType { try checkTypeExists(result, in: "the result of \(operation.name)") }
        operations.append(operation)
        if operation.requestType != nil { hasExternalParts = true }
    }

    public func entitySet(named name: String) -> EdmEntitySet? { entitySets.first { $0.name == name } }
    public func entityType(named name: String) -> EdmEntityType? { entityTypes.first { $0.name == name } }
    public func complexType(named name: String) -> EdmComplexType? { complexTypes.first { $0.name == name } }

    /// The operation bound to `entityType` (one entity, or the collection when `collection`).
    public func boundOperation(_ name: String, entityType: String, collection: Bool) -> EdmOperation? {
        operations.first { $0.name == name && $0.binding == EdmOperation.Binding(entityType: entityType, isCollection: collection) }
    }

    public func unboundOperation(_ name: String) -> EdmOperation? {
        operations.first { $0.binding == nil && $0.name == name }
    }

    private func checkNewTypeName(_ name: String) throws(EntityModelError) {
        if entityType(named: name) != nil || complexType(named: name) != nil || enumTypes.contains(where: { $0.name == name }) {
            throw EntityModelError("the type name '\(name)' is already taken")
        }
    }

    private func checkTypeExists(_ type: EdmType, in place: String) throws(EntityModelError) {
        switch type {
        case .primitive: return
        case .collection(let element): try checkTypeExists(element, in: place)
        case .entity(let name):
            guard entityType(named: name) != nil else { throw EntityModelError("\(place) names the unknown entity type '\(name)'") }
        case .complex(let name):
            guard complexType(named: name) != nil else { throw EntityModelError("\(place) names the unknown complex type '\(name)'") }
        case .enumeration(let name):
            guard enumTypes.contains(where: { $0.name == name }) else { throw EntityModelError("\(place) names the unknown enum type '\(name)'") }
        }
    }
}

/// Scopes narrow what an application may do within its role: an entity set or operation that
/// declares one answers 403 to an application without it. Applications get scopes from their
/// API key's entry (`auth.applications[].scopes`) or from their token (`scope`, `scp`).
public enum ApplicationScope {
    /// Reading and changing any customer's carts, and checking them out.
    public static let carts = "carts"
    /// Reading customer accounts (and, when built, creating and changing them).
    public static let customers = "customers"
    /// Reading sales orders and order history: order export.
    public static let orders = "orders"
    /// Reserved for the data-exchange endpoints (master-data download, transactional upload),
    /// which are not built yet: accepted in the configuration, granting nothing today.
    public static let dataExchange = "dataexchange"

    /// Scopes that exist without anything in the model declaring them.
    public static let reserved: Set<String> = [dataExchange]

    /// Whether `text` is a scope token as OAuth 2.0 defines it (RFC 6749 3.3): printable ASCII
    /// without space, `"` or `\\`.
    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128
            && text.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }
}

extension EntityModel {
    /// Every scope an application can be given on this host: those the model's entity sets and
    /// operations declare, and the reserved ones.
    public var applicationScopes: Set<String> {
        ApplicationScope.reserved.union(entitySets.compactMap(\.applicationScope)).union(operations.compactMap(\.applicationScope))
    }
}

public struct EntityModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The callers of the API, as Retail Server names them.
public enum APIRole: String, Sendable, CaseIterable, Codable {
    case anonymous = "Anonymous"
    case customer = "Customer"
    case application = "Application"
    case employee = "Employee"
}

public enum EdmPrimitive: String, Sendable, CaseIterable {
    case string = "Edm.String"
    case boolean = "Edm.Boolean"
    case int32 = "Edm.Int32"
    case int64 = "Edm.Int64"
    case decimal = "Edm.Decimal"
    case double = "Edm.Double"
    case dateTimeOffset = "Edm.DateTimeOffset"
    case date = "Edm.Date"
    case guid = "Edm.Guid"
}

/// A type reference: a primitive, a named type of the model, or a collection of either.
public indirect enum EdmType: Sendable, Equatable {
    case primitive(EdmPrimitive)
    case entity(String)
    case complex(String)
    case enumeration(String)
    case collection(EdmType)

    /// The qualified name as CSDL writes it, e.g. `Collection(Microsoft...DataModel.CartLine)`.
    public var qualifiedName: String {
        switch self {
        case .primitive(let primitive): primitive.rawValue
        case .entity(let name), .complex(let name), .enumeration(let name): "\(EntityModel.namespace).\(name)"
        case .collection(let element): "Collection(\(element.qualifiedName))"
        }
    }

    public var isCollection: Bool {
        if case .collection = self { return true }
        return false
    }
}

public struct EdmProperty: Sendable, Equatable {
    public var name: String
    public var type: EdmType
    public var nullable: Bool

    public init(_ name: String, _ type: EdmType, nullable: Bool = true) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

public struct EdmNavigationProperty: Sendable, Equatable {
    public var name: String
    public var target: String
    public var isCollection: Bool

    public init(_ name: String, target: String, isCollection: Bool) {
        self.name = name
        self.target = target
        self.isCollection = isCollection
    }
}

public struct EdmEntityType: Sendable, Equatable {
    public var name: String
    public var key: [String]
    public var properties: [EdmProperty]
    public var navigationProperties: [EdmNavigationProperty]

    public init(_ name: String, key: [String], properties: [EdmProperty], navigationProperties: [EdmNavigationProperty] = []) {
        self.name = name
        self.key = key
        self.properties = properties
        self.navigationProperties = navigationProperties
    }

    public func property(named name: String) -> EdmProperty? { properties.first { $0.name == name } }
}

public struct EdmComplexType: Sendable, Equatable {
    public var name: String
    public var properties: [EdmProperty]

    public init(_ name: String, properties: [EdmProperty]) {
        self.name = name
        self.properties = properties
    }
}

public struct EdmEnumType: Sendable, Equatable {
    public var name: String
    public var members: [(name: String, value: Int64)]
    public var isFlags: Bool

    public init(_ name: String, members: [(name: String, value: Int64)], isFlags: Bool = false) {
        self.name = name
        self.members = members
        self.isFlags = isFlags
    }

    public static func == (lhs: EdmEnumType, rhs: EdmEnumType) -> Bool {
        lhs.name == rhs.name && lhs.isFlags == rhs.isFlags && lhs.members.elementsEqual(rhs.members) { $0 == $1 }
    }
}

/// An entity set with what may be done to it and by whom.
public struct EdmEntitySet: Sendable, Equatable {
    public struct Capabilities: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let read = Capabilities(rawValue: 1)
        public static let insert = Capabilities(rawValue: 2)
        public static let update = Capabilities(rawValue: 4)
        public static let delete = Capabilities(rawValue: 8)
    }

    public var name: String
    public var entityType: String
    public var capabilities: Capabilities
    public var roles: Set<APIRole>
    /// The roles that may list the whole set (`GET` of the collection and its `/$count`), when
    /// fewer than ``roles``: e.g. anyone may use a cart by its id, but only authenticated callers
    /// list carts. nil: the same as ``roles``.
    public var listRoles: Set<APIRole>?
    /// The scope an Application caller must hold to use the set (and operations bound to it
    /// that declare none of their own); nil: the Application role is enough. Other roles are
    /// not scoped.
    public var applicationScope: String?
    /// For a set added from outside (an extension): the CRT request type, known by name and
    /// carrying JSON, that reads it. Built-in sets have controllers instead.
    public var requestType: String?

    public init(
        _ name: String, entityType: String, capabilities: Capabilities = [.read], roles: Set<APIRole>, listRoles: Set<APIRole>? = nil, applicationScope: String? = nil,
        requestType: String? = nil
    ) {
        self.name = name
        self.entityType = entityType
        self.capabilities = capabilities
        self.roles = roles
        self.listRoles = listRoles
        self.applicationScope = applicationScope
        self.requestType = requestType
    }
}

/// An action (POST, may change state) or function (GET, no side effects).
public struct EdmOperation: Sendable, Equatable {
    public enum Kind: String, Sendable { case action = "Action", function = "Function" }

    /// What a bound operation is bound to: one entity of a type, or a collection of them.
    public struct Binding: Sendable, Equatable, CustomStringConvertible {
        public var entityType: String
        public var isCollection: Bool

        public init(entityType: String, isCollection: Bool) {
            self.entityType = entityType
            self.isCollection = isCollection
        }

        public var type: EdmType { isCollection ? .collection(.entity(entityType)) : .entity(entityType) }
        public var description: String { type.qualifiedName }
    }

    /// A parameter has the shape of a property: name, type, nullability.
    public typealias Parameter = EdmProperty

    public var name: String
    public var kind: Kind
    public var binding: Binding?
    public var parameters: [Parameter]
    public var returnType: EdmType?
    /// The entity set results come from, when the result is entities (for `@odata.context`).
    public var entitySetPath: String?
    public var roles: Set<APIRole>
    /// The scope an Application caller must hold to call it; nil: the Application role is
    /// enough. Like `roles`, it replaces what the entity set it is bound to declares.
    public var applicationScope: String?
    /// For an operation added from outside (an extension): the CRT request type, known by name
    /// and carrying JSON, that runs it. Built-in operations have controllers instead.
    public var requestType: String?

    public init(
        _ name: String, kind: Kind, binding: Binding? = nil, parameters: [Parameter] = [], returnType: EdmType? = nil,
        entitySetPath: String? = nil, roles: Set<APIRole>, applicationScope: String? = nil, requestType: String? = nil
    ) {
        self.applicationScope = applicationScope
        self.requestType = requestType
        self.name = name
        self.kind = kind
        self.binding = binding
        self.parameters = parameters
        self.returnType = returnType
        self.entitySetPath = entitySetPath
        self.roles = roles
    }
}
