import ChannelDatabase
import Foundation

/// Prices, discounts, tax and totals of a cart, every step through its CRT request so that an
/// extension overriding one of them (a tax service, a discount engine) changes the cart.
///
/// Line amounts are rounded to the channel currency per line; header totals are sums of the
/// rounded lines, so lines always add up to the header.
struct CartCalculator {
    let context: RequestContext

    func calculate(_ cart: inout CartRecord) async throws {
        let channel = context.channel
        let decimals = channel.currencyDecimals
        guard !cart.lines.isEmpty else {
            cart.subtotalAmount = 0
            cart.discountAmount = 0
            cart.taxAmount = 0
            cart.totalAmount = 0
            return
        }

        // Prices depend on the quantity (quantity breaks), so lines are priced per quantity.
        var prices: [String: Decimal] = [:]
        for (quantity, lines) in Dictionary(grouping: cart.lines, by: \.quantity) {
            let productIds = Array(Set(lines.map(\.productId))).sorted()
            let answer = try await context.execute(CalculatePricesRequest(productIds: productIds, customerAccount: cart.customerAccount, quantity: quantity))
            let byProduct = Dictionary(answer.map { ($0.productId, $0.adjustedPrice) }, uniquingKeysWith: { first, _ in first })
            for line in lines {
                guard let price = byProduct[line.productId] else {
                    throw CommerceError(.conflict, code: "ProductNotPriced", "product \(line.productId) has no price in this channel", target: "CartLines")
                }
                prices[line.lineId] = price
            }
        }
        // The arithmetic is in SmallDecimal: Decimal's costs microseconds per operation, and this
        // runs for every line of every cart change.
        var extended: [SmallDecimal] = []
        extended.reserveCapacity(cart.lines.count)
        for index in cart.lines.indices {
            let price = prices[cart.lines[index].lineId] ?? 0
            let amount = (SmallDecimal(price) * SmallDecimal(cart.lines[index].quantity)).rounded(toDecimals: decimals)
            cart.lines[index].price = price
            cart.lines[index].extendedPrice = amount.decimal
            extended.append(amount)
        }

        let discounts = try await context.execute(CalculateDiscountsRequest(
            lines: cart.lines.map { DiscountableLine(lineId: $0.lineId, productId: $0.productId, quantity: $0.quantity, price: $0.price) },
            discountCodes: cart.discountCodes
        ))
        var discountPerLine: [String: Decimal] = [:]
        for discount in discounts { discountPerLine[discount.lineId, default: 0] += discount.discountAmount }
        var net: [SmallDecimal] = []
        var discountTotal = SmallDecimal.zero
        net.reserveCapacity(cart.lines.count)
        for index in cart.lines.indices {
            // A discount never makes a line negative nor raises its price.
            let proposed = discountPerLine[cart.lines[index].lineId].map(SmallDecimal.init) ?? .zero
            let discount = min(max(proposed, .zero), extended[index]).rounded(toDecimals: decimals)
            cart.lines[index].discountAmount = discount.decimal
            cart.lines[index].netAmount = (extended[index] - discount).decimal
            net.append(extended[index] - discount)
            discountTotal += discount
        }

        let pricing = PricingStore(context.transaction)
        let generations = try await context.masterDataMemo.generations(pricing)
        let basics = try await context.masterData.productBasics(
            Array(Set(cart.lines.map(\.productId))).sorted(), generation: generations.catalog, store: pricing
        )
        // The delivery region picks the sales tax group; without one (or for a region without
        // tax setup) the channel's own group applies. A line with its own address is taxed for
        // it: one CalculateTaxRequest per region, so a tax extension sees one region per call.
        var regions: [Region: [CartLineRecord]] = [:]
        var order: [Region] = []
        for line in cart.lines {
            // Decoded addresses are memoized by text (see `CartHandlers.decodeAddress`).
            let region = Region(CartHandlers.decodeAddress(line.shippingAddress ?? cart.shippingAddress))
            if regions[region] == nil { order.append(region) }
            regions[region, default: []].append(line)
        }
        var taxPerLine: [String: Decimal] = [:]
        let carts = CartStore(context.transaction)
        for region in order {
            let state = region.state
            let group = try await region.country.asyncMap {
                try await context.masterData.salesTaxGroup(countryRegionId: $0, state: state, generation: generations.pricing, store: carts)
            } ?? nil
            let taxes = try await context.execute(CalculateTaxRequest(
                lines: (regions[region] ?? []).map { TaxableLine(lineId: $0.lineId, itemTaxGroup: basics[$0.productId]?.itemTaxGroup, amount: $0.netAmount) },
                salesTaxGroup: group, countryRegionId: region.country, stateProvinceId: region.state
            ))
            for tax in taxes { taxPerLine[tax.lineId, default: 0] += tax.taxAmount }
        }
        var taxTotal = SmallDecimal.zero
        var total = SmallDecimal.zero
        for index in cart.lines.indices {
            let tax = (taxPerLine[cart.lines[index].lineId].map(SmallDecimal.init) ?? .zero).rounded(toDecimals: decimals)
            cart.lines[index].taxAmount = tax.decimal
            let lineTotal: SmallDecimal
            if channel.priceIncludesTax {
                cart.lines[index].netAmount = (net[index] - tax).decimal
                lineTotal = net[index]
            } else {
                lineTotal = net[index] + tax
            }
            cart.lines[index].totalAmount = lineTotal.decimal
            taxTotal += tax
            total += lineTotal
        }

        cart.subtotalAmount = extended.sum { $0 }.decimal
        cart.discountAmount = discountTotal.decimal
        cart.taxAmount = taxTotal.decimal
        cart.totalAmount = total.decimal
    }
}

/// Where lines are delivered, as far as tax cares.
private struct Region: Hashable {
    var country: String?
    var state: String?

    init(_ address: Address?) {
        country = address?.threeLetterISORegionName.flatMap { $0.isEmpty ? nil : $0 }
        state = address?.state.flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
