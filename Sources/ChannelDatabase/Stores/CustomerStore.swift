public import CommerceQuery

/// A customer account with its addresses.
public struct CustomerRecord: Sendable, Equatable {
    public var accountNumber: String
    public var name: String
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var phone: String?
    public var customerGroup: String?
    public var priceGroup: String?
    /// Bumped by every change through the API; the account's optimistic-concurrency token.
    public var version: Int64
    public var addresses: [CustomerAddressRecord]

    public init(
        accountNumber: String, name: String, firstName: String? = nil, lastName: String? = nil, email: String? = nil, phone: String? = nil,
        customerGroup: String? = nil, priceGroup: String? = nil, version: Int64 = 1, addresses: [CustomerAddressRecord] = []
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
}

public struct CustomerAddressRecord: Sendable, Equatable {
    /// Assigned by the database on insert; 0 for an address not stored yet.
    public var recordId: Int64
    public var name: String
    public var street: String
    public var city: String
    public var state: String
    public var zipCode: String
    public var countryRegionId: String
    public var isPrimary: Bool

    public init(
        recordId: Int64 = 0, name: String = "", street: String = "", city: String = "", state: String = "", zipCode: String = "",
        countryRegionId: String = "", isPrimary: Bool = false
    ) {
        self.recordId = recordId
        self.name = name
        self.street = street
        self.city = city
        self.state = state
        self.zipCode = zipCode
        self.countryRegionId = countryRegionId
        self.isPrimary = isPrimary
    }
}

/// Customer accounts: reads, listings, changes, and the account an external identity (an
/// OpenID Connect issuer and subject) signs in as.
public struct CustomerStore: Sendable {
    let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    /// The account linked to `subject` at `issuer`, if any.
    public func account(issuer: String, subject: String) async throws -> String? {
        try await transaction.queryFirst(
            "SELECT account_number FROM customers WHERE identity_issuer = ? AND identity_subject = ?", [.text(issuer), .text(subject)]
        )?.string("account_number")
    }

