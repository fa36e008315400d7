import ChannelDatabase
import Foundation
import Logging

/// The customer account an identity signs in as: the account linked to the token's issuer and
/// subject, created on its first use. The API runs it after verifying a customer token.
public struct ResolveCustomerIdentityRequest: CommerceRequest {
    public typealias Response = String
    public static let typeName = "ResolveCustomerIdentityRequest"
    public static let mode = RequestMode.write
    /// The issuer (`iss`) exactly as the verified token names it.
    public var issuer: String
    /// The subject (`sub`): unique per issuer, so only the pair identifies a person.
    public var subject: String
    /// Used only when the account is created.
    public var name: String?
    public var email: String?

    public init(issuer: String, subject: String, name: String? = nil, email: String? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.name = name
        self.email = email
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "Issuer"
        case subject = "Subject"
        case name = "Name"
        case email = "Email"
    }
}

enum CustomerHandlers {
    static func register(in registry: inout HandlerRegistry) {
        registerReads(in: &registry)
        registry.register(ResolveCustomerIdentityRequest.self) { request, context in
            let store = CustomerStore(context.transaction)
            if let account = try await store.account(issuer: request.issuer, subject: request.subject) { return account }
            // A few attempts cover a concurrent first sign-in of the same subject (the insert is
            // ignored and the read finds the other's account) and the very unlikely case of a
            // random account number that is taken.
            for _ in 0..<3 {
                let account = "C" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(15).uppercased()
                let email = request.email.flatMap { try? CartHandlers.validEmail($0) }
                let name = String((request.name ?? "").prefix(200))
                if try await store.insert(
                    account: account, issuer: request.issuer, subject: request.subject, name: name, email: email, now: PricingHandlers.currentInstant()
                ) {
                    context.logger.info("created a customer account for a new sign-in", metadata: ["account": "\(account)"])
                    return account
                }
                if let existing = try await store.account(issuer: request.issuer, subject: request.subject) { return existing }
            }
            throw CommerceError.internalError("no customer account could be created for a new sign-in")
        }
    }
}
