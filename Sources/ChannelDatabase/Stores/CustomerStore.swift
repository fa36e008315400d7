/// A customer account with its addresses.
public struct CustomerRecord: Sendable, Equatable {
    public var accountNumber: String
    public var name: String
    public var email: String?
    public var addresses: [CustomerAddressRecord]
}

public struct CustomerAddressRecord: Sendable, Equatable {
    public var name: String
    public var street: String
    public var city: String
    public var state: String
    public var zipCode: String
    public var countryRegionId: String
    public var isPrimary: Bool
}

/// Customer accounts: reads, and the account an external identity (an OpenID Connect issuer
/// and subject) signs in as.
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

    /// Gives a cart without a customer to `account`; a cart that has one keeps it.
    public func assignAnonymousCart(id: String, to account: String) async throws {
        try await transaction.execute("UPDATE carts SET customer_account = ? WHERE id = ? AND customer_account IS NULL", [.text(account), .text(id)])
    }

    public func customer(account: String) async throws -> CustomerRecord? {
        guard let row = try await transaction.queryFirst("SELECT account_number, name, email FROM customers WHERE account_number = ?", [.text(account)])
        else { return nil }
        let addresses = try await transaction.query(
            """
            SELECT name, street, city, state, zip_code, country_region_id, is_primary FROM customer_addresses
            WHERE account_number = ? ORDER BY is_primary DESC, record_id
            """,
            [.text(account)]
        )
        return CustomerRecord(
            accountNumber: row.string("account_number") ?? account, name: row.string("name") ?? "", email: row.string("email"),
            addresses: addresses.map { address in
                CustomerAddressRecord(
                    name: address.string("name") ?? "", street: address.string("street") ?? "", city: address.string("city") ?? "",
                    state: address.string("state") ?? "", zipCode: address.string("zip_code") ?? "",
                    countryRegionId: address.string("country_region_id") ?? "", isPrimary: (address.int64("is_primary") ?? 0) != 0
                )
            }
        )
    }
}
