public import CommerceQuery
import ChannelDatabase
import Foundation

/// A customer account as the API shows it, with Retail Server's names.
public struct Customer: Codable, Sendable, Equatable {
    public var accountNumber: String
    public var name: String
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    /// The customer group (`customers.customer_group`), as headquarters assigns it.
    public var customerGroup: String?
    /// The price group whose trade agreements price this customer's carts.
    public var priceGroup: String?
    /// The optimistic-concurrency token: every change moves it on; the API's ETag is `W/"<version>"`.
    public var version: Int64
    /// Primary address first, then in the order added; each with its `recordId` and `isPrimary`.
    public var addresses: [Address]

    public init(
        accountNumber: String, name: String, firstName: String? = nil, lastName: String? = nil, email: String? = nil, phone: String? = nil,
        customerGroup: String? = nil, priceGroup: String? = nil, version: Int64 = 1, addresses: [Address] = []
    ) {
        self.accountNumber = accountNumber
        self.name = name
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.customerGroup = customerGroup
        self.priceGroup = priceGroup
        self.version = version
        self.addresses = addresses
    }

    enum CodingKeys: String, CodingKey {
        case accountNumber = "AccountNumber"
        case name = "Name"
        case firstName = "FirstName"
        case lastName = "LastName"
        case email = "Email"
        case phone = "Phone"
        case customerGroup = "CustomerGroup"
        case priceGroup = "PriceGroup"
        case version = "Version"
        case addresses = "Addresses"
    }

    init(_ record: CustomerRecord) {
        self.init(
            accountNumber: record.accountNumber, name: record.name, firstName: record.firstName, lastName: record.lastName, email: record.email,
            phone: record.phone, customerGroup: record.customerGroup, priceGroup: record.priceGroup, version: record.version,
            addresses: record.addresses.map {
                Address(
                    name: $0.name, street: $0.street, city: $0.city, state: $0.state, zipCode: $0.zipCode, threeLetterISORegionName: $0.countryRegionId,
                    recordId: $0.recordId, isPrimary: $0.isPrimary
                )
            }
        )
    }
}

/// What a create or a change of an account sets. In a change, nil leaves a property as it is
/// and an empty string clears an optional one (`Email`, `Phone`, the groups, the name parts).
public struct CustomerInput: Codable, Sendable, Equatable {
    public var name: String?
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var customerGroup: String?
    public var priceGroup: String?
    /// In a create, the addresses to add. In a change, the address changes: without `recordId`
    /// an address is added, with one it is updated (the properties given replace the stored
    /// ones), with `deactivate: true` it is removed. `isPrimary: true` makes one the primary
    /// address; an account with addresses always has exactly one.
    public var addresses: [Address]?

    public init(
        name: String? = nil, firstName: String? = nil, lastName: String? = nil, email: String? = nil, phone: String? = nil,
        customerGroup: String? = nil, priceGroup: String? = nil, addresses: [Address]? = nil
    ) {
        self.name = name
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.customerGroup = customerGroup
        self.priceGroup = priceGroup
        self.addresses = addresses
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case firstName = "FirstName"
        case lastName = "LastName"
        case email = "Email"
        case phone = "Phone"
        case customerGroup = "CustomerGroup"
        case priceGroup = "PriceGroup"
        case addresses = "Addresses"
    }
}

/// Reads a customer account; nil when there is none the caller may see. A customer sees only
/// its own account: another account answers nil, exactly as one that does not exist.
public struct GetCustomerRequest: CommerceRequest {
    public typealias Response = Customer?
    public static let typeName = "GetCustomerRequest"
    public static let mode = RequestMode.read
    public var accountNumber: String

    public init(accountNumber: String) {
        self.accountNumber = accountNumber
    }

    enum CodingKeys: String, CodingKey {
        case accountNumber = "AccountNumber"
    }
}

