import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Testing

/// A cart worked out by hand: what is in the database, what goes in the cart, and the amounts.
///
/// `lines` are "price discount tax total" per cart line in the order added; `totals` are
/// "subtotal discount tax total" of the cart. The arithmetic is in the comments (and for many in
/// docs/pricing.md). Channel P1 unless said: prices exclude tax, WA's 10% applies.
struct PricingExample: Sendable, CustomTestStringConvertible {
    var name: String
    var channel = "P1"
    var setup: [PricingSetup] = []
    var cart: [(product: Int64, quantity: String)]
    var codes: [String] = []
    var customer: String?
    var state: String?
    var lines: [String]
    var totals: String

    var testDescription: String { name }
}

typealias F = PricingFixture

let pricingExamples: [PricingExample] = [
    // 2 x 20.00 = 40.00; tax 10% = 4.00.
    PricingExample(name: "01 no discount, 10% tax", cart: [(F.shirtA, "2")], lines: ["20 0 4 44"], totals: "40 0 4 44"),
    // Shirts 10%: 40.00 -> 4.00 off, tax 3.60; jeans are not shirts.
    PricingExample(
        name: "02 simple percentage on a category", setup: [.offer("S10", .simple, .bestPrice, percent: "10", lines: [.category(F.shirts)])],
        cart: [(F.shirtA, "2"), (F.jeans, "1")], lines: ["20 4 3.60 39.60", "50 0 5 55"], totals: "90 4 8.60 94.60"
    ),
    // 3.00 off each of 3 units.
    PricingExample(
        name: "03 simple amount off per unit", setup: [.offer("S3", .simple, .bestPrice, amount: "3", lines: [.product(F.shirtB)])],
        cart: [(F.shirtB, "3")], lines: ["30 9 8.10 89.10"], totals: "90 9 8.10 89.10"
    ),
    // Sold at 79.99: 20.01 off; tax 7.999 -> 8.00.
    PricingExample(
        name: "04 simple deal price", setup: [.offer("D", .simple, .bestPrice, deal: "79.99", lines: [.product(F.headphones)])],
        cart: [(F.headphones, "1")], lines: ["100 20.01 8 87.99"], totals: "100 20.01 8 87.99"
    ),
    // Clothing covers Shirts below it: 20% of 20.00 and of 50.00.
    PricingExample(
        name: "05 an offer on a category covers its subcategories",
        setup: [.offer("C20", .simple, .compounded, percent: "20", lines: [.category(F.clothing)])],
        cart: [(F.shirtA, "1"), (F.jeans, "1"), (F.headphones, "1")], lines: ["20 4 1.60 17.60", "50 10 4 44", "100 0 10 110"],
        totals: "170 14 15.60 171.60"
    ),
    PricingExample(
        name: "06 a variant gets its master's offer", setup: [.offer("HALF", .simple, .bestPrice, percent: "50", lines: [.product(F.poloMaster)])],
        cart: [(F.poloRed, "1")], lines: ["25 12.50 1.25 13.75"], totals: "25 12.50 1.25 13.75"
    ),
    // 20% from 3 shirts: 2 are not enough.
    PricingExample(
        name: "07 quantity offer below its quantity",
        setup: [.offer("Q3", .quantity, .bestPrice, percent: "20", lines: [.category(F.shirts, quantity: 3)])],
        cart: [(F.shirtA, "2")], lines: ["20 0 4 44"], totals: "40 0 4 44"
    ),
    // 2 + 1 shirts of two products make 3: 20% off every unit (8.00 and 6.00).
    PricingExample(
        name: "08 quantity offer counts units over lines",
        setup: [.offer("Q3", .quantity, .bestPrice, percent: "20", lines: [.category(F.shirts, quantity: 3)])],
        cart: [(F.shirtA, "2"), (F.shirtB, "1")], lines: ["20 8 3.20 35.20", "30 6 2.40 26.40"], totals: "70 14 5.60 61.60"
    ),
    // From 2 headphones each costs 80.00: 2 x 20.00 off.
    PricingExample(
        name: "09 quantity offer at a unit price", setup: [.offer("Q2", .quantity, .bestPrice, deal: "80", lines: [.product(F.headphones, quantity: 2)])],
        cart: [(F.headphones, "2")], lines: ["100 40 16 176"], totals: "200 40 16 176"
    ),
    // Headphones + cable for 99.00: 11.00 off shared by value, 10.00 and 1.00.
    PricingExample(
        name: "10 mix and match at a deal price",
        setup: [.offer("MM", .mixAndMatch, .bestPrice, deal: "99", lines: [.product(F.headphones, group: "A", quantity: 1), .product(F.cable, group: "B", quantity: 1)])],
        cart: [(F.headphones, "1"), (F.cable, "1")], lines: ["100 10 9 99", "10 1 0.90 9.90"], totals: "110 11 9.90 108.90"
    ),
    // One set only: the second headphone pays full price (200 - 10 = 190, tax 19.00).
    PricingExample(
        name: "11 mix and match leaves extra units at full price",
        setup: [.offer("MM", .mixAndMatch, .bestPrice, deal: "99", lines: [.product(F.headphones, group: "A", quantity: 1), .product(F.cable, group: "B", quantity: 1)])],
        cart: [(F.headphones, "2"), (F.cable, "1")], lines: ["100 10 19 209", "10 1 0.90 9.90"], totals: "210 11 19.90 218.90"
    ),
    // Any 3 clothes for 90.01: 9.99 off 100.00. Shares 1.998, 2.997, 4.995 round down to 1.99,
    // 2.99, 4.99; the 0.02 left go to the largest remainders (shirt A .008, shirt B .007).
    PricingExample(
        name: "12 mix and match shares a rounding remainder",
        setup: [.offer("MM3", .mixAndMatch, .bestPrice, deal: "90.01", lines: [.category(F.clothing, group: "A", quantity: 3)])],
        cart: [(F.shirtA, "1"), (F.shirtB, "1"), (F.jeans, "1")], lines: ["20 2 1.80 19.80", "30 3 2.70 29.70", "50 4.99 4.50 49.51"],
        totals: "100 9.99 9 99.01"
    ),
    // 2 shirts + jeans: 15.00 off a set. Sets: (2 x shirt B + jeans), (2 x shirt A + jeans);
    // 30.00 shared by value 40 : 60 : 100 = 6, 9, 15.
    PricingExample(
        name: "13 mix and match amount off, two sets",
        setup: [.offer("MMA", .mixAndMatch, .bestPrice, amount: "15", lines: [.category(F.shirts, group: "A", quantity: 2), .product(F.jeans, group: "B", quantity: 1)])],
        cart: [(F.shirtA, "2"), (F.shirtB, "2"), (F.jeans, "2")], lines: ["20 6 3.40 37.40", "30 9 5.10 56.10", "50 15 8.50 93.50"],
        totals: "200 30 17 187"
    ),
    PricingExample(
        name: "14 threshold: spend 100.00, save 10.00", setup: [.offer("T", .threshold, .compounded, amount: "10", threshold: "100")],
        cart: [(F.jeans, "2")], lines: ["50 10 9 99"], totals: "100 10 9 99"
    ),
    PricingExample(
        name: "15 threshold not reached", setup: [.offer("T", .threshold, .compounded, amount: "10", threshold: "100")],
        cart: [(F.jeans, "1"), (F.shirtA, "2")], lines: ["50 0 5 55", "20 0 4 44"], totals: "90 0 9 99"
    ),
    // Shirts take 10% best price; those units are closed, so only the jeans' 50.00 count.
    PricingExample(
        name: "16 threshold counts only what other offers leave open to it",
        setup: [.offer("S10", .simple, .bestPrice, percent: "10", lines: [.category(F.shirts)]), .offer("T", .threshold, .compounded, amount: "10", threshold: "100")],
        cart: [(F.shirtB, "2"), (F.jeans, "1")], lines: ["30 6 5.40 59.40", "50 0 5 55"], totals: "110 6 10.40 114.40"
    ),
    // 10% of 50.05 = 5.005 -> 5.01, shared 2.001998, 3.002997, 0.005005 -> 2.00, 3.00, 0.00 and
    // the cent left to the sticker (largest remainder).
    PricingExample(
        name: "17 threshold percentage: 0.005 rounds up and is shared",
        setup: [.offer("T10", .threshold, .compounded, percent: "10", threshold: "50")],
        cart: [(F.shirtA, "1"), (F.shirtB, "1"), (F.sticker, "1")], lines: ["20 2 1.80 19.80", "30 3 2.70 29.70", "0.05 0.01 0 0.04"],
        totals: "50.05 5.01 4.50 49.54"
    ),
    // 10% then 20% of the remaining 90.00 = 28.00.
    PricingExample(
        name: "18 compounded offers compound",
        setup: [.offer("C1", .simple, .compounded, percent: "10"), .offer("C2", .simple, .compounded, percent: "20")],
        cart: [(F.headphones, "1")], lines: ["100 28 7.20 79.20"], totals: "100 28 7.20 79.20"
    ),
    PricingExample(
        name: "19 best price: the larger of two",
        setup: [.offer("B10", .simple, .bestPrice, percent: "10", lines: [.product(F.headphones)]), .offer("B15", .simple, .bestPrice, percent: "15", lines: [.product(F.headphones)])],
        cart: [(F.headphones, "1")], lines: ["100 15 8.50 93.50"], totals: "100 15 8.50 93.50"
    ),
    // 10% + 20% compounded (28.00) beat 25% best price on the headphones.
    PricingExample(
        name: "20 compounded offers together beat a best-price offer",
        setup: [
            .offer("B25", .simple, .bestPrice, percent: "25", lines: [.product(F.headphones)]),
            .offer("C1", .simple, .compounded, percent: "10"), .offer("C2", .simple, .compounded, percent: "20"),
        ],
        cart: [(F.headphones, "1"), (F.shirtA, "1")], lines: ["100 28 7.20 79.20", "20 5.60 1.44 15.84"], totals: "120 33.60 8.64 95.04"
    ),
    // 35% beats 28% on the headphones; the shirt still gets 10% + 20%.
    PricingExample(
        name: "21 best price wins its own line, compounded the others",
        setup: [
            .offer("B35", .simple, .bestPrice, percent: "35", lines: [.product(F.headphones)]),
            .offer("C1", .simple, .compounded, percent: "10"), .offer("C2", .simple, .compounded, percent: "20"),
        ],
        cart: [(F.headphones, "1"), (F.shirtA, "1")], lines: ["100 35 6.50 71.50", "20 5.60 1.44 15.84"], totals: "120 40.60 7.94 87.34"
    ),
    PricingExample(
        name: "22 exclusive goes first, even when smaller",
        setup: [.offer("X10", .simple, .exclusive, percent: "10", lines: [.product(F.headphones)]), .offer("B30", .simple, .bestPrice, percent: "30", lines: [.product(F.headphones)])],
        cart: [(F.headphones, "1")], lines: ["100 10 9 99"], totals: "100 10 9 99"
    ),
    PricingExample(
        name: "23 higher priority first",
        setup: [
            .offer("H", .simple, .bestPrice, priority: 5, percent: "10", lines: [.product(F.shirtA)]),
            .offer("L", .simple, .bestPrice, priority: 1, percent: "50", lines: [.product(F.shirtA)]),
        ],
        cart: [(F.shirtA, "1")], lines: ["20 2 1.80 19.80"], totals: "20 2 1.80 19.80"
    ),
    // Priority 5: 10%. Priority 1: the compounded 10% of 90.00 = 9.00 adds; the 50% best price
    // cannot take units that already have a discount.
    PricingExample(
        name: "24 compounded offers compound across priorities, best price does not",
        setup: [
            .offer("P5", .simple, .compounded, priority: 5, percent: "10", lines: [.product(F.headphones)]),
            .offer("P1C", .simple, .compounded, priority: 1, percent: "10", lines: [.product(F.headphones)]),
            .offer("P1B", .simple, .bestPrice, priority: 1, percent: "50", lines: [.product(F.headphones)]),
        ],
        cart: [(F.headphones, "1")], lines: ["100 19 8.10 89.10"], totals: "100 19 8.10 89.10"
    ),
    PricingExample(
        name: "25 an offer with a code needs the code", setup: [.offer("SPRING", .simple, .compounded, percent: "10", code: "SPRING")],
        cart: [(F.shirtA, "1")], lines: ["20 0 2 22"], totals: "20 0 2 22"
    ),
    PricingExample(
        name: "26 the code gives its offer", setup: [.offer("SPRING", .simple, .compounded, percent: "10", code: "SPRING")],
        cart: [(F.shirtA, "1")], codes: ["SPRING"], lines: ["20 2 1.80 19.80"], totals: "20 2 1.80 19.80"
    ),
    PricingExample(
        name: "27 an offer past its end date gives nothing", setup: [.offer("OLD", .simple, .bestPrice, percent: "10", validTo: 1_600_000_000_000)],
        cart: [(F.shirtA, "1")], lines: ["20 0 2 22"], totals: "20 0 2 22"
    ),
    // The channel's price group WEB pays 18.00; then 10% off 36.00.
    PricingExample(
        name: "28 price group trade agreement, then a discount",
        setup: [.price(F.shirtA, "18", account: "Group", relation: "WEB"), .offer("S10", .simple, .bestPrice, percent: "10", lines: [.category(F.shirts)])],
        cart: [(F.shirtA, "2")], lines: ["18 3.60 3.24 35.64"], totals: "36 3.60 3.24 35.64"
    ),
    PricingExample(
        name: "29 quantity breaks: from 10 units",
        setup: [.price(F.shirtB, "25", fromQuantity: 5), .price(F.shirtB, "22", fromQuantity: 10)],
        cart: [(F.shirtB, "10")], lines: ["22 0 22 242"], totals: "220 0 22 242"
    ),
    PricingExample(
        name: "30 the lowest applicable price: the customer's own",
        setup: [
            .price(F.shirtA, "18", account: "Group", relation: "WEB"), .price(F.shirtA, "16", account: "Group", relation: "VIP"),
            .price(F.shirtA, "15", account: "Table", relation: F.customer), .price(F.shirtA, "12", account: "Table", relation: "someone else"),
        ],
        cart: [(F.shirtA, "1")], customer: F.customer, lines: ["15 0 1.50 16.50"], totals: "15 0 1.50 16.50"
    ),
    PricingExample(
        name: "31 an expired trade agreement is ignored", setup: [.price(F.shirtA, "10", validTo: 1_600_000_000_000)],
        cart: [(F.shirtA, "1")], lines: ["20 0 2 22"], totals: "20 0 2 22"
    ),
    // VAT inside the price: 100 - 100 / 1.2 = 16.666... -> 16.67.
    PricingExample(name: "32 price-inclusive channel", channel: "P2", cart: [(F.headphones, "1")], lines: ["100 0 16.67 100"], totals: "100 0 16.67 100"),
    // 90.00 with VAT inside: 90 - 75 = 15.00.
    PricingExample(
        name: "33 price-inclusive with a discount", channel: "P2", setup: [.offer("B10", .simple, .bestPrice, percent: "10", lines: [.product(F.headphones)])],
        cart: [(F.headphones, "1")], lines: ["100 10 15 90"], totals: "100 10 15 90"
    ),
    // 2.97 - 2.97 / 1.05 = 0.1414... -> 0.14.
    PricingExample(name: "34 price-inclusive reduced rate", channel: "P2", cart: [(F.apple, "3")], lines: ["0.99 0 0.14 2.97"], totals: "2.97 0 0.14 2.97"),
    // 10% of 0.05 = 0.005 -> 0.01 off; tax 10% of 0.04 = 0.004 -> 0.00.
    PricingExample(
        name: "35 a 0.005 discount rounds up", setup: [.offer("B10", .simple, .bestPrice, percent: "10", lines: [.product(F.sticker)])],
        cart: [(F.sticker, "1")], lines: ["0.05 0.01 0 0.04"], totals: "0.05 0.01 0 0.04"
    ),
    // Each line's 0.005 tax rounds to 0.01; the header adds the rounded lines: 0.02, not 0.01.
    PricingExample(
        name: "36 tax is rounded per line, then summed", cart: [(F.sticker, "1"), (F.eraser, "1")], lines: ["0.05 0 0.01 0.06", "0.05 0 0.01 0.06"],
        totals: "0.10 0 0.02 0.12"
    ),
    // Yen: 10% of 15,005 = 1,500.5 -> 1,501; tax 10% of 13,504 = 1,350.4 -> 1,350.
    PricingExample(
        name: "37 yen has no decimals", channel: "P3",
        setup: [.price(F.headphones, "15005", currency: "JPY"), .offer("B10", .simple, .bestPrice, percent: "10", lines: [.product(F.headphones)])],
        cart: [(F.headphones, "1")], lines: ["15005 1501 1350 14854"], totals: "15005 1501 1350 14854"
    ),
    // 10% off everything with a code; the gift card is tax exempt.
    PricingExample(
        name: "38 many lines with one code", setup: [.offer("SAVE", .simple, .compounded, percent: "10", code: "SAVE")],
        cart: [(F.shirtA, "1"), (F.shirtB, "2"), (F.jeans, "1"), (F.headphones, "1"), (F.cable, "3"), (F.giftCard, "1")], codes: ["SAVE"],
        lines: ["20 2 1.80 19.80", "30 6 5.40 59.40", "50 5 4.50 49.50", "100 10 9 99", "10 3 2.70 29.70", "50 5 0 45"],
        totals: "310 31 23.40 302.40"
    ),
    // California's 7.25% of 50.00 = 3.625 -> 3.63.
    PricingExample(name: "39 delivery to California", cart: [(F.jeans, "1")], state: "CA", lines: ["50 0 3.63 53.63"], totals: "50 0 3.63 53.63"),
    PricingExample(name: "40 a tax-exempt item", cart: [(F.giftCard, "1")], lines: ["50 0 0 50"], totals: "50 0 0 50"),
    PricingExample(
        name: "41 an amount off never takes a line below zero", setup: [.offer("A30", .simple, .bestPrice, amount: "30", lines: [.product(F.shirtA)])],
        cart: [(F.shirtA, "1")], lines: ["20 20 0 0"], totals: "20 20 0 0"
    ),
    PricingExample(
        name: "42 a fractional quantity", setup: [.offer("S10", .simple, .bestPrice, percent: "10", lines: [.category(F.shirts)])],
        cart: [(F.shirtA, "1.5")], lines: ["20 3 2.70 29.70"], totals: "30 3 2.70 29.70"
    ),
    PricingExample(
        name: "43 an exclusive mix and match shuts out a best-price offer",
        setup: [
            .offer("MMX", .mixAndMatch, .exclusive, deal: "99", lines: [.product(F.headphones, group: "A", quantity: 1), .product(F.cable, group: "B", quantity: 1)]),
            .offer("B50", .simple, .bestPrice, percent: "50", lines: [.product(F.cable)]),
        ],
        cart: [(F.headphones, "1"), (F.cable, "1")], lines: ["100 10 9 99", "10 1 0.90 9.90"], totals: "110 11 9.90 108.90"
    ),
    PricingExample(name: "44 food is untaxed in WA", cart: [(F.apple, "1")], lines: ["0.99 0 0 0.99"], totals: "0.99 0 0 0.99"),
    // 15% on the headphones (15.00) beats the 11.00 of the set; the set then lacks headphones.
    PricingExample(
        name: "45 best price between a simple offer and a mix and match",
        setup: [
            .offer("MM", .mixAndMatch, .bestPrice, deal: "99", lines: [.product(F.headphones, group: "A", quantity: 1), .product(F.cable, group: "B", quantity: 1)]),
            .offer("B15", .simple, .bestPrice, percent: "15", lines: [.product(F.headphones)]),
        ],
        cart: [(F.headphones, "1"), (F.cable, "1")], lines: ["100 15 8.50 93.50", "10 0 1 11"], totals: "110 15 9.50 104.50"
    ),
]

