import ChannelDatabase
import Foundation

/// Keeps the `ExtensionProperties` of carts, sales orders and their lines in the channel DB.
///
/// Clients set them in the request bodies of carts and lines; extensions attach them with a
/// post-trigger on the request that answers the entity. Either way they are stored once the
/// request's last post-trigger has run (a registry completion), so the entity shows them on
/// every later read without the extension having to add them again. A checked-out cart's
/// properties go to its sales order (the cart's to the order, each line's to its sales line).
enum StoredProperties {
    static let cartOwner = "cart"
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
        let stored = try await ExtensionPropertyStore(context.transaction).properties(ownerType: cartOwner, ownerId: cart.id)
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
        let store = ExtensionPropertyStore(context.transaction)
        let stored = try await store.properties(ownerType: cartOwner, ownerId: cartId)
        let merged = CommerceProperty.merged(changes, into: decode(stored[part]))
        guard merged.count <= maximumCount else {
            throw CommerceError.invalidRequest("an entity holds at most \(maximumCount) ExtensionProperties", target: "ExtensionProperties")
        }
        try await store.set(ownerType: cartOwner, ownerId: cartId, part: part, json: try encode(merged))
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

    static func forgetCart(_ cartId: String, context: RequestContext) async throws {
        try await ExtensionPropertyStore(context.transaction).delete(ownerType: cartOwner, ownerId: cartId)
    }

    // MARK: Sales orders

    static func attach(to order: inout SalesOrder, context: RequestContext) async throws {
        let stored = try await ExtensionPropertyStore(context.transaction).properties(ownerType: salesOrderOwner, ownerId: order.id)
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
        let store = ExtensionPropertyStore(context.transaction)
        let stored = try await store.properties(ownerType: ownerType, ownerId: ownerId)
        for part in stored.keys.sorted() where parts[part] == nil {
            try await store.set(ownerType: ownerType, ownerId: ownerId, part: part, json: nil)
        }
        for (part, properties) in parts.sorted(by: { $0.key < $1.key }) {
            let normalized = CommerceProperty.merged(properties, into: [])
            guard normalized != decode(stored[part]) else { continue }
            try await store.set(ownerType: ownerType, ownerId: ownerId, part: part, json: try encode(normalized))
        }
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