/// Creates an account for an application or employee (a customer's own account is made by
/// its first sign-in). The number is the channel's next of sequence `customer`:
/// `<operating unit number>-C<8 digits>`, e.g. `128-C00000001`.
public struct CreateCustomerRequest: CommerceRequest {
    public typealias Response = Customer
    public static let typeName = "CreateCustomerRequest"
    public static let mode = RequestMode.write
    public var customer: CustomerInput

    public init(customer: CustomerInput) { self.customer = customer }

    enum CodingKeys: String, CodingKey {
        case customer = "Customer"
    }
}

/// Changes an account: a customer its own (another answers `CustomerNotFound`), applications
/// and employees any. Only applications and employees may set the customer and price group.
/// `expectedVersion` (from `If-Match`) refuses the change with 412 when the account has moved on.
public struct UpdateCustomerRequest: CommerceRequest {
    public typealias Response = Customer
    public static let typeName = "UpdateCustomerRequest"
    public static let mode = RequestMode.write
    public var accountNumber: String
    public var changes: CustomerInput
    public var expectedVersion: Int64?

    public init(accountNumber: String, changes: CustomerInput, expectedVersion: Int64? = nil) {
        self.accountNumber = accountNumber
        self.changes = changes
        self.expectedVersion = expectedVersion
    }

    enum CodingKeys: String, CodingKey {
        case accountNumber = "AccountNumber"
        case changes = "Changes"
        case expectedVersion = "ExpectedVersion"
    }
}

/// A page of customer accounts, for applications and employees only.
public struct GetCustomersRequest: CommerceRequest {
    public typealias Response = Page<Customer>
    public static let typeName = "GetCustomersRequest"
    public static let mode = RequestMode.read
    public var paging: PagingOptions
    /// Filter, search and order; empty reads all in account-number order.
    public var criteria: QueryCriteria

    public init(paging: PagingOptions, criteria: QueryCriteria = QueryCriteria()) {
        self.paging = paging
        self.criteria = criteria
    }
}

/// A customer's sales orders in the request's channel, newest first (unless `criteria` orders
/// otherwise); nil when the caller may not see the account (a customer sees only its own) or
/// there is no such account.
public struct GetOrderHistoryRequest: CommerceRequest {
    public typealias Response = Page<SalesOrder>?
    public static let typeName = "GetOrderHistoryRequest"
    public static let mode = RequestMode.read
    public var accountNumber: String
    public var paging: PagingOptions
    public var criteria: QueryCriteria

    public init(accountNumber: String, paging: PagingOptions, criteria: QueryCriteria = QueryCriteria()) {
        self.accountNumber = accountNumber
        self.paging = paging
        self.criteria = criteria
    }

    enum CodingKeys: String, CodingKey {
        case accountNumber = "AccountNumber"
        case paging = "Paging"
        case criteria = "Criteria"
    }
}

extension CustomerHandlers {
    static func mayRead(account: String, _ caller: Caller) -> Bool {
        switch caller {
        case .anonymous: false
        case .customer(let own): own == account
        case .application, .employee: true
        }
    }

    static func isBackOffice(_ caller: Caller) -> Bool {
        switch caller {
        case .application, .employee: true
        case .anonymous, .customer: false
        }
    }

    static func customerNotFound(_ account: String) -> CommerceError {
        CommerceError(.notFound, code: "CustomerNotFound", "there is no customer '\(account)'")
    }

    /// An account has at most this many addresses, so that an account stays an account.
    static let maximumAddresses = 50

