import ChannelDatabase
import Foundation
import Synchronization

/// Keeps the `ExtensionProperties` of carts, sales orders and their lines in the channel DB.
///
/// Clients set them in the request bodies of carts and lines; extensions attach them with a
/// post-trigger on the request that answers the entity. Either way they are stored once the
/// request's last post-trigger has run (a registry completion), so the entity shows them on
/// every later read without the extension having to add them again. A checked-out cart's
/// properties go to its sales order (the cart's to the order, each line's to its sales line).
enum StoredProperties {
    static let cartOwner = CartStore.propertiesOwnerType
    static let salesOrderOwner = "sales_order"

    static func register(in registry: inout HandlerRegistry) {
        registry.addCompletion(CreateCartRequest.self) { _, cart, context in try await save(cart, context) }
        registry.addCompletion(AddCartLinesRequest.self) { _, cart, context in try await save(cart, context) }
        registry.addCompletion(UpdateCartLinesRequest.self) { _, cart, context in try await save(cart, context) }
        registry.addCompletion(RemoveCartLinesRequest.self) { _, cart, context in try await save(cart, context) }
        registry.addCompletion(UpdateCartRequest.self) { _, cart, context in try await save(cart, context) }
        registry.addCompletion(CalculateCartTotalsRequest.self) { _, cart, context in try await save(cart, context) }
        registry.addCompletion(CheckoutRequest.self) { _, order, context in try await save(order, context) }
    }

    // MARK: Carts

    static func attach(to cart: inout Cart, context: RequestContext) async throws {
        let stored = try await storedParts(ownerType: cartOwner, ownerId: cart.id, context: context)
        guard !stored.isEmpty else { return }
        cart.extensionProperties = decode(stored[""])
        for index in cart.cartLines.indices {
            cart.cartLines[index].extensionProperties = decode(stored[cart.cartLines[index].lineId])
        }
    }

    /// The properties of a page of carts, read in one statement.
    static func attach(to carts: inout [Cart], context: RequestContext) async throws {
        let stored = try await ExtensionPropertyStore(context.transaction).properties(ownerType: cartOwner, ownerIds: carts.map(\.id))
        guard !stored.isEmpty else { return }
        for index in carts.indices {
            guard let parts = stored[carts[index].id] else { continue }
            carts[index].extensionProperties = decode(parts[""])
            for line in carts[index].cartLines.indices {
                carts[index].cartLines[line].extensionProperties = decode(parts[carts[index].cartLines[line].lineId])
            }
        }
    }

    static func save(_ cart: Cart, _ context: RequestContext) async throws {
        var parts: [String: [CommerceProperty]] = ["": cart.extensionProperties]
        for line in cart.cartLines { parts[line.lineId] = line.extensionProperties }
        try await replace(parts, ownerType: cartOwner, ownerId: cart.id, context: context)
    }

    /// Merges properties a client sent into what a cart (`part` "") or one of its lines has.
    static func merge(_ changes: [CommerceProperty]?, cartId: String, part: String, context: RequestContext) async throws {
        guard let changes, !changes.isEmpty else { return }
        for change in changes { try validate(change) }
        let stored = try await storedParts(ownerType: cartOwner, ownerId: cartId, context: context)
        let merged = CommerceProperty.merged(changes, into: decode(stored[part]))
        guard merged.count <= maximumCount else {
            throw CommerceError.invalidRequest("an entity holds at most \(maximumCount) ExtensionProperties", target: "ExtensionProperties")
        }
        try await set(ownerType: cartOwner, ownerId: cartId, part: part, json: try encode(merged), context: context)
    }

    /// Client-sent properties are bounded so that a cart stays a cart, not free storage.
    static let maximumCount = 100
    static let maximumKeyLength = 200
    static let maximumStringLength = 4_000

