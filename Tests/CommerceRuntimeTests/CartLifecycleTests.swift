import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Testing

/// Deleting carts, their expiry after idle time, and the backorder policy, on both backends.
@Suite("Cart lifecycle and backorders")
struct CartLifecycleTests {
    @Test("DELETE removes a cart with its lines; a stale version is refused; another customer's cart is not found", arguments: Backend.allCases)
    func delete(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let cart = try await f.run(AddCartLinesRequest(
            cartId: try await f.run(CreateCartRequest(customerId: "004011"), caller: .customer(accountNumber: "004011")).id,
            cartLines: [CartLineInput(productId: CartTests.product, quantity: 1)]
        ), caller: .customer(accountNumber: "004011"))

        #expect(try await f.run(DeleteCartRequest(cartId: cart.id), caller: .customer(accountNumber: "someone-else")) == false)
        await #expect(throws: CommerceError.self) {
            try await f.run(DeleteCartRequest(cartId: cart.id, cartVersion: cart.version - 1), caller: .customer(accountNumber: "004011"))
        }
        #expect(try await f.run(GetCartRequest(cartId: cart.id), caller: .customer(accountNumber: "004011")) != nil)

        #expect(try await f.run(DeleteCartRequest(cartId: cart.id, cartVersion: cart.version), caller: .customer(accountNumber: "004011")))
        #expect(try await f.run(GetCartRequest(cartId: cart.id), caller: .customer(accountNumber: "004011")) == nil)
        #expect(try await f.count("cart_lines") == 0)
        #expect(try await f.run(DeleteCartRequest(cartId: cart.id), caller: .customer(accountNumber: "004011")) == false)
    }

    @Test("an idle cart is gone for every request, and the purge deletes only idle ones", arguments: Backend.allCases)
    func expiry(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend, settings: CommerceSettings(cartIdleSeconds: 3_600))
        let idle = try await f.cart()
        let fresh = try await f.cart()
        // Two hours without a change: past the one-hour lifetime.
        let twoHoursAgo = Int64(Date().timeIntervalSince1970 * 1_000) - 2 * 3_600 * 1_000
        _ = try await f.database.withTransaction(.write) { try await $0.execute("UPDATE carts SET modified_at = ? WHERE id = ?", [.integer(twoHoursAgo), .text(idle.id)]) }

        #expect(try await f.run(GetCartRequest(cartId: idle.id)) == nil)
        await #expect(throws: CommerceError.self) {
            try await f.run(AddCartLinesRequest(cartId: idle.id, cartLines: [CartLineInput(productId: CartTests.product, quantity: 1)]))
        }
        await #expect(throws: CommerceError.self) { try await f.run(f.pay(idle)) }
        #expect(try await f.run(GetCartRequest(cartId: fresh.id)) != nil)

        #expect(try await f.run(PurgeExpiredCartsRequest()) == 1)
        #expect(try await f.count("carts") == 1)
        #expect(try await f.count("cart_lines") == 1)
        #expect(try await f.run(PurgeExpiredCartsRequest()) == 0)

        // Without a lifetime nothing expires.
        let keep = try await CartTests.fixture(backend, settings: CommerceSettings(cartIdleSeconds: nil))
        let old = try await keep.cart()
        _ = try await keep.database.withTransaction(.write) { try await $0.execute("UPDATE carts SET modified_at = 0 WHERE id = ?", [.text(old.id)]) }
        #expect(try await keep.run(GetCartRequest(cartId: old.id)) != nil)
        #expect(try await keep.run(PurgeExpiredCartsRequest()) == 0)
    }

    @Test("availability by item id follows what checkouts reserve, and never shows less than zero", arguments: Backend.allCases)
    func availability(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend, settings: CommerceSettings(allowBackorders: true))
        func available() async throws -> [String: Decimal] {
            let rows = try await f.run(GetProductAvailabilitiesRequest(itemIds: ["P00001", "P00002", "P00001", "NO-SUCH-ITEM"]))
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.itemId, $0.availableQuantity) })
        }
        #expect(try await available() == ["P00001": 5, "P00002": 18])
        _ = try await f.run(f.pay(try await f.cart(quantity: 2)))
        #expect(try await available() == ["P00001": 3, "P00002": 18])
        _ = try await f.run(f.pay(try await f.cart(quantity: 4)))
        #expect(try await available() == ["P00001": 0, "P00002": 18])
        await #expect(throws: CommerceError.self) { try await f.run(GetProductAvailabilitiesRequest(itemIds: [])) }
    }

    @Test("with backorders allowed, checkout sells past the stock and the default warehouse owes it", arguments: Backend.allCases)
    func backorders(_ backend: Backend) async throws {
        // Demo product 1 has 5 in stock (2 east, 3 west).
        let refusing = try await CartTests.fixture(backend)
        let tooMany = try await refusing.cart(quantity: 7)
        await #expect(throws: CommerceError.self) { try await refusing.run(refusing.pay(tooMany)) }
        #expect(try await refusing.available(CartTests.product) == 5)

        let allowing = try await CartTests.fixture(backend, settings: CommerceSettings(allowBackorders: true))
        let backordered = try await allowing.cart(quantity: 7)
        let order = try await allowing.run(allowing.pay(backordered))
        // All 3 of the default warehouse (WH-WEST) plus the 2 it owes, and the 2 of WH-EAST.
        #expect(order.salesLines.map { "\($0.warehouseId ?? "?") \($0.quantity)" } == ["WH-WEST 5", "WH-EAST 2"])
        #expect(try await allowing.available(CartTests.product) == -2)
        // Nothing is left anywhere, so a later order is owed by the default warehouse too.
        let more = try await allowing.cart(quantity: 1)
        _ = try await allowing.run(allowing.pay(more))
        #expect(try await allowing.available(CartTests.product) == -3)
    }
}