    static func registerReads(in registry: inout HandlerRegistry) {
        registry.register(GetCustomerRequest.self) { request, context in
            guard mayRead(account: request.accountNumber, context.caller),
                  let record = try await CustomerStore(context.transaction).customer(account: request.accountNumber)
            else { return nil }
            return Customer(record)
        }

        registry.register(GetCustomersRequest.self) { request, context in
            guard isBackOffice(context.caller) else {
                throw CommerceError(.forbidden, code: "Forbidden", "only applications and employees may list customers")
            }
            let store = CustomerStore(context.transaction)
            return try await translatingQueryErrors {
                let records = try await store.customers(skip: request.paging.skip, top: request.paging.top, criteria: request.criteria)
                let count = request.paging.includeCount ? try await store.customerCount(criteria: request.criteria) : nil
                return Page(items: records.map(Customer.init), totalCount: count)
            }
        }

        registry.register(GetOrderHistoryRequest.self) { request, context in
            guard mayRead(account: request.accountNumber, context.caller),
                  try await CustomerStore(context.transaction).customer(account: request.accountNumber) != nil
            else { return nil }
            return try await OrderHandlers.page(
                customer: request.accountNumber, paging: request.paging, criteria: request.criteria, context: context
            )
        }

        registry.register(CreateCustomerRequest.self) { request, context in
            guard isBackOffice(context.caller) else {
                throw CommerceError(.forbidden, code: "Forbidden", "only applications and employees create customer accounts; customers sign in")
            }
            var record = try validated(request.customer, onto: CustomerRecord(accountNumber: "", name: ""), creating: true)
            let addresses = try request.customer.addresses.map { try newAddresses($0, existing: 0) } ?? []
            record.addresses = primaryNormalized(addresses)
            let orders = OrderStore(context.transaction)
            let store = CustomerStore(context.transaction)
            let now = PricingHandlers.currentInstant()
            // Accounts may also come from headquarters; a number that is taken is skipped.
            for _ in 0..<10 {
                let number = try await orders.nextNumber(channelId: context.channel.recordId, sequence: "customer")
                record.accountNumber = accountNumber(channel: context.channel.orgUnitNumber, number: number)
                if try await store.insert(record, now: now) {
                    guard let created = try await store.customer(account: record.accountNumber) else {
                        throw CommerceError.internalError("a created customer account could not be read back")
                    }
                    return Customer(created)
                }
            }
            throw CommerceError(.conflict, code: "CustomerNumberExhausted", "no free customer account number was found in the channel's sequence")
        }

        registry.register(UpdateCustomerRequest.self) { request, context in
            let store = CustomerStore(context.transaction)
            guard mayRead(account: request.accountNumber, context.caller), let current = try await store.customer(account: request.accountNumber) else {
                throw customerNotFound(request.accountNumber)
            }
            if !isBackOffice(context.caller) {
                for (value, name) in [(request.changes.customerGroup, "CustomerGroup"), (request.changes.priceGroup, "PriceGroup")] where value != nil {
                    throw CommerceError(.forbidden, code: "Forbidden", "only applications and employees may set \(name)", target: name)
                }
            }
            if let expected = request.expectedVersion, expected != current.version {
                throw versionConflict(current: current.version, given: expected)
            }
            var changed = try validated(request.changes, onto: current, creating: false)
            let addressChanges = try request.changes.addresses.map { try addressPlan($0, current: current.addresses) }
            guard try await store.update(changed, expectedVersion: current.version, now: PricingHandlers.currentInstant()) else {
                throw versionConflict(current: nil, given: request.expectedVersion ?? current.version)
            }
            if let addressChanges {
                for id in addressChanges.removed {
                    guard try await store.deleteAddress(recordId: id, account: current.accountNumber) else {
                        throw unknownAddress(id)
                    }
                }
                for address in addressChanges.kept {
                    if address.recordId == 0 {
                        try await store.insertAddress(address, account: current.accountNumber)
                    } else {
                        let updated = try await store.updateAddress(address, account: current.accountNumber)
                        if !updated { throw unknownAddress(address.recordId) }
                    }
                }
            }
            guard let updated = try await store.customer(account: current.accountNumber) else { throw customerNotFound(current.accountNumber) }
            changed = updated
            return Customer(changed)
        }
    }

