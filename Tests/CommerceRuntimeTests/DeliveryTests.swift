import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Testing

/// Delivery modes and addresses per cart and per line, through tax and into the order.
@Suite("Delivery per cart and per line")
struct DeliveryTests {
    static let washington = Address(name: "Ann", street: "1 Pine St", city: "Seattle", state: "WA", zipCode: "98101", threeLetterISORegionName: "USA")
    static let california = Address(name: "Bob", street: "1 Main St", city: "Fresno", state: "CA", zipCode: "93650", threeLetterISORegionName: "USA")

    @Test("a line with its own address is taxed for it; the order keeps each line's mode and address", arguments: Backend.allCases)
    func perLine(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let created = try await f.run(CreateCartRequest(receiptEmail: "ann@example.com", cartLines: [
            CartLineInput(productId: CartTests.product, quantity: 2), CartLineInput(productId: CartTests.otherProduct, quantity: 1),
        ]))
        #expect(try await f.run(GetDeliveryOptionsRequest(cartId: created.id)) == [
            DeliveryOption(code: "EXP", description: "Express shipping"), DeliveryOption(code: "STD", description: "Standard shipping"),
        ])
        await #expect { try await f.run(UpdateCartRequest(cartId: created.id, deliveryMode: "DRONE")) } throws: {
            ($0 as? CommerceError)?.code == "UnknownDeliveryMode" && ($0 as? CommerceError)?.message.contains("EXP, STD") == true
        }
        #expect(try await f.run(GetCartRequest(cartId: created.id))?.version == created.version)

        let cart = try await f.run(UpdateCartRequest(cartId: created.id, shippingAddress: Self.washington, deliveryMode: "STD"))
        #expect(cart.deliveryMode == "STD")
        // WA 6.5%: 10.78 -> 0.70, 38.69 -> 2.51 (2.51485).
        #expect(cart.taxAmount == Decimal(string: "3.21"))
        let giftLine = try #require(cart.cartLines.first { $0.productId == CartTests.otherProduct })
        let split = try await f.run(UpdateCartLinesRequest(cartId: cart.id, cartLines: [
            CartLineUpdate(lineId: giftLine.lineId, deliveryMode: "EXP", shippingAddress: Self.california),
        ]))
        let gift = try #require(split.cartLines.first { $0.lineId == giftLine.lineId })
        #expect(gift.deliveryMode == "EXP" && gift.shippingAddress == Self.california && gift.quantity == 1)
        // CA 7.25% of 38.69 = 2.805025 -> 2.81; the other line stays WA. 10.78 + 38.69 + 3.51 = 52.98.
        #expect(gift.taxAmount == Decimal(string: "2.81"))
        #expect(split.taxAmount == Decimal(string: "3.51") && split.totalAmount == Decimal(string: "52.98"))
        await #expect { try await f.run(UpdateCartLinesRequest(cartId: cart.id, cartLines: [CartLineUpdate(lineId: giftLine.lineId, deliveryMode: "DRONE")])) } throws: {
            ($0 as? CommerceError)?.code == "UnknownDeliveryMode"
        }

        let order = try await f.run(f.pay(split))
        #expect(order.deliveryMode == "STD" && order.shippingAddress == Self.washington)
        let giftSale = try #require(order.salesLines.first { $0.productId == CartTests.otherProduct })
        let plainSale = try #require(order.salesLines.first { $0.productId == CartTests.product })
        #expect(giftSale.deliveryMode == "EXP" && giftSale.shippingAddress == Self.california)
        #expect(plainSale.deliveryMode == "STD" && plainSale.shippingAddress == nil)
        #expect(try await f.run(GetSalesOrderRequest(salesOrderId: order.id), caller: .application(id: "erp")) == order)
        await f.database.close()
    }

    @Test("a cart to deliver needs an address with a country; an empty mode clears a line's own delivery", arguments: Backend.allCases)
    func checks(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let cart = try await f.cart(quantity: 1)
        let moded = try await f.run(UpdateCartRequest(cartId: cart.id, deliveryMode: "EXP"))
        await #expect { try await f.run(f.pay(moded)) } throws: { ($0 as? CommerceError)?.code == "ShippingAddressRequired" }
        #expect(try await f.available(CartTests.product) == 5)
        #expect(try await f.count("sales_orders") == 0)

        let line = try #require(moded.cartLines.first)
        let own = try await f.run(UpdateCartLinesRequest(cartId: cart.id, cartLines: [
            CartLineUpdate(lineId: line.lineId, deliveryMode: "STD", shippingAddress: Self.california),
        ]))
        #expect(own.cartLines.first?.deliveryMode == "STD")
        let cleared = try await f.run(UpdateCartLinesRequest(cartId: cart.id, cartLines: [CartLineUpdate(lineId: line.lineId, deliveryMode: "")]))
        #expect(cleared.cartLines.first?.deliveryMode == nil && cleared.cartLines.first?.shippingAddress == nil)
        #expect(cleared.cartLines.first?.quantity == 1)
        // Clearing the cart's mode: nothing to deliver, so no address is needed.
        let pickup = try await f.run(UpdateCartRequest(cartId: cart.id, deliveryMode: ""))
        #expect(pickup.deliveryMode == nil)
        #expect(try await f.run(f.pay(pickup)).deliveryMode == nil)
        await f.database.close()
    }
}
