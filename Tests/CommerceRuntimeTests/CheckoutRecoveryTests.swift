import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Synchronization
import Testing

/// What checkout does beyond the happy path: undoing payments when the request does not
/// commit, serving a line from several warehouses, and the order-event feed for data exchange.
@Suite("Checkout recovery, split lines and order events")
struct CheckoutRecoveryTests {
    @Test("a post-trigger failing after checkout returned rolls the order back and voids the authorization", arguments: Backend.allCases)
    func voidAfterPostTrigger(_ backend: Backend) async throws {
        let log = CallLog()
        let f = try await CartTests.fixture(backend) { registry in
            registry.spy(VoidPaymentRequest.self, into: log) { request in "void \(request.amount)" }
            registry.addPostTrigger(CheckoutRequest.self, owner: "failing-erp") { _, _, _ in
                throw CommerceError(.unavailable, code: "ErpDown", "the ERP did not accept the order")
            }
        }
        let cart = try await f.cart(quantity: 2)
        await #expect { try await f.run(f.pay(cart)) } throws: { ($0 as? CommerceError)?.code == "ErpDown" }
        // Voided once, after the rollback, for the whole amount.
        #expect(log.all == ["void \(cart.amountDue)"])
        #expect(try await f.available(CartTests.product) == 5)
        #expect(try await f.count("sales_orders") == 0)
        #expect(try await f.count("payments") == 0)
        #expect(try await f.count("order_events") == 0)
        #expect(try await f.run(GetCartRequest(cartId: cart.id)) == cart)
        await f.database.close()
    }

    @Test("a committed checkout voids nothing", arguments: Backend.allCases)
    func noVoidOnSuccess(_ backend: Backend) async throws {
        let log = CallLog()
        let f = try await CartTests.fixture(backend) { registry in
            registry.spy(VoidPaymentRequest.self, into: log) { _ in "void" }
        }
        _ = try await f.run(f.pay(try await f.cart()))
        #expect(log.all.isEmpty)
        await f.database.close()
    }

