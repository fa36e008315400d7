import CommerceRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// `Customers`: an account read by its number. A customer reads only its own; another
/// account answers 404, the same as one that does not exist.
enum CustomersController {
    static func handle(_ call: APICall) async throws -> Response {
        if let operation = try call.boundOperation(entityType: "Customer") {
            throw ODataError.notImplemented("Customers/\(operation.name) is declared but not implemented yet")
        }
        switch (call.path.key, call.path.rest) {
        case (.string(let account), []):
            try call.requireMethods([.get], resource: "Customers('\(account)')")
            let request = GetCustomerRequest(accountNumber: account)
            guard let customer = try await call.runtime.execute(request, channel: call.channel, caller: call.caller) else {
                throw ODataError(.notFound, code: "CustomerNotFound", "there is no customer '\(account)'")
            }
            // Options are checked after the read, so a bad one cannot tell whether another's account exists.
            let select = try call.selection(of: "Customer")
            return try call.entityResponse(customer, select: select, key: { "'\($0.accountNumber)'" }) { writeProperties($0, select, &$1) }
        case (.integer, _):
            throw ODataError.badRequest("the key of Customers is AccountNumber, an Edm.String: write Customers('account')", target: "AccountNumber")
        case (nil, []):
            throw ODataError.notImplemented("listing and creating customers is not implemented; read an account by its number")
        case (_, let rest):
            throw ODataError.notImplemented("Customers/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }

    static func writeProperties(_ customer: Customer, _ select: PropertySelection, _ writer: inout JSONWriter) {
        if select.includes("AccountNumber") { writer.field("AccountNumber", customer.accountNumber) }
        if select.includes("Name") { writer.field("Name", customer.name) }
        if select.includes("Email") { writer.field("Email", customer.email) }
        if select.includes("Addresses") {
            writer.key("Addresses")
            writer.beginArray()
            for address in customer.addresses { CartsController.writeAddress(address, &writer) }
            writer.endArray()
        }
    }
}
