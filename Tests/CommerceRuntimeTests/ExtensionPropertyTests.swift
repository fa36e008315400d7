import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Testing

/// `ExtensionProperties` of carts, lines and sales orders: set by clients or added by
/// extension post-triggers, stored by the host, carried from the cart to its order.
@Suite("Extension properties")
struct ExtensionPropertyTests {
    static func text(_ key: String, _ value: String) -> CommerceProperty { CommerceProperty(key: key, value: .init(stringValue: value)) }
    static func long(_ key: String, _ value: Int64) -> CommerceProperty { CommerceProperty(key: key, value: .init(longValue: value)) }
    static func removal(_ key: String) -> CommerceProperty { CommerceProperty(key: key, value: .init()) }

    @Test("client properties are stored, merged by key, and go with the cart to its sales order", arguments: Backend.allCases)
    func clientProperties(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let created = try await f.run(CreateCartRequest(receiptEmail: "shopper@example.com", extensionProperties: [Self.text("GiftMessage", "Happy birthday")]))
        #expect(created.extensionProperties == [Self.text("GiftMessage", "Happy birthday")])

        let added = try await f.run(AddCartLinesRequest(cartId: created.id, cartLines: [
            CartLineInput(productId: CartTests.product, quantity: 1, extensionProperties: [Self.text("Engraving", "A.B.")]),
            CartLineInput(productId: CartTests.otherProduct, quantity: 1),
        ], cartVersion: created.version))
        let engraved = try #require(added.cartLines.first { $0.productId == CartTests.product })
        #expect(engraved.extensionProperties == [Self.text("Engraving", "A.B.")])
        #expect(added.cartLines.first { $0.productId == CartTests.otherProduct }?.extensionProperties == [])

        // A change replaces its key in place, a value-less one removes its key, a new key is appended.
        let patched = try await f.run(UpdateCartRequest(cartId: added.id, cartVersion: added.version, extensionProperties: [
            Self.text("GiftMessage", "Happy 40th"), Self.long("Priority", 2), Self.removal("Nonexistent"),
        ]))
        #expect(patched.extensionProperties == [Self.text("GiftMessage", "Happy 40th"), Self.long("Priority", 2)])
        let trimmed = try await f.run(UpdateCartRequest(cartId: patched.id, cartVersion: patched.version, extensionProperties: [Self.removal("GiftMessage")]))
        #expect(trimmed.extensionProperties == [Self.long("Priority", 2)])

        let read = try #require(try await f.run(GetCartRequest(cartId: trimmed.id)))
        #expect(read.extensionProperties == [Self.long("Priority", 2)])
        #expect(read.cartLines.first { $0.productId == CartTests.product }?.extensionProperties == [Self.text("Engraving", "A.B.")])

        let order = try await f.run(f.pay(read))
        #expect(order.extensionProperties == [Self.long("Priority", 2)])
        let engravedIndex = try #require(read.cartLines.firstIndex { $0.productId == CartTests.product })
        #expect(order.salesLines[engravedIndex].extensionProperties == [Self.text("Engraving", "A.B.")])
        #expect(order.salesLines[1 - engravedIndex].extensionProperties == [])

        let stored = try #require(try await f.run(GetSalesOrderRequest(salesOrderId: order.id), caller: .application(id: "test")))
        #expect(stored.extensionProperties == order.extensionProperties)
        #expect(stored.salesLines.map(\.extensionProperties) == order.salesLines.map(\.extensionProperties))
        // The checked-out cart leaves nothing behind.
        let cartRows = try await f.database.withTransaction(.read) {
            try await $0.queryFirst("SELECT COUNT(*) AS n FROM extension_properties WHERE owner_type = 'cart' AND owner_id = ?", [.text(read.id)])?.int("n")
        }
        #expect(cartRows == 0)
    }

    @Test("what an extension's post-trigger adds is stored with the entity and shows on later reads", arguments: Backend.allCases)
    func triggerProperties(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend) { registry in
            registry.addPostTrigger(AddCartLinesRequest.self, owner: "ext.sample") { _, cart, _ in
                var cart = cart
                cart.extensionProperties = CommerceProperty.merged([Self.long("LinesSeen", Int64(cart.cartLines.count))], into: cart.extensionProperties)
                for index in cart.cartLines.indices {
                    cart.cartLines[index].extensionProperties = [Self.text("Origin", "sample")]
                }
                return cart
            }
            registry.addPostTrigger(CheckoutRequest.self, owner: "ext.sample") { _, order, _ in
                var order = order
                order.extensionProperties.append(Self.long("PointsAwarded", 42))
                return order
            }
        }
        let cart = try await f.cart()
        #expect(cart.extensionProperties == [Self.long("LinesSeen", 1)])

        // A later change through another request keeps what the trigger stored.
        let patched = try await f.run(UpdateCartRequest(cartId: cart.id, cartVersion: cart.version, receiptEmail: "other@example.com"))
        #expect(patched.extensionProperties == [Self.long("LinesSeen", 1)])
        #expect(patched.cartLines.map(\.extensionProperties) == [[Self.text("Origin", "sample")]])

        // The trigger runs again on the next AddCartLines and replaces its key.
        let twoLines = try await f.run(AddCartLinesRequest(
            cartId: cart.id, cartLines: [CartLineInput(productId: CartTests.otherProduct, quantity: 1)], cartVersion: patched.version
        ))
        #expect(twoLines.extensionProperties == [Self.long("LinesSeen", 2)])

        let order = try await f.run(f.pay(twoLines))
        #expect(order.extensionProperties == [Self.long("LinesSeen", 2), Self.long("PointsAwarded", 42)])
        let stored = try #require(try await f.run(GetSalesOrderRequest(salesOrderId: order.id), caller: .application(id: "test")))
        #expect(stored.extensionProperties == [Self.long("LinesSeen", 2), Self.long("PointsAwarded", 42)])
        #expect(stored.salesLines.map(\.extensionProperties) == [[Self.text("Origin", "sample")], [Self.text("Origin", "sample")]])
    }

    @Test("bad client properties are refused and change nothing", arguments: Backend.allCases)
    func refusals(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let cart = try await f.cart()
        let twoMembers = CommerceProperty(key: "Both", value: .init(stringValue: "x", longValue: 1))
        await #expect(throws: CommerceError.self) {
            try await f.run(UpdateCartRequest(cartId: cart.id, cartVersion: cart.version, extensionProperties: [twoMembers]))
        }
        await #expect(throws: CommerceError.self) {
            try await f.run(UpdateCartRequest(cartId: cart.id, cartVersion: cart.version, extensionProperties: [Self.text("", "empty key")]))
        }
        let many = (0...StoredProperties.maximumCount).map { Self.long("K\($0)", Int64($0)) }
        await #expect(throws: CommerceError.self) {
            try await f.run(UpdateCartRequest(cartId: cart.id, cartVersion: cart.version, receiptEmail: "changed@example.com", extensionProperties: many))
        }
        let after = try #require(try await f.run(GetCartRequest(cartId: cart.id)))
        #expect(after.version == cart.version && after.receiptEmail == cart.receiptEmail && after.extensionProperties.isEmpty)
    }
}
