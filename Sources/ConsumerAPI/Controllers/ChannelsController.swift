import CommerceQuery
import CommerceRuntime
import Hummingbird

/// `OrgUnits`: the stores and online channels, keyed by operating-unit number.
enum OrgUnitsController {
    static func handle(_ call: APICall) async throws -> Response {
        try call.requireMethods([.get], resource: "OrgUnits")
        guard call.path.rest.isEmpty || call.path.rest == ["$count"] else {
            throw ODataError.notImplemented("OrgUnits/\(call.path.rest.joined(separator: "/")) is not implemented yet")
        }
        if call.options.criteria.filter != nil || call.options.criteria.search != nil || !call.options.criteria.orderBy.isEmpty {
            throw ODataError.notImplemented("$filter, $search and $orderby on OrgUnits are not implemented yet")
        }
        let units = try await call.runtime.execute(GetOrgUnitsRequest(), channel: call.channel, caller: call.caller)
        let select = try call.selection(of: "OrgUnit")
        let write: (OrgUnit, inout JSONWriter) -> Void = { unit, writer in
            if select.includes("OrgUnitNumber") { writer.field("OrgUnitNumber", unit.orgUnitNumber) }
            if select.includes("RecordId") { writer.field("RecordId", unit.recordId) }
            if select.includes("OrgUnitName") { writer.field("OrgUnitName", unit.name) }
            if select.includes("Currency") { writer.field("Currency", unit.currency) }
            if select.includes("ChannelType") { writer.field("ChannelType", unit.channelType) }
        }
        let key: (OrgUnit) -> String = { "'\($0.orgUnitNumber)'" }
        switch call.path.key {
        case .string(let number):
            guard call.path.rest.isEmpty, let unit = units.first(where: { $0.orgUnitNumber == number }) else {
                throw ODataError.notFound("there is no org unit '\(number)'")
            }
            return try call.entityResponse(unit, select: select, key: key, write: write)
        case .integer:
            throw ODataError.badRequest("the key of OrgUnits is OrgUnitNumber, an Edm.String: write OrgUnits('128')", target: "OrgUnitNumber")
        case nil:
            if call.path.rest == ["$count"] { return APICall.plainCount(units.count) }
            let page = Array(units.dropFirst(call.options.skip).prefix(call.options.top ?? call.apiOptions.maxPageSize))
            let count = call.options.count ? units.count : nil
            return call.collectionResponse(Page(items: page, totalCount: count), pageSize: page.count, select: select, key: key, write: write)
        }
    }
}

/// `GetTenderTypes()`: the payment methods of the request's channel.
enum TenderTypesController {
    static func handle(_ call: APICall) async throws -> Response {
        try call.requireMethods([.get], resource: "GetTenderTypes")
        let types = try await call.runtime.execute(GetTenderTypesRequest(), channel: call.channel, caller: call.caller)
        return call.complexCollectionResponse(of: "TenderType", types) { type, writer in
            writer.field("TenderTypeId", type.tenderTypeId)
            writer.field("Name", type.name)
            writer.field("OperationType", type.operationType)
            writer.field("Connector", type.connector)
        }
    }
}

extension APICall {
    /// The body of a `/$count` request.
    static func plainCount(_ count: Int) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: .init(string: "\(count)")))
    }
}