@Suite("Pricing worked examples", .serialized)
struct PricingExampleTests {
    static let cases: [(PricingExample, Backend)] = pricingExamples.flatMap { example in Backend.allCases.map { (example, $0) } }

    @Test("worked example", arguments: cases)
    func example(_ example: PricingExample, _ backend: Backend) async throws {
        let (database, runtime) = try await PricingFixture.open(backend)
        try await database.withTransaction(.write) { tx in
            for step in example.setup { try await step.run(tx) }
        }
        let channel = try runtime.channel(orgUnitNumber: example.channel)
        let caller: Caller = example.customer == nil ? .anonymous : .application(id: "test")
        var cart = try await runtime.execute(
            CreateCartRequest(
                customerId: example.customer, shippingAddress: example.state.map { Address(state: $0, threeLetterISORegionName: "USA") },
                cartLines: example.cart.map { CartLineInput(productId: $0.product, quantity: PricingFixture.decimal($0.quantity)) }
            ),
            channel: channel, caller: caller
        )
        for code in example.codes {
            cart = try await runtime.execute(AddDiscountCodeRequest(cartId: cart.id, discountCode: code, cartVersion: cart.version), channel: channel, caller: caller)
        }
        let got = cart.cartLines.map { Self.format([$0.price, $0.discountAmount, $0.taxAmount, $0.totalAmount]) }
        #expect(got == example.lines.map(Self.normalized), "\(example.name)")
        #expect(Self.format([cart.subtotalAmount, cart.discountAmount, cart.taxAmount, cart.totalAmount]) == Self.normalized(example.totals), "\(example.name)")
        // The header is the sum of the lines, and a recalculation gives the same cart.
        #expect(cart.totalAmount == cart.cartLines.reduce(0) { $0 + $1.totalAmount })
        let again = try await runtime.execute(CalculateCartTotalsRequest(cartId: cart.id), channel: channel, caller: caller)
        #expect(again == cart)
        await database.close()
    }

    static func format(_ amounts: [Decimal]) -> String { amounts.map { "\($0)" }.joined(separator: " ") }

    /// "20 4 3.60 39.60" as Decimal prints it ("20 4 3.6 39.6"), so examples can be written as on a receipt.
    static func normalized(_ text: String) -> String {
        format(text.split(separator: " ").map { PricingFixture.decimal(String($0)) })
    }

    @Test("there are at least 30 worked examples, with distinct names")
    func count() {
        #expect(pricingExamples.count >= 30)
        #expect(Set(pricingExamples.map(\.name)).count == pricingExamples.count)
    }
}
