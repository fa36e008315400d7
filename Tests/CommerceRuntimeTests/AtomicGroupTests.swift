import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Synchronization
import Testing

/// Several top-level requests in one transaction (`CommerceRuntime.atomically`), as the API's
/// `$batch` atomicity groups and change sets use it, on both backends.
@Suite("Atomic groups of requests")
struct AtomicGroupTests {
    struct GroupAbandoned: Error {}

    /// Fails when `work` has not finished within `limit`, without waiting for it: a group that
    /// deadlocked (a second write transaction waiting for the group's own) never returns.
    static func finishes<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let (stream, continuation) = AsyncThrowingStream<T, any Error>.makeStream()
        let worker = Task {
            do { continuation.yield(try await work()) } catch { continuation.finish(throwing: error) }
            continuation.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            continuation.finish(throwing: TimedOut())
        }
        defer { timer.cancel() }
        for try await value in stream { return value }
        worker.cancel()
        throw TimedOut()
    }

    struct TimedOut: Error {}

    @Test("several writes in one group commit together; reads in the group see them; SQLite's one writer does not deadlock",
          arguments: Backend.allCases)
    func commits(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        // Only the group is timed: preparing a seeded database takes long on a loaded machine.
        let cartId = try await Self.finishes(within: .seconds(120)) { try await f.runtime.atomically {
            _ = try await f.run(RecordVisitRequest(name: "a"))
            _ = try await f.run(RecordVisitRequest(name: "b"))
            let cart = try await f.run(CreateCartRequest(receiptEmail: "shopper@example.com"))
            let added = try await f.run(AddCartLinesRequest(cartId: cart.id, cartLines: [CartLineInput(productId: CartTests.product, quantity: 2)], cartVersion: 1))
            // A read request joins the group's write transaction, so it sees what the group wrote.
            let read = try await f.run(GetCartRequest(cartId: cart.id))
            #expect(read == added)
            #expect(try await f.run(RecordVisitRequest(name: "c")) == ["a", "b", "c"])
            return cart.id
        } }
        #expect(try await visitCount(f.database) == 3)
        #expect(try await f.run(GetCartRequest(cartId: cartId))?.cartLines.first?.quantity == 2)
        // The writer is free again: a request of its own runs at once.
        _ = try await f.run(RecordVisitRequest(name: "d"))
        #expect(try await visitCount(f.database) == 4)
        await f.database.close()
    }

    @Test("a group whose body throws leaves nothing behind", arguments: Backend.allCases)
    func rollsBack(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let carts = try await f.count("carts")
        await #expect(throws: GroupAbandoned.self) {
            try await f.runtime.atomically {
                _ = try await f.run(RecordVisitRequest(name: "a"))
                _ = try await f.run(CreateCartRequest())
                throw GroupAbandoned()
            }
        }
        #expect(try await visitCount(f.database) == 0)
        #expect(try await f.count("carts") == carts)
        await f.database.close()
    }

    @Test("a request that fails fails its group, even when the caller catches the error; later requests of the group are refused",
          arguments: Backend.allCases)
    func failedRequestPoisonsGroup(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let refusal = Refusal()
        await #expect { try await f.runtime.atomically {
            _ = try await f.run(RecordVisitRequest(name: "a"))
            do {
                _ = try await f.run(AddCartLinesRequest(cartId: "no-such-cart", cartLines: [CartLineInput(productId: CartTests.product, quantity: 1)]))
            } catch {}
            do {
                _ = try await f.run(RecordVisitRequest(name: "b"))
            } catch let error as CommerceError {
                refusal.code = error.code
            }
        } } throws: { ($0 as? CommerceError)?.code == "AtomicGroupFailed" }
        #expect(refusal.code == "AtomicGroupFailed")
        #expect(try await visitCount(f.database) == 0)
        await f.database.close()
    }

    @Test("the requests of one group are for one channel", arguments: Backend.allCases)
    func oneChannel(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let store = try f.runtime.channel(orgUnitNumber: DemoData.physicalStoreNumber)
        await #expect { try await f.runtime.atomically {
            _ = try await f.run(RecordVisitRequest(name: "online"))
            _ = try await f.runtime.execute(RecordVisitRequest(name: "store"), channel: store, caller: .anonymous)
        } } throws: { ($0 as? CommerceError)?.code == "AtomicGroupChannel" }
        #expect(try await visitCount(f.database) == 0)
        await f.database.close()
    }

    @Test("a checkout in a group that rolls back is voided after the rollback; in a group that commits it is not", arguments: Backend.allCases)
    func checkoutCompensation(_ backend: Backend) async throws {
        let log = CallLog()
        let f = try await CartTests.fixture(backend) { registry in
            registry.spy(AuthorizePaymentRequest.self, into: log) { request in "authorize \(request.amount)" }
            registry.spy(VoidPaymentRequest.self, into: log) { request in "void \(request.amount)" }
        }
        let cart = try await f.cart(quantity: 2)
        await #expect(throws: GroupAbandoned.self) {
            try await f.runtime.atomically {
                let order = try await f.run(f.pay(cart, key: "group-1"))
                #expect(order.channelReferenceId == cart.id)
                throw GroupAbandoned()
            }
        }
        #expect(log.all == ["authorize \(cart.amountDue)", "void \(cart.amountDue)"])
        #expect(try await f.count("sales_orders") == 0)
        #expect(try await f.count("payments") == 0)
        #expect(try await f.available(CartTests.product) == 5)
        #expect(try await f.run(GetCartRequest(cartId: cart.id)) == cart)

        // The same checkout again, twice with its Idempotency-Key inside one group that commits:
        // one authorization, the same order twice, nothing voided.
        let (first, second) = try await f.runtime.atomically {
            (try await f.run(f.pay(cart, key: "group-1")), try await f.run(f.pay(cart, key: "group-1")))
        }
        #expect(first.id == second.id)
        #expect(log.all == ["authorize \(cart.amountDue)", "void \(cart.amountDue)", "authorize \(cart.amountDue)"])
        #expect(try await f.count("sales_orders") == 1)
        #expect(try await f.count("payments") == 1)
        #expect(try await f.available(CartTests.product) == 3)
        await f.database.close()
    }
}

/// What a group's body saw, read after the group ended.
private final class Refusal: Sendable {
    private let value = Mutex<String?>(nil)
    var code: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
