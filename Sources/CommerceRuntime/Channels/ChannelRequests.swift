import ChannelDatabase

/// A store or online channel as the API shows it (Retail Server's `OrgUnit`).
public struct OrgUnit: Codable, Sendable, Equatable {
    public var orgUnitNumber: String
    public var recordId: Int64
    public var name: String
    public var currency: String
    /// `store` or `online`, as the channel database records it.
    public var channelType: String

    init(_ record: ChannelRecord) {
        orgUnitNumber = record.orgUnitNumber
        recordId = record.recordId
        name = record.name
        currency = record.currencyCode
        channelType = record.channelType
    }
}

/// A payment method a channel accepts.
public struct TenderType: Codable, Sendable, Equatable {
    public var tenderTypeId: String
    public var name: String
    /// The POS operation it pays with, e.g. `PayCard`, `PayGiftCertificate`.
    public var operationType: String
    public var connector: String?
}

/// Reads every org unit of the channel database.
public struct GetOrgUnitsRequest: CommerceRequest {
    public typealias Response = [OrgUnit]
    public static let typeName = "GetOrgUnitsRequest"
    public static let mode = RequestMode.read

    public init() {}
}

/// Reads the tender types of the request's channel.
public struct GetTenderTypesRequest: CommerceRequest {
    public typealias Response = [TenderType]
    public static let typeName = "GetTenderTypesRequest"
    public static let mode = RequestMode.read

    public init() {}
}

enum ChannelHandlers {
    static func register(in registry: inout HandlerRegistry) {
        // Channels are few (one row per store or online channel), so they are read whole.
        registry.register(GetOrgUnitsRequest.self) { _, context in
            try await ChannelStore(context.transaction).channels().map(OrgUnit.init)
        }
        registry.register(GetTenderTypesRequest.self) { _, context in
            try await ChannelStore(context.transaction).tenderTypes(channelId: context.channel.recordId).map {
                TenderType(tenderTypeId: $0.tenderTypeId, name: $0.name, operationType: $0.operationType, connector: $0.connector)
            }
        }
    }
}
