import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Testing

/// Discount codes on carts through the real runtime on both backends, with the demo data.
@Suite("Discount codes")
struct DiscountCodeTests {
    /// Demo product 2: 38.69 online, 18 in stock, no automatic discount.
    static let product: Int64 = DemoData.firstProductId + 1

    @Test("each refused code leaves the cart as it was; removing restores the price", arguments: Backend.allCases)
    func refusals(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let now = PricingHandlers.currentInstant()
        try await f.database.withTransaction(.write) { tx in
            try await tx.execute("INSERT INTO discount_codes (code, offer_id, valid_from) VALUES ('LATER', 'OFFER-SAVE10', ?)", [.integer(now + 86_400_000)])
            try await tx.execute("INSERT INTO discount_codes (code, offer_id, usage_limit, usage_count) VALUES ('USED', 'OFFER-SAVE10', 2, 2)", [])
            // An offer that runs in no channel.
            try await tx.execute(
                "INSERT INTO discounts (offer_id, name, discount_type, concurrency_mode, percent_off, requires_code) VALUES ('ELSEWHERE', 'x', 'Simple', 'Compounded', ?, 1)",
                [try .decimal(5)]
            )
            try await tx.execute("INSERT INTO discount_codes (code, offer_id) VALUES ('OTHERSHOP', 'ELSEWHERE')", [])
        }
        let cart = try await f.cart(Self.product, quantity: 2)
        for (code, expected) in [
            ("NOPE", "DiscountCodeNotFound"), ("SUMMER24", "DiscountCodeExpired"), ("LATER", "DiscountCodeNotYetValid"),
            ("USED", "DiscountCodeExhausted"), ("OTHERSHOP", "DiscountCodeNotApplicable"), ("", "InvalidDiscountCode"),
        ] {
            await #expect { try await f.run(AddDiscountCodeRequest(cartId: cart.id, discountCode: code, cartVersion: cart.version)) } throws: {
                ($0 as? CommerceError)?.code == expected
            }
        }
        #expect(try await f.run(GetCartRequest(cartId: cart.id)) == cart)

        // 10% of 77.38 = 7.738 -> 7.74; WA 6.5% of 69.64 = 4.5266 -> 4.53.
        let saved = try await f.run(AddDiscountCodeRequest(cartId: cart.id, discountCode: " SAVE10 ", cartVersion: cart.version))
        #expect(saved.discountCodes == ["SAVE10"] && saved.version == cart.version + 1)
        #expect(saved.discountAmount == Decimal(string: "7.74") && saved.taxAmount == Decimal(string: "4.53") && saved.totalAmount == Decimal(string: "74.17"))
        // Adding it again changes no amount.
        let twice = try await f.run(AddDiscountCodeRequest(cartId: cart.id, discountCode: "SAVE10"))
        #expect(twice.discountCodes == ["SAVE10"] && twice.totalAmount == saved.totalAmount)
        await #expect { try await f.run(RemoveDiscountCodesRequest(cartId: cart.id, discountCodes: ["WELCOME20"])) } throws: {
            ($0 as? CommerceError)?.code == "DiscountCodeNotOnCart"
        }
        await #expect { try await f.run(RemoveDiscountCodesRequest(cartId: cart.id, discountCodes: ["SAVE10"], cartVersion: 1)) } throws: {
            ($0 as? CommerceError)?.kind == .preconditionFailed
        }
        let removed = try await f.run(RemoveDiscountCodesRequest(cartId: cart.id, discountCodes: ["SAVE10"]))
        #expect(removed.discountCodes.isEmpty && removed.discountAmount == 0 && removed.totalAmount == cart.totalAmount)
        await f.database.close()
    }

    @Test("a code with 3 uses left gives exactly 3 of 8 concurrent checkouts", arguments: Backend.allCases)
    func usageLimitUnderConcurrency(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        _ = try await f.database.withTransaction(.write) { tx in
            try await tx.execute("UPDATE discount_codes SET usage_limit = 5, usage_count = 2 WHERE code = 'WELCOME20'", [])
        }
        var carts: [Cart] = []
        for _ in 0..<8 {
            let cart = try await f.cart(Self.product)
            carts.append(try await f.run(AddDiscountCodeRequest(cartId: cart.id, discountCode: "WELCOME20", cartVersion: cart.version)))
        }
        // 38.69 - 20% (7.738 -> 7.74) = 30.95, tax 6.5% = 2.01175 -> 2.01.
        #expect(carts.allSatisfy { $0.totalAmount == Decimal(string: "32.96") })
        let outcomes = await withTaskGroup(of: String.self) { group in
            for cart in carts {
                group.addTask {
                    do {
                        _ = try await f.run(f.pay(cart))
                        return "ordered"
                    } catch let error as CommerceError {
                        return error.code
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "ordered" }.count == 3, "\(outcomes)")
        #expect(outcomes.filter { $0 == "DiscountCodeExhausted" }.count == 5, "\(outcomes)")
        let used = try await f.database.withTransaction(.read) { try await PricingStore($0).discountCode("WELCOME20") }
        #expect(used?.usageCount == 5)
        #expect(try await f.count("sales_orders") == 3)
        #expect(try await f.count("payments") == 3)
        // The refused carts are still there with their code.
        #expect(try await f.count("cart_discount_codes") == 5)
        await f.database.close()
    }

    @Test("the demo's automatic discounts: one of each kind")
    func demoOffers() async throws {
        let f = try await CartTests.fixture(.sqlite)
        // Standalone product i is in leaf category i % 20: 3 shoes, 5 headphones, 6 speakers, 9 cables, 15 tents.
        let id = { (index: Int64) in DemoData.firstProductId + index }
        let cart = try await f.run(CreateCartRequest(cartLines: [
            CartLineInput(productId: id(5), quantity: 1), CartLineInput(productId: id(3), quantity: 2), CartLineInput(productId: id(23), quantity: 1),
            CartLineInput(productId: id(6), quantity: 1), CartLineInput(productId: id(9), quantity: 1), CartLineInput(productId: id(15), quantity: 1),
        ]))
        let offers = try await f.database.withTransaction(.read) { tx in
            try await PricingStore(tx).discountOffers(channelId: DemoData.onlineStoreId, codes: [], at: PricingHandlers.currentInstant())
        }
        #expect(Set(offers.map(\.kind)) == Set(DiscountOfferRecord.Kind.allCases))
        let discounted = cart.cartLines.filter { $0.discountAmount > 0 }.map(\.productId)
        #expect(discounted == [id(5), id(3), id(23), id(6), id(9), id(15)], "\(cart.cartLines.map(\.discountAmount))")
        await f.database.close()
    }
}
