import CommerceRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// `Customers`: accounts by number, their changes and order history; creating and listing
/// accounts for applications and employees.
///
/// A customer reads and changes only its own account; another account answers 404, the same as
/// one that does not exist. An account's ETag is its version (`W/"3"`), so `If-Match` on a PATCH
/// refuses a change to an account that changed since the client read it (412).
enum CustomersController {
    static func handle(_ call: APICall) async throws -> Response {
        if let operation = try call.boundOperation(entityType: "Customer") {
            switch operation.name {
            case "GetOrderHistory": return try await orderHistory(call)
            default: throw ODataError.notImplemented("Customers/\(operation.name) is declared but not implemented yet")
            }
        }
        switch (call.path.key, call.path.rest) {
        case (.string(let account), []):
            try call.requireMethods([.get, .patch], resource: "Customers('\(account)')")
            if call.request.method == .patch { return try await update(call, account: account) }
            let request = GetCustomerRequest(accountNumber: account)
            guard let customer = try await call.runtime.execute(request, channel: call.channel, caller: call.caller) else {
                throw notFound(account)
            }
            // Options are checked after the read, so a bad one cannot tell whether another's account exists.
            return try customerResponse(customer, call)
        case (.integer, _):
            throw ODataError.badRequest("the key of Customers is AccountNumber, an Edm.String: write Customers('account')", target: "AccountNumber")
        case (nil, []):
            try call.requireMethods([.get, .post], resource: "Customers")
            if call.request.method == .post { return try await create(call) }
            return try await call.readCollection(of: "Customer", GetCustomersRequest.init)
        case (nil, ["$count"]):
            try call.requireMethods([.get], resource: "Customers/$count")
            return try await call.readCount(GetCustomersRequest.init)
        case (_, let rest):
            throw ODataError.notImplemented("Customers/\(rest.joined(separator: "/")) is not implemented yet")
        }
    }

    static func notFound(_ account: String) -> ODataError {
        ODataError(.notFound, code: "CustomerNotFound", "there is no customer '\(account)'")
    }

    static func etag(of customer: Customer) -> String { "W/\"\(customer.version)\"" }

    // MARK: Create and change

    /// `POST Customers` (applications and employees): a new account with the channel's next
    /// number; `201` with `Location`.
    private static func create(_ call: APICall) async throws -> Response {
        guard let data = try await call.readBody() else { throw ODataError.badRequest("POST Customers needs a JSON body with the account's properties") }
        let input = try decodeCustomer(data, creating: true)
        let customer = try await call.runtime.execute(CreateCustomerRequest(customer: input), channel: call.channel, caller: call.caller)
        var response = try customerResponse(customer, call, status: .created)
        response.headers[.location] = "\(call.serviceRoot)/Customers('\(customer.accountNumber)')"
        return response
    }

    /// `PATCH Customers('account')`: the properties given change, the others stay; `Addresses`
    /// lists address changes (see ``CustomerInput/addresses``). `If-Match` guards the change.
    private static func update(_ call: APICall, account: String) async throws -> Response {
        guard let data = try await call.readBody() else { throw ODataError.badRequest("PATCH needs a JSON body with the properties to change") }
        let changes = try decodeCustomer(data, creating: false)
        let expected = try requestedVersion(call)
        let customer = try await call.runtime.execute(
            UpdateCustomerRequest(accountNumber: account, changes: changes, expectedVersion: expected), channel: call.channel, caller: call.caller
        )
        return try customerResponse(customer, call)
    }