    private static func validate(_ property: CommerceProperty) throws {
        guard !property.key.isEmpty, property.key.count <= maximumKeyLength else {
            throw CommerceError.invalidRequest("an ExtensionProperties Key has 1 to \(maximumKeyLength) characters", target: "ExtensionProperties/Key")
        }
        let set = [
            property.value.stringValue != nil, property.value.booleanValue != nil, property.value.decimalValue != nil,
            property.value.integerValue != nil, property.value.longValue != nil, property.value.dateTimeOffsetValue != nil,
        ].filter { $0 }.count
        guard set <= 1 else {
            throw CommerceError.invalidRequest(
                "the Value of ExtensionProperties '\(property.key)' sets \(set) members; set one (or none, to remove the key)",
                target: "ExtensionProperties/Value"
            )
        }
        if let text = property.value.stringValue ?? property.value.dateTimeOffsetValue, text.count > maximumStringLength {
            throw CommerceError.invalidRequest(
                "the value of ExtensionProperties '\(property.key)' is longer than \(maximumStringLength) characters", target: "ExtensionProperties/Value"
            )
        }
    }

    /// An owner this request has just created (a cart, an order: random ids, never used before)
    /// has nothing stored yet, nor has a cart whose read found none; saying so spares the read
    /// that answering it would make.
    static func rememberNew(ownerType: String, ownerId: String, context: RequestContext) {
        context.storedProperties.remember([:], ownerType: ownerType, ownerId: ownerId)
    }

    static func forgetCart(_ cartId: String, context: RequestContext) async throws {
        let statement = forgetCartStatement(cartId, context: context)
        try await context.transaction.execute(statement.sql, statement.arguments)
    }

    /// The statement that forgets the cart's properties, for a caller that runs it together with
    /// others; the request's memo counts them as gone from here on.
    static func forgetCartStatement(_ cartId: String, context: RequestContext) -> SQLFragment {
        context.storedProperties.remember([:], ownerType: cartOwner, ownerId: cartId)
        return ExtensionPropertyStore.deleteStatement(ownerType: cartOwner, ownerId: cartId)
    }

    // MARK: Sales orders

    static func attach(to order: inout SalesOrder, context: RequestContext) async throws {
        let stored = try await storedParts(ownerType: salesOrderOwner, ownerId: order.id, context: context)
        guard !stored.isEmpty else { return }
        order.extensionProperties = decode(stored[""])
        for index in order.salesLines.indices {
            order.salesLines[index].extensionProperties = decode(stored[order.salesLines[index].lineId])
        }
    }

    /// The properties of a page of orders, read in one statement.
    static func attach(to orders: inout [SalesOrder], context: RequestContext) async throws {
        let stored = try await ExtensionPropertyStore(context.transaction).properties(ownerType: salesOrderOwner, ownerIds: orders.map(\.id))
        guard !stored.isEmpty else { return }
        for index in orders.indices {
            guard let parts = stored[orders[index].id] else { continue }
            orders[index].extensionProperties = decode(parts[""])
            for line in orders[index].salesLines.indices {
                orders[index].salesLines[line].extensionProperties = decode(parts[orders[index].salesLines[line].lineId])
            }
        }
    }

    static func save(_ order: SalesOrder, _ context: RequestContext) async throws {
        var parts: [String: [CommerceProperty]] = ["": order.extensionProperties]
        for line in order.salesLines { parts[line.lineId] = line.extensionProperties }
        try await replace(parts, ownerType: salesOrderOwner, ownerId: order.id, context: context)
    }

    // MARK: Storage

    /// Writes only what differs from what is stored, so a request that changes no property
    /// (nearly all of them) costs one read.
    private static func replace(_ parts: [String: [CommerceProperty]], ownerType: String, ownerId: String, context: RequestContext) async throws {
        let stored = try await storedParts(ownerType: ownerType, ownerId: ownerId, context: context)
        for part in stored.keys.sorted() where parts[part] == nil {
            try await set(ownerType: ownerType, ownerId: ownerId, part: part, json: nil, context: context)
        }
        for (part, properties) in parts.sorted(by: { $0.key < $1.key }) {
            let normalized = CommerceProperty.merged(properties, into: [])
            guard normalized != decode(stored[part]) else { continue }
            try await set(ownerType: ownerType, ownerId: ownerId, part: part, json: try encode(normalized), context: context)
        }
    }