    /// Creates an account linked to the identity; false when the account number or the identity
    /// is taken already (a concurrent first sign-in of the same subject, or a number collision),
    /// so the caller reads again instead of failing.
    public func insert(account: String, issuer: String, subject: String, name: String, email: String?, now: Int64) async throws -> Bool {
        try await transaction.execute(
            """
            INSERT INTO customers (account_number, name, email, identity_issuer, identity_subject, created_at, modified_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            [.text(account), .text(name), .optional(email), .text(issuer), .text(subject), .integer(now), .integer(now)]
        ) == 1
    }

    /// Creates an account without an identity (made by an application or employee), with its
    /// addresses; false when the account number is taken, and then nothing is written.
    public func insert(_ customer: CustomerRecord, now: Int64) async throws -> Bool {
        let inserted = try await transaction.execute(
            """
            INSERT INTO customers (account_number, name, first_name, last_name, email, phone, customer_group, price_group, version,
                                   created_at, modified_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING
            """,
            [
                .text(customer.accountNumber), .text(customer.name), .optional(customer.firstName), .optional(customer.lastName),
                .optional(customer.email), .optional(customer.phone), .optional(customer.customerGroup), .optional(customer.priceGroup),
                .integer(now), .integer(now),
            ]
        )
        guard inserted == 1 else { return false }
        for address in customer.addresses { try await insertAddress(address, account: customer.accountNumber) }
        return true
    }

    /// Writes an account's own properties and moves it to its next version; false when the
    /// account is gone or its version is no longer `expectedVersion` (a concurrent change won).
    ///
    /// One conditional UPDATE: on PostgreSQL a concurrent writer waits for the row lock and then
    /// finds the version changed; on SQLite writers are serialized anyway.
    public func update(_ customer: CustomerRecord, expectedVersion: Int64, now: Int64) async throws -> Bool {
        try await transaction.execute(
            """
            UPDATE customers SET name = ?, first_name = ?, last_name = ?, email = ?, phone = ?, customer_group = ?, price_group = ?,
                                 version = version + 1, modified_at = ?
            WHERE account_number = ? AND version = ?
            """,
            [
                .text(customer.name), .optional(customer.firstName), .optional(customer.lastName), .optional(customer.email),
                .optional(customer.phone), .optional(customer.customerGroup), .optional(customer.priceGroup), .integer(now),
                .text(customer.accountNumber), .integer(expectedVersion),
            ]
        ) == 1
    }

    @discardableResult
    public func insertAddress(_ address: CustomerAddressRecord, account: String) async throws -> Int64? {
        let row = try await transaction.queryFirst(
            """
            INSERT INTO customer_addresses (account_number, name, street, city, state, zip_code, country_region_id, is_primary)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING record_id
            """,
            [
                .text(account), .text(address.name), .text(address.street), .text(address.city), .text(address.state), .text(address.zipCode),
                .text(address.countryRegionId), .bool(address.isPrimary),
            ]
        )
        return row?.int64("record_id")
    }

    /// Rewrites one address of the account; false when the account has no such address.
    public func updateAddress(_ address: CustomerAddressRecord, account: String) async throws -> Bool {
        try await transaction.execute(
            """
            UPDATE customer_addresses SET name = ?, street = ?, city = ?, state = ?, zip_code = ?, country_region_id = ?, is_primary = ?
            WHERE record_id = ? AND account_number = ?
            """,
            [
                .text(address.name), .text(address.street), .text(address.city), .text(address.state), .text(address.zipCode),
                .text(address.countryRegionId), .bool(address.isPrimary), .integer(address.recordId), .text(account),
            ]
        ) == 1
    }

    /// Removes one address of the account; false when the account has no such address.
    public func deleteAddress(recordId: Int64, account: String) async throws -> Bool {
        try await transaction.execute(
            "DELETE FROM customer_addresses WHERE record_id = ? AND account_number = ?", [.integer(recordId), .text(account)]
        ) == 1
    }

    /// Gives a cart without a customer to `account`; a cart that has one keeps it.
    public func assignAnonymousCart(id: String, to account: String) async throws {
        try await transaction.execute("UPDATE carts SET customer_account = ? WHERE id = ? AND customer_account IS NULL", [.text(account), .text(id)])
    }

    private static let selectCustomer = """
        SELECT cu.account_number, cu.name, cu.first_name, cu.last_name, cu.email, cu.phone, cu.customer_group, cu.price_group, cu.version
        FROM customers cu
        """

    public func customer(account: String) async throws -> CustomerRecord? {
        guard let row = try await transaction.queryFirst(Self.selectCustomer + " WHERE cu.account_number = ?", [.text(account)]) else { return nil }
        return try await withAddresses([Self.record(row)]).first
    }

    /// One page of accounts matching `criteria`, in its order and then by account number.
    public func customers(skip: Int, top: Int, criteria: QueryCriteria = QueryCriteria()) async throws -> [CustomerRecord] {
        let query = try CatalogStore.selection(criteria, table: Self.customerTable, key: "cu.account_number", dialect: transaction.dialect)
        let paging: [DatabaseValue] = [.integer(Int64(top)), .integer(Int64(skip))]
        let rows = try await transaction.query(Self.selectCustomer + query.whereSQL + query.orderSQL + " LIMIT ? OFFSET ?", query.arguments + paging)
        return try await withAddresses(rows.map(Self.record))
    }

    public func customerCount(criteria: QueryCriteria = QueryCriteria()) async throws -> Int {
        let query = try CatalogStore.selection(
            QueryCriteria(filter: criteria.filter, search: criteria.search), table: Self.customerTable, key: nil, dialect: transaction.dialect
        )
        return try await transaction.queryFirst("SELECT COUNT(*) AS n FROM customers cu" + query.whereSQL, query.arguments)?.int("n") ?? 0
    }

    /// How `Customers` properties map onto the table, for `$filter`, `$orderby` and `$search`.
    public static let customerTable = SQLQueryTable(
        alias: "cu",
        properties: [
            "AccountNumber": SQLQueryColumn("cu.account_number", .string),
            "Name": SQLQueryColumn("cu.name", .string),
            "FirstName": SQLQueryColumn("cu.first_name", .string, nullable: true),
            "LastName": SQLQueryColumn("cu.last_name", .string, nullable: true),
            "Email": SQLQueryColumn("cu.email", .string, nullable: true),
            "Phone": SQLQueryColumn("cu.phone", .string, nullable: true),
            "CustomerGroup": SQLQueryColumn("cu.customer_group", .string, nullable: true),
            "PriceGroup": SQLQueryColumn("cu.price_group", .string, nullable: true),
        ],
        searchProperties: ["Name", "Email", "AccountNumber"]
    )

    /// Addresses of several accounts in one statement, primary first, then in the order added.
    private func withAddresses(_ customers: [CustomerRecord]) async throws -> [CustomerRecord] {
        guard !customers.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: customers.count).joined(separator: ", ")
        let rows = try await transaction.query(
            """
            SELECT record_id, account_number, name, street, city, state, zip_code, country_region_id, is_primary FROM customer_addresses
            WHERE account_number IN (\(placeholders)) ORDER BY account_number, is_primary DESC, record_id
            """,
            customers.map { .text($0.accountNumber) }
        )
        var byAccount: [String: [CustomerAddressRecord]] = [:]
        for address in rows {
            byAccount[address.string("account_number") ?? "", default: []].append(
                CustomerAddressRecord(
                    recordId: address.int64("record_id") ?? 0, name: address.string("name") ?? "", street: address.string("street") ?? "",
                    city: address.string("city") ?? "", state: address.string("state") ?? "", zipCode: address.string("zip_code") ?? "",
                    countryRegionId: address.string("country_region_id") ?? "", isPrimary: address.bool("is_primary")
                )
            )
        }
        return customers.map { customer in
            var customer = customer
            customer.addresses = byAccount[customer.accountNumber] ?? []
            return customer
        }
    }

    private static func record(_ row: DatabaseRow) -> CustomerRecord {
        CustomerRecord(
            accountNumber: row.string("account_number") ?? "", name: row.string("name") ?? "", firstName: row.string("first_name"),
            lastName: row.string("last_name"), email: row.string("email"), phone: row.string("phone"), customerGroup: row.string("customer_group"),
            priceGroup: row.string("price_group"), version: row.int64("version") ?? 1
        )
    }
}