    @Test("concurrent retries with one Idempotency-Key: one order, one authorization, every retry answered with it", arguments: Backend.allCases)
    func concurrentRetries(_ backend: Backend) async throws {
        let log = CallLog()
        let f = try await CartTests.fixture(backend) { registry in
            registry.spy(AuthorizePaymentRequest.self, into: log) { _ in "authorize" }
        }
        let cart = try await f.cart(quantity: 2)
        let request = f.pay(cart, key: "retry-storm")
        let orders = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await f.run(request).id } }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(orders.count == 8 && Set(orders).count == 1)
        #expect(log.all == ["authorize"])
        #expect(try await f.count("sales_orders") == 1)
        #expect(try await f.count("payments") == 1)
        #expect(try await f.available(CartTests.product) == 3)
        await f.database.close()
    }

    @Test("a line no single warehouse can serve is split over warehouses; the parts add up to the cart line", arguments: Backend.allCases)
    func splitLine(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        // Demo product 1: 3 in WH-WEST (the online store's default), 2 in WH-EAST; 5.39 each.
        let cart = try await f.cart(quantity: 4)
        let line = try #require(cart.cartLines.first)
        #expect(line.extendedPrice == Decimal(string: "21.56"))
        // WA tax 6.5% of 21.56 = 1.4014, rounded 1.40.
        #expect(line.taxAmount == Decimal(string: "1.40") && line.discountAmount == 0)
        let order = try await f.run(f.pay(cart))
        #expect(order.salesLines.count == 2)
        let west = try #require(order.salesLines.first)
        let east = try #require(order.salesLines.last)
        // The default warehouse first, with all it has: 3 of 4.
        #expect(west.warehouseId == "WH-WEST" && west.quantity == 3 && west.price == Decimal(string: "5.39"))
        #expect(east.warehouseId == "WH-EAST" && east.quantity == 1 && east.price == Decimal(string: "5.39"))
        // Tax 1.40 x 3/4 = 1.05; the last part takes the rest, 0.35. Totals: 16.17 + 1.05, 5.39 + 0.35.
        #expect(west.taxAmount == Decimal(string: "1.05") && east.taxAmount == Decimal(string: "0.35"))
        #expect(west.totalAmount == Decimal(string: "17.22") && east.totalAmount == Decimal(string: "5.74"))
        #expect(west.totalAmount + east.totalAmount == order.totalAmount)
        #expect(west.lineId == "1" && east.lineId == "2")
        #expect(try await f.available(CartTests.product) == 1)
        let stock = try await f.database.withTransaction(.read) { transaction in
            try await transaction.query("SELECT warehouse_id, reserved FROM stock WHERE product_id = ? ORDER BY warehouse_id", [.integer(CartTests.product)])
                .map { "\($0.string("warehouse_id") ?? "?")=\($0.decimal("reserved") ?? -1)" }
        }
        #expect(stock == ["WH-EAST=1", "WH-WEST=3"])
        // Read back as stored.
        #expect(try await f.run(GetSalesOrderRequest(salesOrderId: order.id), caller: .application(id: "erp"))?.salesLines == order.salesLines)

        // One more than all warehouses hold together is out of stock, and reserves nothing.
        let tooMany = try await f.cart(quantity: 2)
        await #expect { try await f.run(f.pay(tooMany)) } throws: { ($0 as? CommerceError)?.code == "OutOfStock" }
        #expect(try await f.available(CartTests.product) == 1)
        await f.database.close()
    }

    @Test("concurrent split checkouts never take more than the warehouses hold together", arguments: Backend.allCases)
    func concurrentSplits(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        // 5 units over two warehouses, 8 buyers of 2: at most 2 orders of 2, and the last unit
        // stays unless nobody can take it (no order takes less than it asked).
        var carts: [Cart] = []
        for _ in 0..<8 { carts.append(try await f.cart(quantity: 2)) }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for cart in carts {
                group.addTask {
                    do {
                        let order = try await f.run(f.pay(cart))
                        return "ok \(order.salesLines.reduce(Decimal(0)) { $0 + $1.quantity })"
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
        #expect(outcomes.filter { $0 == "ok 2" }.count == 2, "\(outcomes)")
        #expect(outcomes.filter { $0 == "OutOfStock" }.count == 6, "\(outcomes)")
        #expect(try await f.available(CartTests.product) == 1)
        let overReserved = try await f.database.withTransaction(.read) {
            try await $0.queryFirst("SELECT COUNT(*) AS n FROM stock WHERE reserved > on_hand")?.int("n")
        }
        #expect(overReserved == 0)
        await f.database.close()
    }

    @Test("order events: one per order, numbered when pulled, each handed out once in order", arguments: Backend.allCases)
    func orderEvents(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let erp = Caller.application(id: "hq")
        #expect(try await f.run(GetOrderEventsRequest(afterSequence: 0), caller: erp) == OrderEventPage(events: [], lastSequence: 0))
        let first = try await f.run(f.pay(try await f.cart()))
        let second = try await f.run(f.pay(try await f.cart(CartTests.otherProduct)))
        let page = try await f.run(GetOrderEventsRequest(afterSequence: 0), caller: erp)
        #expect(page.events.map(\.sequence) == [1, 2] && page.lastSequence == 2)
        #expect(page.events.map(\.salesId) == [first.salesId, second.salesId])
        #expect(page.events.map(\.salesOrderId) == [first.id, second.id])
        #expect(page.events.allSatisfy { $0.eventType == "Created" && $0.statusValue == SalesOrder.Status.created.rawValue })
        #expect(page.events.first?.occurredDateTime == first.createdDateTime)
        // A repeated pull answers the same; a pull from the watermark answers nothing new.
        #expect(try await f.run(GetOrderEventsRequest(afterSequence: 0), caller: erp) == page)
        #expect(try await f.run(GetOrderEventsRequest(afterSequence: 2), caller: erp).events.isEmpty)
        // Paging by limit.
        let third = try await f.run(f.pay(try await f.cart()))
        let small = try await f.run(GetOrderEventsRequest(afterSequence: 1, limit: 1), caller: erp)
        #expect(small.events.map(\.salesId) == [second.salesId] && small.lastSequence == 2)
        #expect(try await f.run(GetOrderEventsRequest(afterSequence: 2, limit: 1), caller: erp).events.map(\.salesId) == [third.salesId])

        for caller in [Caller.anonymous, .customer(accountNumber: "004011"), .employee(id: "e", storeNumbers: ["128"])] {
            await #expect { try await f.run(GetOrderEventsRequest(afterSequence: 0), caller: caller) } throws: {
                ($0 as? CommerceError)?.kind == .forbidden
            }
        }
        await #expect { try await f.run(GetOrderEventsRequest(afterSequence: -1), caller: erp) } throws: {
            ($0 as? CommerceError)?.kind == .invalidRequest
        }
        await #expect { try await f.run(GetOrderEventsRequest(afterSequence: 0, limit: 0), caller: erp) } throws: {
            ($0 as? CommerceError)?.kind == .invalidRequest
        }
        await f.database.close()
    }

    @Test("a puller racing concurrent checkouts sees every order exactly once, in increasing sequence", arguments: Backend.allCases)
    func eventsUnderLoad(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        try await f.database.withTransaction(.write) { transaction in
            try await InventoryStore(transaction).setOnHand(productId: CartTests.otherProduct, warehouseId: "WH-WEST", quantity: 1_000)
        }
        var carts: [Cart] = []
        for _ in 0..<24 { carts.append(try await f.cart(CartTests.otherProduct)) }
        let done = Mutex(false)
        let puller = Task {
            var seen: [OrderEvent] = []
            var watermark: Int64 = 0
            while true {
                let finished = done.withLock { $0 }
                let page = try await f.run(GetOrderEventsRequest(afterSequence: watermark, limit: 5), caller: .application(id: "hq"))
                seen += page.events
                watermark = page.lastSequence
                if finished && page.events.isEmpty { return seen }
                if page.events.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        let orders = try await withThrowingTaskGroup(of: String.self) { group in
            for cart in carts { group.addTask { try await f.run(f.pay(cart)).salesId } }
            var all: [String] = []
            for try await salesId in group { all.append(salesId) }
            return all
        }
        done.withLock { $0 = true }
        let seen = try await puller.value
        #expect(seen.map(\.sequence) == Array(1...Int64(orders.count)))
        #expect(Set(seen.map(\.salesId)) == Set(orders) && seen.count == orders.count)
        await f.database.close()
    }

    @Test("cancel releases the stock and voids; invoice takes the goods out of stock and captures; each only from Created", arguments: Backend.allCases)
    func statusChanges(_ backend: Backend) async throws {
        let log = CallLog()
        let f = try await CartTests.fixture(backend) { registry in
            registry.spy(VoidPaymentRequest.self, into: log) { request in "void \(request.amount)" }
            registry.spy(CapturePaymentRequest.self, into: log) { request in "capture \(request.amount)" }
        }
        let erp = Caller.application(id: "erp")
        let onHand = { (product: Int64) async throws -> Decimal in
            try await f.database.withTransaction(.read) {
                try await $0.queryFirst("SELECT SUM(on_hand) AS n FROM stock WHERE product_id = ?", [.integer(product)])?.decimal("n") ?? -1
            }
        }
        // Split over both warehouses, so both reservations must be released.
        let cancelled = try await f.run(f.pay(try await f.cart(quantity: 4)))
        #expect(try await f.available(CartTests.product) == 1)
        let afterCancel = try await f.run(CancelSalesOrderRequest(salesOrderId: cancelled.id), caller: erp)
        #expect(afterCancel.statusValue == SalesOrder.Status.canceled.rawValue)
        #expect(try await f.available(CartTests.product) == 5)
        #expect(try await onHand(CartTests.product) == 5)
        #expect(log.all == ["void \(cancelled.totalAmount)"])
        let payments = try await f.database.withTransaction(.read) { try await OrderStore($0).payments(orderId: cancelled.id) }
        #expect(payments.map(\.status) == ["Voided"])

        let invoiced = try await f.run(f.pay(try await f.cart(quantity: 2)))
        let afterInvoice = try await f.run(InvoiceSalesOrderRequest(salesOrderId: invoiced.id), caller: .employee(id: "e1", storeNumbers: ["128"]))
        #expect(afterInvoice.statusValue == SalesOrder.Status.invoiced.rawValue)
        // The goods left: 2 fewer on hand, nothing reserved for them any more.
        #expect(try await onHand(CartTests.product) == 3)
        #expect(try await f.available(CartTests.product) == 3)
        let captured = try await f.database.withTransaction(.read) { try await OrderStore($0).payments(orderId: invoiced.id) }
        #expect(captured.map(\.status) == ["Captured"] && captured.first?.captureReference?.hasPrefix("test-capture-") == true)
        #expect(log.all.last == "capture \(invoiced.totalAmount)")

        // Only from Created, once; a concurrent second change loses.
        await #expect { try await f.run(CancelSalesOrderRequest(salesOrderId: invoiced.id), caller: erp) } throws: {
            ($0 as? CommerceError)?.code == "SalesOrderStatusConflict"
        }
        await #expect { try await f.run(InvoiceSalesOrderRequest(salesOrderId: cancelled.id), caller: erp) } throws: {
            ($0 as? CommerceError)?.code == "SalesOrderStatusConflict"
        }
        let raced = try await f.run(f.pay(try await f.cart(CartTests.otherProduct)))
        async let cancelling = try? f.run(CancelSalesOrderRequest(salesOrderId: raced.id), caller: erp)
        async let invoicing = try? f.run(InvoiceSalesOrderRequest(salesOrderId: raced.id), caller: erp)
        let outcomes = await [cancelling, invoicing]
        #expect(outcomes.compactMap { $0 }.count == 1)
        let otherOnHand = try await onHand(CartTests.otherProduct)
        #expect(try await f.available(CartTests.otherProduct) == otherOnHand)

        // Customers and anonymous callers may not; an unknown order is not found.
        for caller in [Caller.anonymous, .customer(accountNumber: "004011")] {
            await #expect { try await f.run(CancelSalesOrderRequest(salesOrderId: raced.id), caller: caller) } throws: {
                ($0 as? CommerceError)?.kind == .forbidden
            }
        }
        await #expect { try await f.run(CancelSalesOrderRequest(salesOrderId: "nope"), caller: erp) } throws: {
            ($0 as? CommerceError)?.kind == .notFound
        }
        // The feed tells headquarters, in the order things committed.
        let feed = try await f.run(GetOrderEventsRequest(afterSequence: 0), caller: erp).events
        #expect(feed.map(\.eventType) == ["Created", "StatusChanged", "Created", "StatusChanged", "Created", "StatusChanged"])
        #expect(feed.map(\.salesOrderId) == [cancelled.id, cancelled.id, invoiced.id, invoiced.id, raced.id, raced.id])
        #expect(feed[1].statusValue == SalesOrder.Status.canceled.rawValue && feed[3].statusValue == SalesOrder.Status.invoiced.rawValue)
        await f.database.close()
    }

    @Test("an invoice whose request rolls back after the capture is refunded, and the order stays Created", arguments: Backend.allCases)
    func refundAfterRollback(_ backend: Backend) async throws {
        let log = CallLog()
        let f = try await CartTests.fixture(backend) { registry in
            registry.spy(RefundPaymentRequest.self, into: log) { request in "refund \(request.amount)" }
            registry.addPostTrigger(InvoiceSalesOrderRequest.self, owner: "failing-wms") { _, _, _ in
                throw CommerceError(.unavailable, code: "WmsDown", "the warehouse system did not take the shipment")
            }
        }
        let order = try await f.run(f.pay(try await f.cart(quantity: 2)))
        await #expect { try await f.run(InvoiceSalesOrderRequest(salesOrderId: order.id), caller: .application(id: "erp")) } throws: {
            ($0 as? CommerceError)?.code == "WmsDown"
        }
        #expect(log.all == ["refund \(order.totalAmount)"])
        let stored = try await f.run(GetSalesOrderRequest(salesOrderId: order.id), caller: .application(id: "erp"))
        #expect(stored?.statusValue == SalesOrder.Status.created.rawValue)
        let payments = try await f.database.withTransaction(.read) { try await OrderStore($0).payments(orderId: order.id) }
        #expect(payments.map(\.status) == ["Authorized"])
        await f.database.close()
    }
}
