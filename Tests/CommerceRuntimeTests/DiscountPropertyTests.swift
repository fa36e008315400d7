import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import PropertyBased
import Testing

/// Invariants of discounts and totals over generated carts and offers.
///
/// The engine's own properties run on many generated cases (it is pure); the cart properties
/// run through the runtime on both backends with the fixture's products and one offer of each
/// kind and mode.
@Suite("Discount properties")
struct DiscountPropertyTests {
    /// Lines from raw numbers: [product, quantity, price in cents]; six products in two categories.
    static func lines(_ raw: [[Int]]) -> [DiscountEngine.Line] {
        raw.enumerated().map { index, numbers in
            DiscountEngine.Line(
                lineId: "L\(index)", productId: Int64(numbers[0] % 6 + 1), categoryIds: [Int64(numbers[0] % 2 + 100)],
                quantity: Decimal(numbers[1] % 5 + 1), price: Decimal(numbers[2] % 20_000 + 1) / 100
            )
        }
    }

    /// Offers from raw numbers: [kind, mode, priority, value kind, value, scope, quantity].
    static func offers(_ raw: [[Int]], simpleOnly: Bool) -> [DiscountOfferRecord] {
        raw.enumerated().map { index, n in
            let kind = simpleOnly ? .simple : DiscountOfferRecord.Kind.allCases[n[0] % 4]
            var offer = DiscountOfferRecord(
                offerId: "O\(index)", kind: kind, concurrency: DiscountOfferRecord.Concurrency.allCases[n[1] % 3], priority: n[2] % 3
            )
            switch (n[3] % 3, kind) {
            case (0, _), (2, .threshold): offer.percentOff = Decimal(n[4] % 100 + 1)
            case (1, _): offer.amountOff = Decimal(n[4] % 5_000 + 1) / 100
            default: offer.dealPrice = Decimal(n[4] % 20_000) / 100
            }
            if kind == .threshold { offer.thresholdAmount = Decimal(n[4] % 300) }
            let quantity = Decimal(n[6] % 3 + 1)
            let scope: DiscountLineRecord? = switch n[5] % 8 {
            case 0: nil
            case 7: DiscountLineRecord(categoryId: 100, quantity: quantity)
            default: DiscountLineRecord(productId: Int64(n[5] % 8), quantity: quantity)
            }
            if kind == .mixAndMatch {
                var first = scope ?? DiscountLineRecord(categoryId: 101, quantity: quantity)
                first.mixMatchGroup = "A"
                offer.lines = [first, DiscountLineRecord(productId: Int64((n[5] + 1) % 6 + 1), mixMatchGroup: "B", quantity: 1)]
            } else {
                offer.lines = scope.map { [$0] } ?? []
            }
            return offer
        }
    }

    static let lineGenerator = Gen.int(in: 0...100_000).array(of: 3).array(of: 1...8)
    static let offerGenerator = Gen.int(in: 0...100_000).array(of: 7).array(of: 0...7)

    static func amounts(_ lines: [DiscountEngine.Line], _ offers: [DiscountOfferRecord]) -> [String: Decimal] {
        let discounts = DiscountEngine.calculate(lines: lines, offers: offers, currency: "USD", decimals: 2)
        var result: [String: Decimal] = [:]
        for (line, discount) in zip(lines, discounts) {
            result[line.lineId] = (line.price * line.quantity).rounded(toDecimals: 2) - discount.discountAmount
        }
        return result
    }

    @Test("a discount is never negative and never more than its line; the offers' order does not matter")
    func boundedAndDeterministic() async {
        await propertyCheck(count: 300, input: Self.lineGenerator, Self.offerGenerator) { rawLines, rawOffers in
            let lines = Self.lines(rawLines)
            let offers = Self.offers(rawOffers, simpleOnly: false)
            let discounts = DiscountEngine.calculate(lines: lines, offers: offers, currency: "USD", decimals: 2)
            #expect(discounts.map(\.lineId) == lines.map(\.lineId))
            for (line, discount) in zip(lines, discounts) {
                #expect(discount.discountAmount >= 0)
                #expect(discount.discountAmount <= (line.price * line.quantity).rounded(toDecimals: 2))
                #expect(discount.discountAmount.rounded(toDecimals: 2) == discount.discountAmount)
            }
            #expect(DiscountEngine.calculate(lines: lines, offers: offers.reversed(), currency: "USD", decimals: 2) == discounts)
        }
    }

