import ChannelDatabase
import CommerceQuery
@testable import CommerceRuntime
import Foundation
import Testing

/// Customer accounts, price groups, order history and the listings of orders and carts through
/// the real runtime on both backends.
@Suite("Customers, order history and listings")
struct CustomerTests {
    static let application = Caller.application(id: "erp")
    static let page = PagingOptions(top: 100, includeCount: true)

    static func filter(_ text: String) throws -> QueryCriteria {
        QueryCriteria(filter: try QueryParser.filter(text))
    }

    static func create(_ f: CartTests.Fixture, _ name: String, priceGroup: String? = nil) async throws -> Customer {
        try await f.run(CreateCustomerRequest(customer: CustomerInput(name: name, email: "\(name.lowercased())@example.com", priceGroup: priceGroup)), caller: application)
    }

    @Test("an application creates accounts from the channel's sequence; bad input is a 400 naming the property and writes nothing", arguments: Backend.allCases)
    func create(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let ann = try await f.run(
            CreateCustomerRequest(customer: CustomerInput(
                firstName: "Ann", lastName: "Lee", email: " ann@example.com ", phone: "+1 (425) 555-0100", customerGroup: "RETAIL",
                addresses: [
                    Address(name: "Home", street: "1 Main St", city: "Seattle", state: "WA", zipCode: "98101", threeLetterISORegionName: "usa"),
                    Address(name: "Work", street: "2 Pine St", city: "Seattle", state: "WA", zipCode: "98101", threeLetterISORegionName: "USA", isPrimary: true),
                ]
            )),
            caller: Self.application
        )
        #expect(ann.accountNumber == "128-C00000001")
        #expect(ann.name == "Ann Lee" && ann.firstName == "Ann" && ann.lastName == "Lee")
        #expect(ann.email == "ann@example.com" && ann.phone == "+1 (425) 555-0100" && ann.customerGroup == "RETAIL" && ann.priceGroup == nil)
        #expect(ann.version == 1)
        // The primary address comes first; exactly one is primary.
        #expect(ann.addresses.map(\.name) == ["Work", "Home"])
        #expect(ann.addresses.map(\.isPrimary) == [true, false])
        #expect(ann.addresses.allSatisfy { ($0.recordId ?? 0) > 0 } && ann.addresses.last?.threeLetterISORegionName == "USA")
        #expect(try await f.run(GetCustomerRequest(accountNumber: ann.accountNumber), caller: .customer(accountNumber: ann.accountNumber)) == ann)
        let bob = try await Self.create(f, "Bob")
        #expect(bob.accountNumber == "128-C00000002" && bob.addresses.isEmpty)

        let before = try await f.count("customers")
        let addressesBefore = try await f.count("customer_addresses")
        for (input, target) in [
            (CustomerInput(email: "x@example.com"), "Name"),
            (CustomerInput(name: "Cy", email: "not-an-address"), "Email"),
            (CustomerInput(name: "Cy", phone: "call me"), "Phone"),
            (CustomerInput(name: "Cy", priceGroup: "VIP; DROP"), "PriceGroup"),
            (CustomerInput(name: String(repeating: "n", count: 201)), "Name"),
            (CustomerInput(name: "Cy", addresses: [Address(street: "1 Main St", threeLetterISORegionName: "USA"), Address(street: "no country")]),
             "Addresses/1/ThreeLetterISORegionName"),
            (CustomerInput(name: "Cy", addresses: [Address(street: "1 Main St", threeLetterISORegionName: "USA", recordId: 1)]), "Addresses/0"),
            (CustomerInput(name: "Cy", addresses: [Address(street: "1 Main St", threeLetterISORegionName: "USA", phone: "555")]), "Addresses/0/Phone"),
        ] {
            await #expect(performing: { try await f.run(CreateCustomerRequest(customer: input), caller: Self.application) }, throws: { error in
                let error = error as? CommerceError
                return error?.kind == .invalidRequest && error?.target == target
            })
        }
        // Only back-office callers create accounts; customers are made by signing in.
        await #expect { try await f.run(CreateCustomerRequest(customer: CustomerInput(name: "Eve")), caller: .customer(accountNumber: bob.accountNumber)) } throws: {
            ($0 as? CommerceError)?.kind == .forbidden
        }
        #expect(try await f.count("customers") == before)
        #expect(try await f.count("customer_addresses") == addressesBefore)
        // An account number the sequence would give that is taken already (imported) is skipped.
        _ = try await f.database.withTransaction(.write) {
            try await $0.execute("INSERT INTO customers (account_number, name, created_at, modified_at) VALUES ('128-C00000003', 'Imported', 0, 0)", [])
        }
        #expect(try await Self.create(f, "Cy").accountNumber == "128-C00000004")
        await f.database.close()
    }

    @Test("a customer changes its own account and addresses; groups only by back office; versions guard changes", arguments: Backend.allCases)
    func update(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let ann = try await Self.create(f, "Ann")
        let bob = try await Self.create(f, "Bob")
        let asAnn = Caller.customer(accountNumber: ann.accountNumber)

        let home = Address(name: "Home", street: "1 Main St", city: "Seattle", state: "WA", zipCode: "98101", threeLetterISORegionName: "USA")
        let first = try await f.run(
            UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(name: "Ann Lee", phone: "555-0100", addresses: [home]), expectedVersion: 1),
            caller: asAnn
        )
        #expect(first.name == "Ann Lee" && first.phone == "555-0100" && first.email == "ann@example.com" && first.version == 2)
        #expect(first.addresses.count == 1 && first.addresses.first?.isPrimary == true)
        let homeId = try #require(first.addresses.first?.recordId)

        // Add a second address as the primary one, and change the first one's street.
        let second = try await f.run(
            UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(addresses: [
                Address(name: "Cabin", city: "Leavenworth", state: "WA", threeLetterISORegionName: "USA", isPrimary: true),
                Address(street: "9 Main St", recordId: homeId),
            ])),
            caller: asAnn
        )
        #expect(second.version == 3)
        #expect(second.addresses.map(\.name) == ["Cabin", "Home"] && second.addresses.map(\.isPrimary) == [true, false])
        #expect(second.addresses.last?.street == "9 Main St" && second.addresses.last?.city == "Seattle")
        let cabinId = try #require(second.addresses.first?.recordId)

        // Removing the primary address makes the one left primary.
        let third = try await f.run(
            UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(addresses: [Address(recordId: cabinId, deactivate: true)])), caller: asAnn
        )
        #expect(third.addresses.map(\.recordId) == [homeId] && third.addresses.first?.isPrimary == true)
        // Clearing an optional property.
        let cleared = try await f.run(UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(phone: "")), caller: asAnn)
        #expect(cleared.phone == nil && cleared.version == 5)

        // Refused changes leave the account as it was.
        for (request, caller, kind) in [
            (UpdateCustomerRequest(accountNumber: bob.accountNumber, changes: CustomerInput(name: "Mallory")), asAnn, CommerceError.Kind.notFound),
            (UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(priceGroup: "VIP")), asAnn, .forbidden),
            (UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(customerGroup: "STAFF")), asAnn, .forbidden),
            (UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(name: "Stale"), expectedVersion: 2), asAnn, .preconditionFailed),
            (UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(name: "X", addresses: [Address(street: "x", recordId: 999_999)])), asAnn,
             .invalidRequest),
            (UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(name: "X", email: "bad")), asAnn, .invalidRequest),
            (UpdateCustomerRequest(accountNumber: "no-such", changes: CustomerInput(name: "X")), Self.application, .notFound),
            (UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(name: "X")), Caller.anonymous, .notFound),
        ] {
            await #expect(performing: { try await f.run(request, caller: caller) }, throws: { ($0 as? CommerceError)?.kind == kind })
        }
        #expect(try await f.run(GetCustomerRequest(accountNumber: ann.accountNumber), caller: asAnn) == cleared)
        // Bob's address ids are not Ann's to change.
        let bobs = try await f.run(
            UpdateCustomerRequest(accountNumber: bob.accountNumber, changes: CustomerInput(addresses: [home])), caller: .customer(accountNumber: bob.accountNumber)
        )
        let bobHome = try #require(bobs.addresses.first?.recordId)
        await #expect { try await f.run(UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(addresses: [Address(recordId: bobHome, deactivate: true)])), caller: asAnn) } throws: {
            ($0 as? CommerceError)?.code == "UnknownAddress"
        }
        #expect(try await f.run(GetCustomerRequest(accountNumber: bob.accountNumber), caller: Self.application) == bobs)

        // An account from a sign-in without a name changes other properties; a name cannot be emptied.
        let signedIn = try await f.run(ResolveCustomerIdentityRequest(issuer: "https://idp.example", subject: "nameless"))
        let nameless = try await f.run(UpdateCustomerRequest(accountNumber: signedIn, changes: CustomerInput(phone: "555-0199")), caller: .customer(accountNumber: signedIn))
        #expect(nameless.name == "" && nameless.phone == "555-0199")
        await #expect { try await f.run(UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(name: " ")), caller: asAnn) } throws: {
            ($0 as? CommerceError)?.target == "Name"
        }

        // An application sets the groups.
        let grouped = try await f.run(
            UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(customerGroup: "STAFF", priceGroup: "VIP")), caller: Self.application
        )
        #expect(grouped.customerGroup == "STAFF" && grouped.priceGroup == "VIP")
        await f.database.close()
    }

    @Test("concurrent changes of one account version: exactly one wins, the others are 412", arguments: Backend.allCases)
    func concurrentUpdates(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let ann = try await Self.create(f, "Ann")
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        _ = try await f.run(
                            UpdateCustomerRequest(
                                accountNumber: ann.accountNumber, changes: CustomerInput(name: "Ann \(index)", addresses: [Address(city: "C\(index)", threeLetterISORegionName: "USA")]),
                                expectedVersion: 1
                            ),
                            caller: Self.application
                        )
                        return true
                    } catch let error as CommerceError where error.kind == .preconditionFailed {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let after = try #require(try await f.run(GetCustomerRequest(accountNumber: ann.accountNumber), caller: Self.application))
        #expect(after.version == 2 && after.addresses.count == 1 && after.addresses.first?.city == "C" + after.name.dropFirst(4))
        await f.database.close()
    }

    @Test("listing customers: applications and employees only, with filter, order, paging and count in SQL", arguments: Backend.allCases)
    func listCustomers(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        for name in ["Cyd", "Ann", "Bob"] { _ = try await Self.create(f, name, priceGroup: name == "Bob" ? "VIP" : nil) }
        let all = try await f.run(GetCustomersRequest(paging: Self.page), caller: Self.application)
        // The demo's customer and the three made here, by account number.
        #expect(all.totalCount == 4 && all.items.map(\.name) == ["Karen Berg", "Cyd", "Ann", "Bob"])
        #expect(all.items.first?.addresses.count == 1)
        let ordered = try await f.run(
            GetCustomersRequest(paging: PagingOptions(skip: 1, top: 2, includeCount: true), criteria: QueryCriteria(orderBy: try QueryParser.orderBy("Name desc"))),
            caller: .employee(id: "e1", storeNumbers: ["128"])
        )
        #expect(ordered.items.map(\.name) == ["Cyd", "Bob"] && ordered.totalCount == 4)
        let vip = try await f.run(GetCustomersRequest(paging: Self.page, criteria: try Self.filter("PriceGroup eq 'VIP'")), caller: Self.application)
        #expect(vip.items.map(\.name) == ["Bob"] && vip.totalCount == 1)
        let found = try await f.run(GetCustomersRequest(paging: Self.page, criteria: try Self.filter("startswith(Email,'ann')")), caller: Self.application)
        #expect(found.items.map(\.name) == ["Ann"])
        await #expect { try await f.run(GetCustomersRequest(paging: Self.page, criteria: try Self.filter("Password eq 'x'")), caller: Self.application) } throws: {
            ($0 as? CommerceError)?.kind == .invalidRequest
        }
        for caller in [Caller.customer(accountNumber: DemoData.customerAccount), .anonymous] {
            await #expect { try await f.run(GetCustomersRequest(paging: Self.page), caller: caller) } throws: { ($0 as? CommerceError)?.kind == .forbidden }
        }
        await f.database.close()
    }

    @Test("a price group set through the runtime prices the customer's cart with the group's trade agreement", arguments: Backend.allCases)
    func priceGroup(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        // Demo product 1: 5.99, 5.39 for the channel's ONLINE group; VIP pays 4.00.
        _ = try await f.database.withTransaction(.write) {
            try await $0.execute(
                "INSERT INTO price_lines (product_id, account_code, account_relation, currency_code, from_quantity, amount) VALUES (?, 'Group', 'VIP', 'USD', 0, ?)",
                [.integer(CartTests.product), try .decimal(4)]
            )
        }
        let ann = try await Self.create(f, "Ann")
        let asAnn = Caller.customer(accountNumber: ann.accountNumber)
        func linePrice() async throws -> Decimal? {
            let cart = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: CartTests.product, quantity: 1)]), caller: asAnn)
            #expect(cart.customerId == ann.accountNumber)
            return cart.cartLines.first?.price
        }
        #expect(try await linePrice() == Decimal(string: "5.39"))
        _ = try await f.run(UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(priceGroup: "VIP")), caller: Self.application)
        #expect(try await linePrice() == 4)
        // Another customer keeps the channel's price.
        let bob = try await Self.create(f, "Bob")
        let bobs = try await f.run(CreateCartRequest(cartLines: [CartLineInput(productId: CartTests.product, quantity: 1)]), caller: .customer(accountNumber: bob.accountNumber))
        #expect(bobs.cartLines.first?.price == Decimal(string: "5.39"))
        // Clearing the group takes the price back.
        _ = try await f.run(UpdateCustomerRequest(accountNumber: ann.accountNumber, changes: CustomerInput(priceGroup: "")), caller: Self.application)
        #expect(try await linePrice() == Decimal(string: "5.39"))
        await f.database.close()
    }

    @Test("order history and the order listing: a customer sees its own only, newest first, filtered in SQL", arguments: Backend.allCases)
    func orders(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let ann = try await Self.create(f, "Ann")
        let bob = try await Self.create(f, "Bob")
        let asAnn = Caller.customer(accountNumber: ann.accountNumber)
        let asBob = Caller.customer(accountNumber: bob.accountNumber)
        func order(_ caller: Caller, quantity: Decimal) async throws -> SalesOrder {
            let cart = try await f.run(
                CreateCartRequest(receiptEmail: "buyer@example.com", cartLines: [CartLineInput(productId: CartTests.otherProduct, quantity: quantity)]), caller: caller
            )
            return try await f.run(f.pay(cart), caller: caller)
        }
        let gift = CommerceProperty(key: "GiftMessage", value: .init(stringValue: "Happy birthday"))
        let giftCart = try await f.run(
            CreateCartRequest(receiptEmail: "buyer@example.com", cartLines: [CartLineInput(productId: CartTests.otherProduct, quantity: 1)], extensionProperties: [gift]),
            caller: asAnn
        )
        let a1 = try await f.run(f.pay(giftCart), caller: asAnn)
        #expect(a1.extensionProperties == [gift])
        let b1 = try await order(asBob, quantity: 1)
        let a2 = try await order(asAnn, quantity: 2)

        let history = try #require(try await f.run(GetOrderHistoryRequest(accountNumber: ann.accountNumber, paging: Self.page), caller: asAnn))
        #expect(Set(history.items.map(\.id)) == [a1.id, a2.id] && history.totalCount == 2)
        #expect(history.items.map(\.createdDateTime) == history.items.map(\.createdDateTime).sorted(by: >))
        #expect(history.items.allSatisfy { $0.statusValue == SalesOrder.Status.created.rawValue && $0.salesLines.count == 1 })
        // Each listed order is the order as read by key, its ExtensionProperties included.
        for listed in history.items { #expect(try await f.run(GetSalesOrderRequest(salesOrderId: listed.id), caller: asAnn) == listed) }
        let paged = try #require(try await f.run(
            GetOrderHistoryRequest(accountNumber: ann.accountNumber, paging: PagingOptions(skip: 1, top: 1)), caller: Self.application
        ))
        #expect(paged.items.map(\.id) == [history.items[1].id] && paged.totalCount == nil)
        #expect(try await f.run(GetOrderHistoryRequest(accountNumber: ann.accountNumber, paging: Self.page), caller: asBob) == nil)
        #expect(try await f.run(GetOrderHistoryRequest(accountNumber: "no-such", paging: Self.page), caller: Self.application) == nil)
        #expect(try await f.run(GetOrderHistoryRequest(accountNumber: ann.accountNumber, paging: Self.page), caller: .anonymous) == nil)

        let annList = try await f.run(GetSalesOrdersRequest(paging: Self.page), caller: asAnn)
        #expect(Set(annList.items.map(\.id)) == [a1.id, a2.id] && annList.totalCount == 2)
        // A filter naming another customer's order or account finds nothing: the own-orders
        // condition is in the same statement.
        for filter in ["CustomerId eq '\(bob.accountNumber)'", "Id eq '\(b1.id)'", "CustomerId ne '\(ann.accountNumber)' or Id ne ''"] {
            let page = try await f.run(GetSalesOrdersRequest(paging: Self.page, criteria: try Self.filter(filter)), caller: asAnn)
            #expect(page.items.allSatisfy { $0.customerId == ann.accountNumber }, "\(filter)")
            #expect(!page.items.contains { $0.id == b1.id }, "\(filter)")
        }
        let all = try await f.run(GetSalesOrdersRequest(paging: Self.page), caller: Self.application)
        #expect(Set(all.items.map(\.id)) == [a1.id, a2.id, b1.id])
        let big = try await f.run(
            GetSalesOrdersRequest(paging: Self.page, criteria: QueryCriteria(filter: try QueryParser.filter("SalesLines/any(l: l/Quantity gt 1)"))), caller: Self.application
        )
        #expect(big.items.map(\.id) == [a2.id])
        let bySalesId = try await f.run(
            GetSalesOrdersRequest(paging: Self.page, criteria: QueryCriteria(orderBy: try QueryParser.orderBy("SalesId"))), caller: Self.application
        )
        #expect(bySalesId.items.map(\.salesId) == ["128-00000001", "128-00000002", "128-00000003"])
        await #expect { try await f.run(GetSalesOrdersRequest(paging: Self.page), caller: .anonymous) } throws: { ($0 as? CommerceError)?.kind == .unauthorized }
        await f.database.close()
    }

    @Test("listing carts: a customer's own, the channel's for back office, none for anonymous callers; expired carts are left out", arguments: Backend.allCases)
    func carts(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let ann = try await Self.create(f, "Ann")
        let bob = try await Self.create(f, "Bob")
        let asAnn = Caller.customer(accountNumber: ann.accountNumber)
        let gift = CommerceProperty(key: "GiftMessage", value: .init(stringValue: "Happy birthday"))
        let wrap = CommerceProperty(key: "Wrap", value: .init(booleanValue: true))
        let annCart = try await f.run(
            CreateCartRequest(cartLines: [CartLineInput(productId: CartTests.product, quantity: 1, extensionProperties: [wrap])], extensionProperties: [gift]), caller: asAnn
        )
        #expect(annCart.extensionProperties == [gift] && annCart.cartLines.first?.extensionProperties == [wrap])
        let bobCart = try await f.run(CreateCartRequest(), caller: .customer(accountNumber: bob.accountNumber))
        let anonymousCart = try await f.run(CreateCartRequest())

        let annsCarts = try await f.run(GetCartsRequest(paging: Self.page), caller: asAnn)
        #expect(annsCarts.items == [annCart] && annsCarts.totalCount == 1)
        for filter in ["Id eq '\(bobCart.id)'", "Id eq '\(anonymousCart.id)'", "CustomerId eq null"] {
            #expect(try await f.run(GetCartsRequest(paging: Self.page, criteria: try Self.filter(filter)), caller: asAnn).items.isEmpty, "\(filter)")
        }
        #expect(try await f.run(GetCartsRequest(paging: Self.page, criteria: try Self.filter("Id eq '\(annCart.id)'")), caller: asAnn).items == [annCart])
        let all = try await f.run(GetCartsRequest(paging: Self.page), caller: Self.application)
        #expect(Set(all.items.map(\.id)) == [annCart.id, bobCart.id, anonymousCart.id] && all.totalCount == 3)
        let withLines = try await f.run(GetCartsRequest(paging: Self.page, criteria: try Self.filter("CartLines/any(l: l/ProductId eq \(CartTests.product))")), caller: Self.application)
        #expect(withLines.items.map(\.id) == [annCart.id])
        await #expect { try await f.run(GetCartsRequest(paging: Self.page), caller: .anonymous) } throws: { ($0 as? CommerceError)?.kind == .unauthorized }

        // A cart idle past the expiry is gone from the listing as from reads by id.
        _ = try await f.database.withTransaction(.write) { try await $0.execute("UPDATE carts SET modified_at = 0 WHERE id = ?", [.text(bobCart.id)]) }
        let live = try await f.run(GetCartsRequest(paging: Self.page), caller: Self.application)
        #expect(!live.items.contains { $0.id == bobCart.id } && live.totalCount == 2)
        await f.database.close()
    }
}