    static func accountNumber(channel: String, number: Int64) -> String {
        let digits = String(number)
        return "\(channel)-C" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    static func versionConflict(current: Int64?, given: Int64) -> CommerceError {
        let now = current.map { "; it is at version \($0)" } ?? ""
        return CommerceError(.preconditionFailed, code: "CustomerVersionConflict", "the customer account has changed since version \(given)\(now)")
    }

    static func unknownAddress(_ id: Int64) -> CommerceError {
        CommerceError(.invalidRequest, code: "UnknownAddress", "the customer has no address with RecordId \(id)", target: "Addresses/RecordId")
    }

    /// The account with `input` applied, checked: a name (or first and last name) is required on
    /// create; e-mail, phone and groups must be well-formed.
    static func validated(_ input: CustomerInput, onto record: CustomerRecord, creating: Bool) throws -> CustomerRecord {
        var result = record
        func cleared(_ value: String?, keep: String?) -> String? {
            guard let value else { return keep }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
        result.firstName = cleared(input.firstName, keep: record.firstName)
        result.lastName = cleared(input.lastName, keep: record.lastName)
        for (value, target) in [(result.firstName, "FirstName"), (result.lastName, "LastName")] where (value?.count ?? 0) > 100 {
            throw CommerceError.invalidRequest("\(target) has at most 100 characters", target: target)
        }
        if let name = input.name {
            result.name = name.trimmingCharacters(in: .whitespaces)
        } else if creating {
            result.name = [result.firstName, result.lastName].compactMap { $0 }.joined(separator: " ")
        }
        // An account made by a sign-in whose token had no name has none; it can still change
        // other properties, but a name once given cannot be emptied.
        guard !result.name.isEmpty || (!creating && input.name == nil) else {
            throw CommerceError.invalidRequest("a customer needs a Name (or FirstName and LastName)", target: "Name")
        }
        guard result.name.count <= 200 else { throw CommerceError.invalidRequest("Name has at most 200 characters", target: "Name") }
        if let email = input.email {
            let trimmed = email.trimmingCharacters(in: .whitespaces)
            do {
                result.email = trimmed.isEmpty ? nil : try CartHandlers.validEmail(trimmed)
            } catch {
                throw CommerceError(.invalidRequest, code: "InvalidEmail", "Email is not a valid e-mail address", target: "Email")
            }
        }
        result.phone = cleared(input.phone, keep: record.phone)
        if let phone = result.phone, phone.count > 50 || !phone.allSatisfy({ $0.isNumber || " +-()./".contains($0) }) {
            throw CommerceError.invalidRequest("Phone has at most 50 characters: digits, spaces and + - ( ) . /", target: "Phone")
        }
        result.customerGroup = cleared(input.customerGroup, keep: record.customerGroup)
        result.priceGroup = cleared(input.priceGroup, keep: record.priceGroup)
        for (value, target) in [(result.customerGroup, "CustomerGroup"), (result.priceGroup, "PriceGroup")] {
            if let value, value.count > 50 || !value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                throw CommerceError.invalidRequest("\(target) is 1 to 50 letters, digits, '-' or '_'", target: target)
            }
        }
        return result
    }

    /// Addresses to add to an account that has `existing` already, checked.
    static func newAddresses(_ addresses: [Address], existing: Int) throws -> [CustomerAddressRecord] {
        guard existing + addresses.count <= maximumAddresses else {
            throw CommerceError.invalidRequest("an account has at most \(maximumAddresses) addresses", target: "Addresses")
        }
        return try addresses.enumerated().map { index, address in
            if address.recordId != nil || address.deactivate == true {
                throw CommerceError.invalidRequest("a new account's addresses have no RecordId or Deactivate", target: "Addresses/\(index)")
            }
            return try addressRecord(address, onto: CustomerAddressRecord(), index: index)
        }
    }

    /// An address with the properties `address` gives applied to `stored`, checked; a new one
    /// must name its country.
    static func addressRecord(_ address: Address, onto stored: CustomerAddressRecord, index: Int) throws -> CustomerAddressRecord {
        var record = stored
        let target = "Addresses/\(index)"
        // A customer address keeps no e-mail, phone or properties of its own: refused, not dropped
        // (an empty value, as a read answers it, is fine).
        for (value, name) in [(address.email, "Email"), (address.phone, "Phone")] where !(value ?? "").isEmpty {
            throw CommerceError.invalidRequest("a customer address has no \(name); set the account's \(name)", target: "\(target)/\(name)")
        }
        if !(address.extensionProperties ?? []).isEmpty {
            throw CommerceError.invalidRequest("a customer address keeps no ExtensionProperties", target: "\(target)/ExtensionProperties")
        }
        func text(_ value: String?, _ keep: String, _ name: String) throws -> String {
            guard let value else { return keep }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard trimmed.count <= 250 else { throw CommerceError.invalidRequest("\(name) has at most 250 characters", target: "\(target)/\(name)") }
            return trimmed
        }
        record.name = try text(address.name, stored.name, "Name")
        record.street = try text(address.street, stored.street, "Street")
        record.city = try text(address.city, stored.city, "City")
        record.state = try text(address.state, stored.state, "State")
        record.zipCode = try text(address.zipCode, stored.zipCode, "ZipCode")
        let country = try text(address.threeLetterISORegionName, stored.countryRegionId, "ThreeLetterISORegionName").uppercased()
        guard country.count == 3, country.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw CommerceError.invalidRequest(
                "an address needs ThreeLetterISORegionName, a three-letter ISO country code such as USA", target: "\(target)/ThreeLetterISORegionName"
            )
        }
        record.countryRegionId = country
        if let primary = address.isPrimary { record.isPrimary = primary }
        return record
    }

