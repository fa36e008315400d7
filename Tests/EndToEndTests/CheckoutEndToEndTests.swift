import ChannelDatabase
import Foundation
import Logging
import Synchronization
import Testing

/// The storefront journey over real HTTP against the real host: carts, checkout, orders.
@Suite("Checkout end to end", .serialized)
struct CheckoutEndToEndTests {
    /// Demo product 1: 5 in stock (2 east, 3 west), 5.39 online.
    static let lastUnitsProduct: Int64 = 68_719_476_737
    /// Demo product 2: 38.69 online, 18 in stock.
    static let product: Int64 = 68_719_476_738
    static let json = ["Content-Type": "application/json"]

    struct CartBody: Decodable {
        struct Line: Decodable {
            var LineId: String
            var ProductId: Int64
            var Quantity: Decimal
            var Price: Decimal
            var TotalAmount: Decimal
        }

        var Id: String
        var Version: Int64
        var CartLines: [Line]
        var TaxAmount: Decimal
        var TotalAmount: Decimal
        var AmountDue: Decimal
    }

    struct OrderBody: Decodable {
        var Id: String
        var SalesId: String
        var ChannelReferenceId: String
        var StatusValue: Int
        var TotalAmount: Decimal
        var ReceiptEmail: String?
    }

    static func decode<T: Decodable>(_ type: T.Type, _ result: HTTPResult) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: result.body)
        } catch {
            throw HostError("\(result.status) \(result.text) is not a \(T.self): \(error)")
        }
    }

    static func errorCode(_ result: HTTPResult) -> String? {
        (result.json?["error"] as? [String: Any])?["code"] as? String
    }

    /// A host on SQLite (or on `database` when given) whose configuration accepts one application
    /// key, granted the scope to read orders (order export).
    private func host(database: String? = nil) async throws -> (HostProcess, key: String, dataDir: String) {
        let made = try await HostProcess.run(["api-key", "erp-sync", "--scope", "orders"])
        #expect(made.status == 0)
        let lines = made.stdout.split(separator: "\n").map(String.init)
        let key = try #require(lines.dropFirst().first)
        let entry = try #require(lines.last { $0.hasPrefix("{") })
        let directory = try temporaryDirectory()
        let config = directory + "/host.json"
        try #"{"auth": {"applications": [\#(entry)]}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        var arguments = ["serve", "--demo", "--port", "0", "--data-dir", directory, "--config", config]
        if let database { arguments += ["--database", database] }
        return (try await HostProcess(arguments), key, directory)
    }

    private func newCart(_ host: HostProcess, product: Int64 = product, quantity: Int = 1) async throws -> CartBody {
        let created = try await host.send("POST", "/Commerce/Carts", headers: Self.json, body: "{}")
        #expect(created.status == 201, "\(created.text)")
        let cart = try Self.decode(CartBody.self, created)
        let added = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/AddCartLines", headers: Self.json,
            body: #"{"cartLines":[{"ProductId":\#(product),"Quantity":\#(quantity)}],"cartVersion":\#(cart.Version)}"#
        )
        #expect(added.status == 200, "\(added.text)")
        return try Self.decode(CartBody.self, added)
    }

    private func checkoutBody(_ cart: CartBody, token: String = "test-approve") -> String {
        """
        {"receiptEmail":"ann@example.com","cartVersion":\(cart.Version),
         "cartTenderLines":[{"Amount":\(cart.AmountDue),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"\(token)"}}}]}
        """
    }

    private static func openDatabase(_ dataDir: String) throws -> any ChannelDatabase {
        try SQLiteDatabase(path: dataDir + "/channel.sqlite", logger: Logger(label: "test"))
    }

    private static func stock(_ database: any ChannelDatabase, _ product: Int64) async throws -> (available: Decimal, orders: Int, overReserved: Int) {
        try await database.withTransaction(.read) { transaction in
            let available = try await InventoryStore(transaction).available(productId: product)
            let orders = try await transaction.queryFirst("SELECT COUNT(*) AS n FROM sales_orders")?.int("n") ?? -1
            let over = try await transaction.queryFirst("SELECT COUNT(*) AS n FROM stock WHERE reserved > on_hand OR reserved < 0")?.int("n") ?? -1
            return (available, orders, over)
        }
    }

    @Test("storefront journey: create a cart, add lines, PATCH the address, check out, read the order", arguments: ["sqlite", "postgres"])
    func journey(_ backend: String) async throws {
        let (host, key, _) = try await host(database: backend == "postgres" ? try await freshPostgresDatabase() : nil)
        let created = try await host.send("POST", "/Commerce/Carts", headers: Self.json, body: "{}")
        #expect(created.status == 201)
        #expect(created.header("ETag") == #"W/"1""#)
        let empty = try Self.decode(CartBody.self, created)
        #expect(created.header("Location")?.hasSuffix("/Commerce/Carts('\(empty.Id)')") == true)
        #expect(created.json?["ExtensionProperties"] as? [Any] != nil)

        let added = try await host.send(
            "POST", "/Commerce/Carts('\(empty.Id)')/AddCartLines", headers: Self.json,
            body: #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":2}],"cartVersion":1}"#
        )
        #expect(added.status == 200, "\(added.text)")
        let cart = try Self.decode(CartBody.self, added)
        #expect(cart.Version == 2)
        #expect(cart.CartLines.first?.Price == Decimal(string: "38.69"))
        // 77.38 plus the channel's WA tax of 6.5% (5.0297 -> 5.03).
        #expect(cart.AmountDue == Decimal(string: "82.41"))
        #expect(added.text.contains(#""@odata.context":"#) && added.text.contains("Carts/$entity"))

        let etag = try #require(added.header("ETag"))
        let patched = try await host.send(
            "PATCH", "/Commerce/Carts('\(cart.Id)')", headers: Self.json.merging(["If-Match": etag]) { $1 },
            body: #"{"ReceiptEmail":"ann@example.com","ShippingAddress":{"Name":"Ann","Street":"1 Main St","City":"Fresno","State":"CA","ZipCode":"93650","ThreeLetterISORegionName":"USA"}}"#
        )
        #expect(patched.status == 200, "\(patched.text)")
        let shipped = try Self.decode(CartBody.self, patched)
        #expect(shipped.Version == 3)
        // California: 7.25% of 77.38 = 5.61.
        #expect(shipped.TaxAmount == Decimal(string: "5.61") && shipped.AmountDue == Decimal(string: "82.99"))
        #expect((patched.json?["ShippingAddress"] as? [String: Any])?["State"] as? String == "CA")

        let checkout = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json.merging(["Idempotency-Key": "journey-1"]) { $1 },
            body: checkoutBody(shipped)
        )
        #expect(checkout.status == 200, "\(checkout.text)")
        let order = try Self.decode(OrderBody.self, checkout)
        #expect(order.SalesId == "128-00000001")
        #expect(order.ChannelReferenceId == cart.Id)
        #expect(order.StatusValue == 1)
        #expect(order.TotalAmount == Decimal(string: "82.99"))
        #expect(checkout.text.contains("SalesOrders/$entity"))
        #expect(!checkout.text.contains("test-approve"))

        // Orders are not anonymous; a trusted application reads it.
        #expect(try await host.get("/Commerce/SalesOrders('\(order.Id)')").status == 401)
        let read = try await host.get("/Commerce/SalesOrders('\(order.Id)')", headers: ["Authorization": "ApiKey \(key)"])
        #expect(read.status == 200, "\(read.text)")
        let stored = try Self.decode(OrderBody.self, read)
        #expect(stored.SalesId == order.SalesId && stored.TotalAmount == order.TotalAmount && stored.ReceiptEmail == "ann@example.com")
        #expect((read.json?["SalesLines"] as? [[String: Any]])?.first?["Quantity"] as? Int == 2)
        #expect(try await host.get("/Commerce/SalesOrders('nope')", headers: ["Authorization": "ApiKey \(key)"]).status == 404)

        // The cart is gone; the same key answers the same order.
        #expect(try await host.get("/Commerce/Carts('\(cart.Id)')").status == 404)
        let again = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json.merging(["Idempotency-Key": "journey-1"]) { $1 },
            body: checkoutBody(shipped)
        )
        #expect(again.status == 200, "\(again.text)")
        #expect(try Self.decode(OrderBody.self, again).Id == order.Id)
        #expect(await host.stop() == 0)
    }

    @Test("an application cancels or invoices an order over HTTP; a line split over warehouses shows each warehouse")
    func orderStatus() async throws {
        let (host, key, _) = try await host()
        let app = ["Authorization": "ApiKey \(key)", "Content-Type": "application/json"]
        // 4 of demo product 1: 3 in the default WH-WEST, 1 from WH-EAST.
        let split = try await newCart(host, product: Self.lastUnitsProduct, quantity: 4)
        let checkout = try await host.send("POST", "/Commerce/Carts('\(split.Id)')/Checkout", headers: Self.json, body: checkoutBody(split))
        #expect(checkout.status == 200, "\(checkout.text)")
        let lines = try #require(checkout.json?["SalesLines"] as? [[String: Any]])
        #expect(lines.map { "\($0["WarehouseId"] as? String ?? "?") \($0["Quantity"] as? Int ?? -1)" } == ["WH-WEST 3", "WH-EAST 1"])
        let order = try Self.decode(OrderBody.self, checkout)

        // A customer or an anonymous caller may not; the application may, once.
        #expect(try await host.send("POST", "/Commerce/SalesOrders('\(order.Id)')/Cancel", headers: Self.json, body: "{}").status == 401)
        let cancelled = try await host.send("POST", "/Commerce/SalesOrders('\(order.Id)')/Cancel", headers: app, body: "{}")
        #expect(cancelled.status == 200, "\(cancelled.text)")
        #expect(try Self.decode(OrderBody.self, cancelled).StatusValue == 5)
        #expect(cancelled.text.contains("SalesOrders/$entity"))
        let again = try await host.send("POST", "/Commerce/SalesOrders('\(order.Id)')/Invoice", headers: app, body: "{}")
        #expect(again.status == 409 && Self.errorCode(again) == "SalesOrderStatusConflict", "\(again.text)")
        #expect(try await host.send("POST", "/Commerce/SalesOrders('nope')/Invoice", headers: app, body: "{}").status == 404)
        #expect(try await host.send("GET", "/Commerce/SalesOrders('\(order.Id)')/Cancel", headers: app).status == 405)

        // The released units sell again: all 5 now.
        let all = try await newCart(host, product: Self.lastUnitsProduct, quantity: 5)
        let second = try await host.send("POST", "/Commerce/Carts('\(all.Id)')/Checkout", headers: Self.json, body: checkoutBody(all))
        #expect(second.status == 200, "\(second.text)")
        let invoiced = try await host.send("POST", "/Commerce/SalesOrders('\(try Self.decode(OrderBody.self, second).Id)')/Invoice", headers: app, body: "{}")
        #expect(invoiced.status == 200, "\(invoiced.text)")
        #expect(try Self.decode(OrderBody.self, invoiced).StatusValue == 4)
        #expect(await host.stop() == 0)
    }

    @Test("delivery over HTTP: GetDeliveryOptions, the cart's mode by PATCH, a line's own mode and address by UpdateCartLines")
    func delivery() async throws {
        let (host, key, _) = try await host()
        let cart = try await newCart(host, quantity: 1)
        let options = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/GetDeliveryOptions", headers: Self.json, body: "{}")
        #expect(options.status == 200, "\(options.text)")
        #expect((options.json?["value"] as? [[String: Any]])?.compactMap { $0["Code"] as? String } == ["EXP", "STD"])
        #expect(options.text.contains("$metadata#Collection(Microsoft.Dynamics.Commerce.Runtime.DataModel.DeliveryOption)"))

        let unknown = try await host.send("PATCH", "/Commerce/Carts('\(cart.Id)')", headers: Self.json, body: #"{"DeliveryMode":"DRONE"}"#)
        #expect(unknown.status == 400 && Self.errorCode(unknown) == "UnknownDeliveryMode", "\(unknown.text)")
        let patched = try await host.send(
            "PATCH", "/Commerce/Carts('\(cart.Id)')", headers: Self.json,
            body: #"{"DeliveryMode":"STD","ShippingAddress":{"State":"WA","ThreeLetterISORegionName":"USA"}}"#
        )
        #expect(patched.status == 200 && patched.json?["DeliveryMode"] as? String == "STD", "\(patched.text)")
        let line = try #require(cart.CartLines.first)
        let moved = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/UpdateCartLines", headers: Self.json,
            body: #"{"cartLines":[{"LineId":"\#(line.LineId)","DeliveryMode":"EXP","ShippingAddress":{"State":"CA","ThreeLetterISORegionName":"USA"}}]}"#
        )
        #expect(moved.status == 200, "\(moved.text)")
        let movedLine = try #require((moved.json?["CartLines"] as? [[String: Any]])?.first)
        #expect(movedLine["DeliveryMode"] as? String == "EXP")
        #expect((movedLine["ShippingAddress"] as? [String: Any])?["State"] as? String == "CA")
        // California's 7.25% of 38.69 = 2.81.
        let movedCart = try Self.decode(CartBody.self, moved)
        #expect(movedCart.TaxAmount == Decimal(string: "2.81"))

        let checkout = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: checkoutBody(movedCart))
        #expect(checkout.status == 200, "\(checkout.text)")
        let order = try Self.decode(OrderBody.self, checkout)
        let read = try await host.get("/Commerce/SalesOrders('\(order.Id)')", headers: ["Authorization": "ApiKey \(key)"])
        #expect(read.json?["DeliveryMode"] as? String == "STD")
        #expect((read.json?["ShippingAddress"] as? [String: Any])?["State"] as? String == "WA")
        let sold = try #require((read.json?["SalesLines"] as? [[String: Any]])?.first)
        #expect(sold["DeliveryMode"] as? String == "EXP" && (sold["ShippingAddress"] as? [String: Any])?["State"] as? String == "CA")
        #expect(await host.stop() == 0)
    }

    @Test("a stale cartVersion or If-Match is 412 and changes nothing; bad input is 4xx")
    func staleVersion() async throws {
        let (host, _, _) = try await host()
        let cart = try await newCart(host)
        let before = try await host.get("/Commerce/Carts('\(cart.Id)')")
        #expect(before.status == 200 && before.header("ETag") == #"W/"2""#)

        let stale = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/AddCartLines", headers: Self.json,
            body: #"{"cartLines":[{"ProductId":\#(Self.lastUnitsProduct),"Quantity":1}],"cartVersion":1}"#
        )
        #expect(stale.status == 412)
        #expect(Self.errorCode(stale) == "CartVersionConflict")
        let staleMatch = try await host.send(
            "PATCH", "/Commerce/Carts('\(cart.Id)')", headers: Self.json.merging(["If-Match": #"W/"1""#]) { $1 }, body: #"{"ReceiptEmail":"x@example.com"}"#
        )
        #expect(staleMatch.status == 412)
        let staleCheckout = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json,
            body: checkoutBody(CartBody(Id: cart.Id, Version: 1, CartLines: [], TaxAmount: 0, TotalAmount: 0, AmountDue: cart.AmountDue))
        )
        #expect(staleCheckout.status == 412)
        let after = try await host.get("/Commerce/Carts('\(cart.Id)')")
        #expect(after.text == before.text)

        // Bad input: clear 4xx errors, nothing changed.
        let malformed = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/AddCartLines", headers: Self.json, body: #"{"cartLines":[{"ProductId":1,"#)
        #expect(malformed.status == 400)
        let unknownProduct = try await host.send(
            "POST", "/Commerce/Carts('\(cart.Id)')/AddCartLines", headers: Self.json, body: #"{"cartLines":[{"ProductId":42,"Quantity":1}]}"#
        )
        #expect(unknownProduct.status == 400 && Self.errorCode(unknownProduct) == "UnknownProduct")
        let readOnly = try await host.send("PATCH", "/Commerce/Carts('\(cart.Id)')", headers: Self.json, body: #"{"TotalAmount":0}"#)
        #expect(readOnly.status == 400)
        #expect(try await host.get("/Commerce/Carts('no-such-cart')").status == 404)
        #expect(try await host.get("/Commerce/Carts(12)").status == 400)
        #expect(try await host.get("/Commerce/Carts('\(cart.Id)')").text == before.text)

        // DELETE: a stale If-Match is 412 and deletes nothing; then 204, and the cart is gone.
        let staleDelete = try await host.send("DELETE", "/Commerce/Carts('\(cart.Id)')", headers: ["If-Match": #"W/"1""#], body: nil)
        #expect(staleDelete.status == 412)
        let deleted = try await host.send("DELETE", "/Commerce/Carts('\(cart.Id)')", headers: ["If-Match": #"W/"2""#], body: nil)
        #expect(deleted.status == 204, "\(deleted.text)")
        #expect(try await host.get("/Commerce/Carts('\(cart.Id)')").status == 404)
        #expect(try await host.send("DELETE", "/Commerce/Carts('\(cart.Id)')", headers: [:], body: nil).status == 404)
        #expect(await host.stop() == 0)
    }

    @Test("a declined payment is 402, a failing connector 502; the cart stays intact and no stock is reserved")
    func declinedPayment() async throws {
        let (host, _, dataDir) = try await host()
        let cart = try await newCart(host, product: Self.lastUnitsProduct, quantity: 2)
        let before = try await host.get("/Commerce/Carts('\(cart.Id)')")

        let declined = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: checkoutBody(cart, token: "test-decline"))
        #expect(declined.status == 402, "\(declined.text)")
        #expect(Self.errorCode(declined) == "PaymentDeclined")
        let failed = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: checkoutBody(cart, token: "test-error"))
        #expect(failed.status == 502)
        #expect(Self.errorCode(failed) == "PaymentConnectorError")
        let cardNumber = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: checkoutBody(cart, token: "4111111111111111"))
        #expect(cardNumber.status == 400 && !cardNumber.text.contains("4111111111111111"))

        #expect(try await host.get("/Commerce/Carts('\(cart.Id)')").text == before.text)
        #expect(await host.stop() == 0)
        let database = try Self.openDatabase(dataDir)
        let stock = try await Self.stock(database, Self.lastUnitsProduct)
        #expect(stock.available == 5 && stock.orders == 0)
        await database.close()
    }

    @Test("32 concurrent checkouts for the last 5 units: exactly 5 orders, stock 0, never negative", arguments: ["sqlite", "postgres"])
    func lastUnits(_ backend: String) async throws {
        var databaseURL: String?
        if backend == "postgres" {
            guard let url = ProcessInfo.processInfo.environment["COMMERCE_TEST_POSTGRES_URL"] else {
                throw HostError("COMMERCE_TEST_POSTGRES_URL is not set: run the tests with scripts/test")
            }
            let admin = try await openPostgres(url)
            let name = "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await admin.createDatabase(named: name)
            await admin.close()
            databaseURL = url.replacingOccurrences(of: "/postgres", with: "/\(name)")
        }
        let (host, _, dataDir) = try await host(database: databaseURL)
        var carts: [CartBody] = []
        for _ in 0..<32 { carts.append(try await newCart(host, product: Self.lastUnitsProduct)) }
        let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for cart in carts {
                let body = checkoutBody(cart)
                group.addTask {
                    let result = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: body)
                    return (result.status, Self.errorCode(result))
                }
            }
            var all: [(Int, String?)] = []
            for try await status in group { all.append(status) }
            return all
        }
        #expect(statuses.filter { $0.0 == 200 }.count == 5, "\(statuses)")
        #expect(statuses.filter { $0.0 == 409 && $0.1 == "OutOfStock" }.count == 27, "\(statuses)")
        #expect(await host.stop() == 0)

        let database: any ChannelDatabase = if let databaseURL {
            try await openPostgres(databaseURL)
        } else {
            try Self.openDatabase(dataDir)
        }
        let stock = try await Self.stock(database, Self.lastUnitsProduct)
        #expect(stock.available == 0)
        #expect(stock.orders == 5)
        #expect(stock.overReserved == 0)
        await database.close()
    }

    @Test("two host processes on one PostgreSQL, 64 buyers for the last 10 units: exactly 10 orders with distinct numbers, stock 0")
    func twoHostsLastUnits() async throws {
        let databaseURL = try await freshPostgresDatabase()
        let (first, _, _) = try await host(database: databaseURL)
        let (second, _, _) = try await host(database: databaseURL)
        let database = try await openPostgres(databaseURL)
        try await database.withTransaction(.write) { transaction in
            let inventory = InventoryStore(transaction)
            try await inventory.setOnHand(productId: Self.lastUnitsProduct, warehouseId: "WH-EAST", quantity: 4)
            try await inventory.setOnHand(productId: Self.lastUnitsProduct, warehouseId: "WH-WEST", quantity: 6)
        }
        let hosts = [first, second]
        var carts: [(HostProcess, CartBody)] = []
        for index in 0..<64 {
            let host = hosts[index % 2]
            carts.append((host, try await newCart(host, product: Self.lastUnitsProduct)))
        }
        let statuses = try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
            for (host, cart) in carts {
                let body = checkoutBody(cart)
                group.addTask {
                    let result = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: body)
                    return (result.status, Self.errorCode(result), result.json?["SalesId"] as? String)
                }
            }
            var all: [(Int, String?, String?)] = []
            for try await status in group { all.append(status) }
            return all
        }
        let orders = statuses.filter { $0.0 == 200 }
        #expect(orders.count == 10, "\(statuses)")
        #expect(Set(orders.compactMap(\.2)).count == 10, "order numbers repeat across hosts: \(orders)")
        #expect(statuses.filter { $0.0 == 409 && $0.1 == "OutOfStock" }.count == 54, "\(statuses)")
        #expect(await first.stop() == 0)
        #expect(await second.stop() == 0)
        let stock = try await Self.stock(database, Self.lastUnitsProduct)
        #expect(stock.available == 0)
        #expect(stock.orders == 10)
        #expect(stock.overReserved == 0)
        await database.close()
    }

    @Test("one Idempotency-Key sent to two hosts on one PostgreSQL at once, and again after a restart: one order, one payment")
    func idempotencyAcrossHosts() async throws {
        let databaseURL = try await freshPostgresDatabase()
        let (first, _, _) = try await host(database: databaseURL)
        let (second, _, _) = try await host(database: databaseURL)
        let cart = try await newCart(first, quantity: 2)
        let body = checkoutBody(cart)
        let headers = Self.json.merging(["Idempotency-Key": "retry-across-hosts"]) { $1 }
        let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for index in 0..<8 {
                let host = index % 2 == 0 ? first : second
                group.addTask {
                    let result = try await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: headers, body: body)
                    return (result.status, result.json?["Id"] as? String)
                }
            }
            var all: [(Int, String?)] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.allSatisfy { $0.0 == 200 }, "\(answers)")
        let ids = Set(answers.compactMap(\.1))
        #expect(ids.count == 1, "\(answers)")
        #expect(await first.stop() == 0)
        // A host started afterwards answers the same order for the same key.
        let (third, _, _) = try await host(database: databaseURL)
        let again = try await third.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: headers, body: body)
        #expect(again.status == 200 && ids.contains(again.json?["Id"] as? String ?? "-"), "\(again.text)")
        #expect(await second.stop() == 0)
        #expect(await third.stop() == 0)

        let database = try await openPostgres(databaseURL)
        let (orders, payments) = try await database.withTransaction(.read) { transaction in
            (
                try await transaction.queryFirst("SELECT COUNT(*) AS n FROM sales_orders")?.int("n"),
                try await transaction.queryFirst("SELECT COUNT(*) AS n FROM payments")?.int("n")
            )
        }
        await database.close()
        #expect(orders == 1 && payments == 1)
    }

    @Test(
        "SIGKILL during checkouts, again and again: every acknowledged order exists, no stock is reserved without an order",
        arguments: ["sqlite", "postgres"]
    )
    func crashSafety(_ backend: String) async throws {
        let databaseURL = backend == "postgres" ? try await freshPostgresDatabase() : nil
        let (firstHost, _, dataDir) = try await host(database: databaseURL)
        #expect(await firstHost.stop() == 0)
        let open = { () async throws -> any ChannelDatabase in
            if let databaseURL {
                return try await openPostgres(databaseURL)
            }
            return try Self.openDatabase(dataDir)
        }
        let setup = try await open()
        try await setup.withTransaction(.write) { transaction in
            try await InventoryStore(transaction).setOnHand(productId: Self.product, warehouseId: "WH-EAST", quantity: 1_000)
            try await InventoryStore(transaction).setOnHand(productId: Self.product, warehouseId: "WH-WEST", quantity: 0)
        }
        await setup.close()
        let config = dataDir + "/host.json"
        var acknowledged: Set<String> = []
        var interrupted = 0
        for round in 0..<4 {
            let host = try await HostProcess(
                ["serve", "--demo", "--port", "0", "--data-dir", dataDir, "--config", config, "--log-level", "error"]
                    + (databaseURL.map { ["--database", $0] } ?? [])
            )
            var carts: [CartBody] = []
            for _ in 0..<12 { carts.append(try await newCart(host)) }
            let pid = host.process.processIdentifier
            let answered = AnsweredCount()
            // Kill at a different point of the burst each round: the first rounds early, at a
            // fixed delay; the later ones just after the first order was acknowledged, while
            // the others are in flight (on any machine speed).
            let killer = Task {
                if round < 2 {
                    try await Task.sleep(for: .milliseconds(5 + round * 15))
                } else {
                    for _ in 0..<5_000 where answered.value.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
                }
                kill(pid, SIGKILL)
            }
            let orders = await withTaskGroup(of: String?.self) { group in
                for cart in carts {
                    let body = checkoutBody(cart)
                    group.addTask {
                        guard let result = try? await host.send("POST", "/Commerce/Carts('\(cart.Id)')/Checkout", headers: Self.json, body: body),
                            result.status == 200
                        else { return nil }
                        answered.value.withLock { $0 += 1 }
                        return result.json?["Id"] as? String
                    }
                }
                var ids: [String] = []
                for await id in group { if let id { ids.append(id) } }
                return ids
            }
            try await killer.value
            host.process.waitUntilExit()
            #expect(host.process.terminationReason == .uncaughtSignal)
            acknowledged.formUnion(orders)
            interrupted += carts.count - orders.count
        }
        // The kills must have landed both after some checkouts and in the middle of others.
        #expect(!acknowledged.isEmpty && interrupted > 0, "acknowledged \(acknowledged.count), interrupted \(interrupted)")

        let database = try await open()
        let (stored, reserved, ordered, events) = try await database.withTransaction(.read) { transaction in
            let stored = Set(try await transaction.query("SELECT id FROM sales_orders").compactMap { $0.string("id") })
            let reserved = try await transaction.queryFirst("SELECT SUM(reserved) AS n FROM stock WHERE product_id = ?", [.integer(Self.product)])?.decimal("n") ?? 0
            let ordered = try await transaction.queryFirst("SELECT SUM(quantity) AS n FROM sales_lines WHERE product_id = ?", [.integer(Self.product)])?.decimal("n") ?? 0
            let events = Set(try await transaction.query("SELECT order_id FROM order_events WHERE event_type = 'Created'").compactMap { $0.string("order_id") })
            return (stored, reserved, ordered, events)
        }
        await database.close()
        #expect(acknowledged.isSubset(of: stored), "acknowledged orders missing after a crash: \(acknowledged.subtracting(stored))")
        // A reservation exists only together with the order that made it (one transaction),
        // and so does the order's event for headquarters.
        #expect(reserved == ordered, "reserved \(reserved), ordered \(ordered)")
        #expect(events == stored, "orders without their Created event, or events without an order")
    }
}

/// Checkouts answered so far, shared by the buyers and the task that kills the host.
private final class AnsweredCount: Sendable {
    let value = Mutex(0)
}