    /// The version `If-Match` names, nil without one or for `*`; a tag that names no version
    /// cannot match any and is a 412.
    private static func requestedVersion(_ call: APICall) throws -> Int64? {
        guard let header = call.request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), header != "*" else { return nil }
        var text = Substring(header)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        guard let version = Int64(text) else {
            throw ODataError(.preconditionFailed, code: "PreconditionFailed", "If-Match names no version of this account; send its @odata.etag")
        }
        return version
    }

    private struct CustomerBody: Decodable {
        var Name: String?
        var FirstName: String?
        var LastName: String?
        var Email: String?
        var Phone: String?
        var CustomerGroup: String?
        var PriceGroup: String?
        var Addresses: [Address]?
    }

    /// The account properties of a POST or PATCH body. Unknown or read-only properties are
    /// refused by name rather than ignored, so a client learns that its change did not happen;
    /// `null` clears an optional property.
    private static func decodeCustomer(_ data: Data, creating: Bool) throws -> CustomerInput {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ODataError.badRequest("the body must be a JSON object with Customer properties")
        }
        let settable: Set<String> = ["Name", "FirstName", "LastName", "Email", "Phone", "CustomerGroup", "PriceGroup", "Addresses"]
        for name in object.keys where !name.hasPrefix("@") && !settable.contains(name) {
            // Clients often send back the entity they read: its own key is harmless there.
            if name == "AccountNumber", !creating { continue }
            throw ODataError.badRequest("\(name) cannot be set here; settable: \(settable.sorted().joined(separator: ", "))", target: name)
        }
        let body: CustomerBody
        do {
            body = try JSONDecoder().decode(CustomerBody.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let target = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
            throw ODataError.badRequest("\(target.isEmpty ? "the body" : target) has the wrong type", target: target.isEmpty ? nil : target)
        } catch {
            throw ODataError.badRequest("the body does not match the Customer type")
        }
        func value(_ name: String, _ decoded: String?) -> String? {
            // An explicit null clears; the runtime reads an empty string as "clear".
            object[name] is NSNull ? "" : decoded
        }
        if object["Addresses"] is NSNull { throw ODataError.badRequest("Addresses lists address changes; it cannot be null", target: "Addresses") }
        return CustomerInput(
            name: object["Name"] is NSNull ? "" : body.Name, firstName: value("FirstName", body.FirstName), lastName: value("LastName", body.LastName),
            email: value("Email", body.Email), phone: value("Phone", body.Phone), customerGroup: value("CustomerGroup", body.CustomerGroup),
            priceGroup: value("PriceGroup", body.PriceGroup), addresses: body.Addresses
        )
    }

    // MARK: Order history

    /// `GET Customers('account')/GetOrderHistory()`: the customer's orders in this channel,
    /// newest first, with `$top`/`$skip`/`$count`/`$filter`/`$orderby`/`$select` and
    /// server-driven paging. Another customer's account answers 404.
    private static func orderHistory(_ call: APICall) async throws -> Response {
        guard case .string(let account) = call.path.key else {
            throw ODataError.badRequest("GetOrderHistory is bound to one customer: write Customers('account')/GetOrderHistory()", target: "AccountNumber")
        }
        try call.authorizeReading("SalesOrder")
        let (paging, pageSize) = call.paging()
        let request = GetOrderHistoryRequest(accountNumber: account, paging: paging, criteria: call.options.criteria)
        guard let page = try await call.runtime.execute(request, channel: call.channel, caller: call.caller) else { throw notFound(account) }
        let select = try call.selection(of: "SalesOrder")
        let expands = try call.expansion(of: "SalesOrder")
        return try await call.collectionResponse(
            page, pageSize: pageSize, select: select, expands: expands, entitySet: "SalesOrders", resource: "Customers('\(account)')/GetOrderHistory()"
        )
    }

    // MARK: JSON

    static func customerResponse(_ customer: Customer, _ call: APICall, status: HTTPResponse.Status = .ok) throws -> Response {
        let select = try call.selection(of: "Customer")
        // The ETag is the account's version; a change checked If-Match against it before it ran.
        return try call.entityResponse(
            customer, select: select, key: { "'\($0.accountNumber)'" }, etag: etag(of: customer), status: status,
            conditional: call.request.method == .get
        ) { writeProperties($0, select, &$1) }
    }

    static func writeProperties(_ customer: Customer, _ select: PropertySelection, _ writer: inout JSONWriter) {
        if select.includes("AccountNumber") { writer.field("AccountNumber", customer.accountNumber) }
        if select.includes("FirstName") { writer.field("FirstName", customer.firstName) }
        if select.includes("LastName") { writer.field("LastName", customer.lastName) }
        if select.includes("Name") { writer.field("Name", customer.name) }
        if select.includes("Email") { writer.field("Email", customer.email) }
        if select.includes("Phone") { writer.field("Phone", customer.phone) }
        if select.includes("CustomerGroup") { writer.field("CustomerGroup", customer.customerGroup) }
        if select.includes("PriceGroup") { writer.field("PriceGroup", customer.priceGroup) }
        if select.includes("Addresses") {
            writer.key("Addresses")
            writer.beginArray()
            for address in customer.addresses { CartsController.writeAddress(address, &writer) }
            writer.endArray()
        }
        if select.includes("ExtensionProperties") { EntityJSON.writeExtensionProperties([], to: &writer) }
    }
}
