import Foundation
import Testing

/// Discount codes over real HTTP against the real host with the demo data: `SAVE10` (10% off,
/// no limit), `WELCOME20` (20% off, one order), `SUMMER24` (expired).
@Suite("Discount codes end to end", .serialized)
struct DiscountCodeEndToEndTests {
    static let json = ["Content-Type": "application/json"]
    /// Demo product 2: 38.69 online, 18 in stock, in no category with an automatic discount.
    static let product: Int64 = 68_719_476_738

    struct CartBody: Decodable {
        var Id: String
        var Version: Int64
        var DiscountCodes: [String]
        var SubtotalAmount: Decimal
        var DiscountAmount: Decimal
        var TaxAmount: Decimal
        var TotalAmount: Decimal
        var AmountDue: Decimal
    }

    static func cart(_ result: HTTPResult) throws -> CartBody {
        do {
            return try JSONDecoder().decode(CartBody.self, from: result.body)
        } catch {
            throw HostError("\(result.status) \(result.text) is not a cart: \(error)")
        }
    }

    static func error(_ result: HTTPResult) -> (code: String?, target: String?) {
        let error = result.json?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["target"] as? String)
    }

    private func newCart(_ host: HostProcess) async throws -> CartBody {
        let created = try Self.cart(try await host.send("POST", "/Commerce/Carts", headers: Self.json, body: "{}"))
        let added = try await host.send(
            "POST", "/Commerce/Carts('\(created.Id)')/AddCartLines", headers: Self.json,
            body: #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":2}],"cartVersion":1}"#
        )
        #expect(added.status == 200, "\(added.text)")
        return try Self.cart(added)
    }

    private func addCode(_ host: HostProcess, _ cart: CartBody, _ code: String, version: Int64? = nil) async throws -> HTTPResult {
        try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/AddDiscountCode", headers: Self.json,
            body: #"{"discountCode":"\#(code)","cartVersion":\#(version ?? cart.Version)}"#
        )
    }

    private func checkout(_ host: HostProcess, _ cart: CartBody) async throws -> HTTPResult {
        try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json,
            body: """
                {"receiptEmail":"ann@example.com","cartVersion":\(cart.Version),
                 "cartTenderLines":[{"Amount":\(cart.AmountDue),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}
                """
        )
    }

    @Test("AddDiscountCode and RemoveDiscountCodes change the cart; bad codes are 4xx and change nothing")
    func addAndRemove() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        let cart = try await newCart(host)
        // 2 x 38.69 = 77.38, WA tax 6.5% = 5.03.
        #expect(cart.AmountDue == Decimal(string: "82.41"))

        let added = try await addCode(host, cart, "SAVE10")
        #expect(added.status == 200, "\(added.text)")
        #expect(added.header("ETag") == #"W/"3""#)
        let saved = try Self.cart(added)
        // 10% of 77.38 = 7.738 -> 7.74; tax 6.5% of 69.64 = 4.5266 -> 4.53; 69.64 + 4.53 = 74.17.
        #expect(saved.DiscountCodes == ["SAVE10"] && saved.Version == 3)
        #expect(saved.DiscountAmount == Decimal(string: "7.74") && saved.TaxAmount == Decimal(string: "4.53"))
        #expect(saved.TotalAmount == Decimal(string: "74.17") && saved.AmountDue == Decimal(string: "74.17"))
        #expect(added.text.contains(#""@odata.context":"#) && added.text.contains("Carts/$entity"))

        // Each refusal names its reason and leaves the cart at version 3.
        for (code, expected) in [("NOPE", "DiscountCodeNotFound"), ("SUMMER24", "DiscountCodeExpired")] {
            let refused = try await addCode(host, saved, code)
            #expect(refused.status == 422, "\(refused.text)")
            #expect(Self.error(refused).code == expected && Self.error(refused).target == "discountCode", "\(refused.text)")
        }
        let stale = try await addCode(host, saved, "SAVE10", version: 1)
        #expect(stale.status == 412 && Self.error(stale).code == "CartVersionConflict", "\(stale.text)")
        let missing = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/AddDiscountCode", headers: Self.json, body: #"{"cartVersion":3}"#)
        #expect(missing.status == 400, "\(missing.text)")
        let blank = try await addCode(host, saved, "  ")
        #expect(blank.status == 400 && Self.error(blank).code == "InvalidDiscountCode", "\(blank.text)")
        let unchanged = try Self.cart(try await host.get("/Commerce/Carts('\(cart.Id)')"))
        #expect(unchanged.Version == 3 && unchanged.DiscountCodes == ["SAVE10"] && unchanged.TotalAmount == saved.TotalAmount)

        let notOnCart = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/RemoveDiscountCodes", headers: Self.json, body: #"{"discountCodes":["WELCOME20"],"cartVersion":3}"#
        )
        #expect(notOnCart.status == 400 && Self.error(notOnCart).code == "DiscountCodeNotOnCart", "\(notOnCart.text)")
        let removed = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/RemoveDiscountCodes", headers: Self.json, body: #"{"discountCodes":["SAVE10"],"cartVersion":3}"#
        )
        #expect(removed.status == 200, "\(removed.text)")
        let plain = try Self.cart(removed)
        #expect(plain.DiscountCodes.isEmpty && plain.DiscountAmount == 0 && plain.AmountDue == Decimal(string: "82.41") && plain.Version == 4)

        let metadata = try await host.get("/Commerce/$metadata")
        #expect(metadata.text.contains(#"<Action Name="RemoveDiscountCodes" IsBound="true""#), "\(metadata.text.prefix(200))")
        #expect(await host.stop() == 0)
    }

    @Test("a code with one use left gives one order; the second checkout is 409 and keeps its cart")
    func usageLimit() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        var first = try await newCart(host)
        var second = try await newCart(host)
        for cart in [first, second] {
            let added = try await addCode(host, cart, "WELCOME20")
            #expect(added.status == 200, "\(added.text)")
        }
        first = try Self.cart(try await host.get("/Commerce/Carts('\(first.Id)')"))
        second = try Self.cart(try await host.get("/Commerce/Carts('\(second.Id)')"))
        // 20% of 77.38 = 15.476 -> 15.48; tax 6.5% of 61.90 = 4.0235 -> 4.02; 65.92.
        #expect(first.DiscountAmount == Decimal(string: "15.48") && first.AmountDue == Decimal(string: "65.92"))

        let ordered = try await checkout(host, first)
        #expect(ordered.status == 200, "\(ordered.text)")
        let refused = try await checkout(host, second)
        #expect(refused.status == 409 && Self.error(refused).code == "DiscountCodeExhausted", "\(refused.text)")
        let kept = try Self.cart(try await host.get("/Commerce/Carts('\(second.Id)')"))
        #expect(kept.Version == second.Version && kept.DiscountCodes == ["WELCOME20"])

        // Used up: a third cart cannot take it; without it the second cart checks out.
        let third = try await newCart(host)
        let exhausted = try await addCode(host, third, "WELCOME20")
        #expect(exhausted.status == 422 && Self.error(exhausted).code == "DiscountCodeExhausted", "\(exhausted.text)")
        let without = try Self.cart(try await host.send(
            "POST", "/Commerce/Carts('\(second.Id)')/RemoveDiscountCodes", headers: Self.json, body: #"{"discountCodes":["WELCOME20"]}"#
        ))
        #expect(without.AmountDue == Decimal(string: "82.41"))
        #expect(try await checkout(host, without).status == 200)
        #expect(await host.stop() == 0)
    }
}
