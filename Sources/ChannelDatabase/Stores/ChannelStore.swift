import Foundation

/// Reads channels (org units).
public struct ChannelStore: Sendable {
    private let transaction: any DatabaseTransaction

    public init(_ transaction: any DatabaseTransaction) {
        self.transaction = transaction
    }

    private static let select = """
        SELECT c.record_id, c.org_unit_number, c.name, c.channel_type, c.currency_code, cur.rounding_decimals,
               c.language_id, c.price_includes_tax, c.sales_tax_group, c.default_warehouse_id, c.price_group
        FROM channels c JOIN currencies cur ON cur.code = c.currency_code
        """

    public func channel(orgUnitNumber: String) async throws -> ChannelRecord? {
        try await transaction.queryFirst(Self.select + " WHERE c.org_unit_number = ?", [.text(orgUnitNumber)]).map(Self.record)
    }

    public func channels() async throws -> [ChannelRecord] {
        var channels = try await transaction.query(Self.select + " ORDER BY c.record_id", []).map(Self.record)
        let rows = try await transaction.query("SELECT channel_id, language_id FROM channel_languages ORDER BY channel_id, language_id", [])
        var languages: [Int64: [String]] = [:]
        for row in rows {
            if let channel = row.int64("channel_id"), let language = row.string("language_id") { languages[channel, default: []].append(language) }
        }
        for index in channels.indices {
            let own = channels[index].languageId
            channels[index].languages = [own] + (languages[channels[index].recordId] ?? []).filter { $0 != own }
        }
        return channels
    }

    /// The payment methods a channel accepts, in tender type id order.
    public func tenderTypes(channelId: Int64) async throws -> [TenderTypeRecord] {
        try await transaction.query(
            "SELECT tender_type_id, name, operation_type, connector FROM tender_types WHERE channel_id = ? ORDER BY tender_type_id",
            [.integer(channelId)]
        ).map { row in
            TenderTypeRecord(
                tenderTypeId: row.string("tender_type_id") ?? "", name: row.string("name") ?? "",
                operationType: row.string("operation_type") ?? "", connector: row.string("connector")
            )
        }
    }

    static func record(_ row: DatabaseRow) -> ChannelRecord {
        var channel = ChannelRecord(
            recordId: row.int64("record_id") ?? 0,
            orgUnitNumber: row.string("org_unit_number") ?? "",
            name: row.string("name") ?? "",
            channelType: row.string("channel_type") ?? "",
            currencyCode: row.string("currency_code") ?? "",
            currencyDecimals: row.int("rounding_decimals") ?? 2,
            languageId: (row.string("language_id") ?? "en-us").lowercased(),
            priceIncludesTax: row.bool("price_includes_tax"),
            salesTaxGroup: row.string("sales_tax_group"),
            defaultWarehouseId: row.string("default_warehouse_id"),
            priceGroup: row.string("price_group")
        )
        channel.languages = [channel.languageId]
        return channel
    }
}

public struct TenderTypeRecord: Sendable, Equatable {
    public var tenderTypeId: String
    public var name: String
    public var operationType: String
    public var connector: String?
}
