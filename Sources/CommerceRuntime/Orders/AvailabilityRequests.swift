public import Foundation
import ChannelDatabase
import CommerceQuery

/// What the channel can sell now of products given by item id: on hand less reserved, summed
/// over the channel's warehouses. `GetProductAvailabilities` in the API.
public struct GetProductAvailabilitiesRequest: CommerceRequest {
    public typealias Response = [ProductAvailability]
    public static let typeName = "GetProductAvailabilitiesRequest"
    public static let mode = RequestMode.read
    public var itemIds: [String]

    public init(itemIds: [String]) { self.itemIds = itemIds }

    enum CodingKeys: String, CodingKey {
        case itemIds = "ItemIds"
    }
}

public struct ProductAvailability: Codable, Sendable, Equatable {
    public var productId: Int64
    public var itemId: String
    /// Never below zero: backordered units show as none available.
    public var availableQuantity: Decimal
    public var unitOfMeasure: String?

    enum CodingKeys: String, CodingKey {
        case productId = "ProductId"
        case itemId = "ItemId"
        case availableQuantity = "AvailableQuantity"
        case unitOfMeasure = "UnitOfMeasure"
    }
}

enum AvailabilityHandlers {
    static let maximumItems = 1_000

    static func register(in registry: inout HandlerRegistry) {
        registry.register(GetProductAvailabilitiesRequest.self) { request, context in
            let itemIds = Array(Set(request.itemIds)).sorted()
            guard !itemIds.isEmpty, itemIds.count <= maximumItems else {
                throw CommerceError.invalidRequest("itemIds lists 1 to \(maximumItems) items", target: "itemIds")
            }
            // Through the catalog request, so only products of the channel's assortment count.
            let products = try await context.execute(GetProductsRequest(
                paging: PagingOptions(top: itemIds.count * 2),
                criteria: QueryCriteria(filter: .inList(.property(["ItemId"]), itemIds.map { .literal(.string($0)) }))
            )).items
            let inventory = InventoryStore(context.transaction)
            let warehouses = try await inventory.warehouses(channelId: context.channel.recordId, defaultWarehouse: context.channel.defaultWarehouseId)
            var result: [ProductAvailability] = []
            for product in products.sorted(by: { ($0.itemId, $0.recordId) < ($1.itemId, $1.recordId) }) {
                let available = warehouses.isEmpty ? 0 : try await inventory.available(productId: product.recordId, warehouses: warehouses)
                result.append(ProductAvailability(
                    productId: product.recordId, itemId: product.itemId, availableQuantity: max(0, available), unitOfMeasure: product.defaultUnitOfMeasure
                ))
            }
            return result
        }
    }
}