    /// Line-local offers (simple ones, in any mode and priority): removing a line never raises
    /// what another line costs. Offers that count over lines (quantity, mix and match,
    /// threshold) can, by design: without the jeans a shirt no longer completes a set
    /// (docs/pricing.md, "Removing a line").
    @Test("removing a line never raises the total of the others (simple offers)")
    func removingALine() async {
        await propertyCheck(count: 300, input: Self.lineGenerator, Self.offerGenerator) { rawLines, rawOffers in
            let lines = Self.lines(rawLines)
            let offers = Self.offers(rawOffers, simpleOnly: true)
            let before = Self.amounts(lines, offers)
            for removed in lines.indices {
                var fewer = lines
                fewer.remove(at: removed)
                for (id, amount) in Self.amounts(fewer, offers) {
                    #expect(amount <= (before[id] ?? 0), "removing line \(removed) raised \(id)")
                }
            }
        }
    }

    @Test("cart totals are the sums of their lines; no line is negative", arguments: Backend.allCases)
    func cartTotals(_ backend: Backend) async throws {
        let (database, runtime) = try await PricingFixture.open(backend)
        let products = PricingFixture.products.map(\.id).filter { $0 != PricingFixture.poloMaster }
        try await database.withTransaction(.write) { tx in
            for setup: PricingSetup in [
                .offer("SIMPLE", .simple, .bestPrice, percent: "15", lines: [.category(PricingFixture.shirts)]),
                .offer("COMPOUND", .simple, .compounded, amount: "0.35"),
                .offer("QUANTITY", .quantity, .bestPrice, deal: "8.5", lines: [.category(PricingFixture.electronics, quantity: 3)]),
                .offer("MIX", .mixAndMatch, .exclusive, priority: 1, deal: "60", lines: [.category(PricingFixture.clothing, group: "A", quantity: 2), .product(PricingFixture.cable, group: "B", quantity: 1)]),
                .offer("THRESHOLD", .threshold, .compounded, percent: "7", threshold: "75"),
            ] {
                try await setup.run(tx)
            }
        }
        let channels = try ["P1", "P2"].map { try runtime.channel(orgUnitNumber: $0) }
        await propertyCheck(count: 12, input: Gen.int(in: 0...10).array(of: 1...8), Gen.int(in: 1...4).array(of: 8)) { picks, quantities in
            for channel in channels {
                let input = picks.enumerated().map { CartLineInput(productId: products[$1 % products.count], quantity: Decimal(quantities[$0 % quantities.count])) }
                do {
                    let cart = try await runtime.execute(CreateCartRequest(cartLines: input), channel: channel, caller: .anonymous)
                    #expect(cart.subtotalAmount == cart.cartLines.reduce(0) { $0 + $1.extendedPrice })
                    #expect(cart.discountAmount == cart.cartLines.reduce(0) { $0 + $1.discountAmount })
                    #expect(cart.taxAmount == cart.cartLines.reduce(0) { $0 + $1.taxAmount })
                    #expect(cart.totalAmount == cart.cartLines.reduce(0) { $0 + $1.totalAmount })
                    for line in cart.cartLines {
                        #expect(line.discountAmount >= 0 && line.discountAmount <= line.extendedPrice)
                        #expect(line.netAmountWithoutTax >= 0 && line.taxAmount >= 0 && line.totalAmount >= 0)
                        #expect(line.netAmountWithoutTax + line.taxAmount == line.totalAmount)
                    }
                } catch {
                    Issue.record("cart of \(picks) in \(channel.orgUnitNumber): \(error)")
                }
            }
        }
        await database.close()
    }
}