    /// What is stored for one owner, read once per top-level request: a cart change reads its
    /// properties to answer them and then twice more to store what its completions see (the
    /// nested `CalculateCartTotalsRequest` and the change itself). Every write here goes
    /// through ``set(ownerType:ownerId:part:json:context:)``, which keeps the memo true.
    private static func storedParts(ownerType: String, ownerId: String, context: RequestContext) async throws -> [String: String] {
        if let known = context.storedProperties.parts(ownerType: ownerType, ownerId: ownerId) { return known }
        let stored = try await ExtensionPropertyStore(context.transaction).properties(ownerType: ownerType, ownerId: ownerId)
        context.storedProperties.remember(stored, ownerType: ownerType, ownerId: ownerId)
        return stored
    }

    private static func set(ownerType: String, ownerId: String, part: String, json: String?, context: RequestContext) async throws {
        try await ExtensionPropertyStore(context.transaction).set(ownerType: ownerType, ownerId: ownerId, part: part, json: json)
        context.storedProperties.update(part: part, json: json, ownerType: ownerType, ownerId: ownerId)
    }

    private static func encode(_ properties: [CommerceProperty]) throws -> String? {
        guard !properties.isEmpty else { return nil }
        return String(decoding: try JSONEncoder().encode(properties), as: UTF8.self)
    }

    private static func decode(_ json: String?) -> [CommerceProperty] {
        guard let json else { return [] }
        // Written by `encode` above; a row that does not decode (edited by hand) reads as none
        // rather than failing every request on the cart.
        return (try? JSONDecoder().decode([CommerceProperty].self, from: Data(json.utf8))) ?? []
    }
}

extension CommerceProperty {
    /// `changes` applied to `properties` by key, in order: a change replaces the property of its
    /// key (keeping its position) or is appended; a change without any value removes its key.
    public static func merged(_ changes: [CommerceProperty], into properties: [CommerceProperty]) -> [CommerceProperty] {
        var result = properties
        for change in changes {
            let index = result.firstIndex { $0.key == change.key }
            switch (index, change.value.isEmpty) {
            case (let index?, true): result.remove(at: index)
            case (let index?, false): result[index] = change
            case (nil, false): result.append(change)
            case (nil, true): break
            }
        }
        return result
    }
}

extension CommercePropertyValue {
    /// True when no member is set: in a change, "remove this key".
    public var isEmpty: Bool {
        stringValue == nil && booleanValue == nil && decimalValue == nil && integerValue == nil && longValue == nil && dateTimeOffsetValue == nil
    }
}

/// The stored properties one top-level request has read or written, by owner (see
/// `StoredProperties.storedParts`). A context, and so this memo, lives for one transaction of
/// one top-level request; nested requests share it.
final class StoredPropertiesMemo: Sendable {
    private let owners = Mutex<[String: [String: String]]>([:])

    private static func key(_ ownerType: String, _ ownerId: String) -> String { ownerType + "\u{1F}" + ownerId }

    func parts(ownerType: String, ownerId: String) -> [String: String]? {
        owners.withLock { $0[Self.key(ownerType, ownerId)] }
    }

    func remember(_ parts: [String: String], ownerType: String, ownerId: String) {
        owners.withLock { $0[Self.key(ownerType, ownerId)] = parts }
    }

    /// A part written: only an owner already read is kept, so a memo never stands for parts it has not seen.
    func update(part: String, json: String?, ownerType: String, ownerId: String) {
        owners.withLock { owners in
            let key = Self.key(ownerType, ownerId)
            guard owners[key] != nil else { return }
            owners[key]?[part] = json
        }
    }
}