    /// What an account's addresses become: removed record ids and the addresses that remain
    /// (new ones with record id 0), exactly one of them primary.
    static func addressPlan(_ changes: [Address], current: [CustomerAddressRecord]) throws -> (removed: [Int64], kept: [CustomerAddressRecord]) {
        var kept = current
        var removed: [Int64] = []
        var added: [CustomerAddressRecord] = []
        enum Primary { case stored(Int64), added(Int) }
        var newPrimary: Primary?
        for (index, change) in changes.enumerated() {
            if let id = change.recordId {
                guard let position = kept.firstIndex(where: { $0.recordId == id }) else {
                    throw CommerceError(
                        .invalidRequest, code: "UnknownAddress", "the customer has no address with RecordId \(id)", target: "Addresses/\(index)/RecordId"
                    )
                }
                if change.deactivate == true {
                    removed.append(id)
                    kept.remove(at: position)
                    continue
                }
                kept[position] = try addressRecord(change, onto: kept[position], index: index)
                if change.isPrimary == true { newPrimary = .stored(id) }
            } else {
                guard change.deactivate != true else {
                    throw CommerceError.invalidRequest("Deactivate removes a stored address: give its RecordId", target: "Addresses/\(index)/Deactivate")
                }
                var record = try addressRecord(change, onto: CustomerAddressRecord(), index: index)
                record.recordId = 0
                added.append(record)
                if change.isPrimary == true { newPrimary = .added(added.count - 1) }
            }
        }
        guard kept.count + added.count <= maximumAddresses else {
            throw CommerceError.invalidRequest("an account has at most \(maximumAddresses) addresses", target: "Addresses")
        }
        var all = kept + added
        // The address the change made primary wins; the others stop being primary.
        if let newPrimary {
            let chosen: Int? = switch newPrimary {
            case .stored(let id): all.firstIndex { $0.recordId == id }
            case .added(let position): kept.count + position
            }
            for index in all.indices { all[index].isPrimary = index == chosen }
        }
        return (removed, primaryNormalized(all))
    }

    /// Exactly one primary address when there are any: the first marked one, else the first.
    static func primaryNormalized(_ addresses: [CustomerAddressRecord]) -> [CustomerAddressRecord] {
        guard !addresses.isEmpty else { return addresses }
        let primary = addresses.firstIndex { $0.isPrimary } ?? 0
        var result = addresses
        for index in result.indices { result[index].isPrimary = index == primary }
        return result
    }
}
