import ChannelDatabase
import Foundation
import Testing

@testable import CommerceRuntime

/// The runtime keeps offers and discount scopes between requests (``MasterDataCache``). These
/// tests change that master data behind its back, with plain SQL as a headquarters package
/// would, and check that the very next cart calculation sees each change.
@Suite("Master data cache")
struct MasterDataCacheTests {
    /// A standalone demo product in the headphones category, which OFFER-ELEC15 discounts 15%.
    static let headphones = DemoData.firstProductId + 5
    /// A standalone demo product in a category no offer without a code covers.
    static let undiscounted = DemoData.firstProductId + 4

    @Test("offers, their lines, their dates and product categories written between two calculations are seen by the second", arguments: Backend.allCases)
    func changesAreSeen(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let cart = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: Self.headphones, quantity: 1)]))
        let line = try #require(cart.cartLines.first)
        let price = line.extendedPrice
        #expect(line.discountAmount == (price * Decimal(string: "0.15")!).rounded(toDecimals: 2))

        func recalculated() async throws -> Decimal {
            try #require(try await f.run(CalculateCartTotalsRequest(cartId: cart.id)).cartLines.first).discountAmount
        }
        func write(_ sql: String, _ arguments: [DatabaseValue] = []) async throws {
            try await f.database.withTransaction(.write) { _ = try await $0.execute(sql, arguments) }
        }

        // The same answer twice in a row (the second from the cache).
        #expect(try await recalculated() == line.discountAmount)
        #expect(try await recalculated() == line.discountAmount)

        try await write("UPDATE discounts SET percent_off = ? WHERE offer_id = 'OFFER-ELEC15'", [try .decimal(30)])
        #expect(try await recalculated() == (price * Decimal(string: "0.30")!).rounded(toDecimals: 2))

        try await write("UPDATE discounts SET is_active = 0 WHERE offer_id = 'OFFER-ELEC15'")
        #expect(try await recalculated() == 0)
        try await write("UPDATE discounts SET is_active = 1 WHERE offer_id = 'OFFER-ELEC15'")
        #expect(try await recalculated() == (price * Decimal(string: "0.30")!).rounded(toDecimals: 2))

        // Dates are judged at each calculation, from what the cache holds.
        let now = PricingHandlers.currentInstant()
        try await write("UPDATE discounts SET valid_to = ? WHERE offer_id = 'OFFER-ELEC15'", [.integer(now - 60_000)])
        #expect(try await recalculated() == 0)
        try await write("UPDATE discounts SET valid_to = NULL, valid_from = ? WHERE offer_id = 'OFFER-ELEC15'", [.integer(now + 3_600_000)])
        #expect(try await recalculated() == 0)
        try await write("UPDATE discounts SET valid_from = NULL WHERE offer_id = 'OFFER-ELEC15'")
        #expect(try await recalculated() > 0)

        // The offer leaves the channel, then comes back.
        try await write("DELETE FROM channel_discounts WHERE offer_id = 'OFFER-ELEC15' AND channel_id = ?", [.integer(f.channel.recordId)])
        #expect(try await recalculated() == 0)
        try await write("INSERT INTO channel_discounts (channel_id, offer_id) VALUES (?, 'OFFER-ELEC15')", [.integer(f.channel.recordId)])
        #expect(try await recalculated() > 0)

        // The product moves to a category no offer covers, then an offer line covers that one.
        let undiscountedCategory = try #require(try await f.database.withTransaction(.read) {
            try await $0.queryFirst("SELECT category_id FROM product_categories WHERE product_id = ?", [.integer(Self.undiscounted)])?.int64("category_id")
        })
        try await write("UPDATE product_categories SET category_id = ? WHERE product_id = ?", [.integer(undiscountedCategory), .integer(Self.headphones)])
        #expect(try await recalculated() == 0)
        try await write(
            "INSERT INTO discount_lines (offer_id, line_number, category_id) VALUES ('OFFER-ELEC15', 2, ?)", [.integer(undiscountedCategory)]
        )
        #expect(try await recalculated() == (price * Decimal(string: "0.30")!).rounded(toDecimals: 2))
    }

    @Test("an offer behind a code follows its cached offer and the code's live validity and usage", arguments: Backend.allCases)
    func codedOffers(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let created = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: Self.undiscounted, quantity: 1)]))
        #expect(created.cartLines.first?.discountAmount == 0)
        let cart = try await f.run(AddDiscountCodeRequest(cartId: created.id, discountCode: DemoData.discountCode))
        let price = try #require(cart.cartLines.first).extendedPrice
        #expect(cart.cartLines.first?.discountAmount == (price * Decimal(string: "0.10")!).rounded(toDecimals: 2))

        func recalculated() async throws -> Decimal {
            try #require(try await f.run(CalculateCartTotalsRequest(cartId: cart.id)).cartLines.first).discountAmount
        }
        func write(_ sql: String, _ arguments: [DatabaseValue] = []) async throws {
            try await f.database.withTransaction(.write) { _ = try await $0.execute(sql, arguments) }
        }
        try await write("UPDATE discounts SET percent_off = ? WHERE offer_id = 'OFFER-SAVE10'", [try .decimal(40)])
        #expect(try await recalculated() == (price * Decimal(string: "0.40")!).rounded(toDecimals: 2))
        // The code is used up elsewhere (its count is not master data the cache watches).
        try await write("UPDATE discount_codes SET usage_limit = usage_count WHERE code = ?", [.text(DemoData.discountCode)])
        #expect(try await recalculated() == 0)
        try await write("UPDATE discount_codes SET usage_limit = NULL WHERE code = ?", [.text(DemoData.discountCode)])
        #expect(try await recalculated() == (price * Decimal(string: "0.40")!).rounded(toDecimals: 2))
    }

    @Test("a write that rolls back leaves the cached offers in use", arguments: Backend.allCases)
    func rolledBackWrite(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let cart = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: Self.headphones, quantity: 1)]))
        let discount = try #require(cart.cartLines.first).discountAmount
        #expect(discount > 0)
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await f.database.withTransaction(.write) { transaction in
                _ = try await transaction.execute("UPDATE discounts SET is_active = 0 WHERE offer_id = 'OFFER-ELEC15'", [])
                throw Abort()
            }
        }
        #expect(try await f.run(CalculateCartTotalsRequest(cartId: cart.id)).cartLines.first?.discountAmount == discount)
    }

    @Test("price lines, tax rates, tax groups and tax regions written between two calculations are seen by the second", arguments: Backend.allCases)
    func pricingChangesAreSeen(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let product = Self.undiscounted
        let cart = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: product, quantity: 1)]))
        let first = try #require(cart.cartLines.first)

        func recalculated() async throws -> CartLine {
            try #require(try await f.run(CalculateCartTotalsRequest(cartId: cart.id)).cartLines.first)
        }
        func write(_ sql: String, _ arguments: [DatabaseValue] = []) async throws {
            try await f.database.withTransaction(.write) { _ = try await $0.execute(sql, arguments) }
        }
        func taxed(_ line: CartLine, percent: String) -> Bool {
            line.taxAmount == (line.netAmountWithoutTax * Decimal(string: percent)! / 100).rounded(toDecimals: 2)
        }

        // The same answer twice in a row (the second from the cache): the online price group's
        // price, taxed at the channel's Washington rate.
        #expect(try await recalculated() == first)
        #expect(try await recalculated() == first)
        #expect(taxed(first, percent: "6.5") && first.taxAmount > 0)

        // Price lines: changed, added (the lowest price wins), expired, deleted.
        try await write("UPDATE price_lines SET amount = ? WHERE product_id = ?", [try .decimal(100), .integer(product)])
        #expect(try await recalculated().price == 100)
        try await write(
            "INSERT INTO price_lines (product_id, account_code, account_relation, currency_code, from_quantity, amount) VALUES (?, 'All', NULL, 'USD', 0, ?)",
            [.integer(product), try .decimal(90)]
        )
        #expect(try await recalculated().price == 90)
        let now = PricingHandlers.currentInstant()
        try await write("UPDATE price_lines SET valid_to = ? WHERE product_id = ? AND account_code = 'All'", [.integer(now - 60_000), .integer(product)])
        #expect(try await recalculated().price == 100)
        try await write("DELETE FROM price_lines WHERE product_id = ?", [.integer(product)])
        let basePrice = try #require(try await f.database.withTransaction(.read) {
            try await $0.queryFirst("SELECT base_price FROM products WHERE record_id = ?", [.integer(product)])?.decimal("base_price")
        })
        #expect(try await recalculated().price == basePrice)

        // Tax rates and the item tax group's codes.
        try await write("UPDATE tax_rates SET rate_percent = ? WHERE tax_code = 'WA-STATE'", [try .decimal(10)])
        #expect(taxed(try await recalculated(), percent: "10"))
        try await write("DELETE FROM item_tax_groups WHERE item_tax_group = 'FULL' AND tax_code = 'WA-STATE'")
        #expect(try await recalculated().taxAmount == 0)
        try await write("INSERT INTO item_tax_groups (item_tax_group, tax_code) VALUES ('FULL', 'WA-STATE')")
        #expect(taxed(try await recalculated(), percent: "10"))

        // The delivery region picks the sales tax group: California's, then (after a change of
        // the region) Washington's, then none once that group has no tax code left.
        _ = try await f.run(UpdateCartRequest(cartId: cart.id, shippingAddress: Address(state: "CA", threeLetterISORegionName: "USA")))
        #expect(taxed(try await recalculated(), percent: "7.25"))
        try await write("UPDATE tax_regions SET sales_tax_group = 'WA' WHERE country_region_id = 'USA' AND state = 'CA'")
        #expect(taxed(try await recalculated(), percent: "10"))
        try await write("DELETE FROM sales_tax_groups WHERE sales_tax_group = 'WA'")
        #expect(try await recalculated().taxAmount == 0)
    }

    @Test("a product's base price and item tax group written between two calculations are seen by the second", arguments: Backend.allCases)
    func productChangesAreSeen(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let product = Self.undiscounted
        func write(_ sql: String, _ arguments: [DatabaseValue] = []) async throws {
            try await f.database.withTransaction(.write) { _ = try await $0.execute(sql, arguments) }
        }
        // Without price lines the product sells at its base price.
        try await write("DELETE FROM price_lines WHERE product_id = ?", [.integer(product)])
        let cart = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: product, quantity: 1)]))
        func recalculated() async throws -> CartLine {
            try #require(try await f.run(CalculateCartTotalsRequest(cartId: cart.id)).cartLines.first)
        }
        let first = try await recalculated()
        #expect(try await recalculated() == first)
        #expect(first.taxAmount > 0)

        try await write("UPDATE products SET base_price = ? WHERE record_id = ?", [try .decimal(Decimal(string: "123.45")!), .integer(product)])
        let repriced = try await recalculated()
        #expect(repriced.price == Decimal(string: "123.45")!)
        // Taxed at the channel's Washington rate on the new price.
        #expect(repriced.taxAmount == (Decimal(string: "123.45")! * Decimal(string: "6.5")! / 100).rounded(toDecimals: 2))
        #expect(repriced.taxAmount != first.taxAmount)
        try await write("UPDATE products SET item_tax_group = NULL WHERE record_id = ?", [.integer(product)])
        #expect(try await recalculated().taxAmount == 0)
    }
}
