import ChannelDatabase
import Foundation
import Synchronization

/// Master data that every cart change reads, kept between requests: the channels' offers,
/// each product's discount scope (its master and categories with their ancestors), price lines,
/// tax rates and the sales tax group of each delivery region.
///
/// Reading them took six statements per cart calculation, a fifth of a cart change's CPU on
/// SQLite and six round trips on PostgreSQL, and prices and tax another two or three. Now a
/// request reads the generation counters of core schemas 13 and 16 once (one statement, see
/// `MasterDataMemo`) and uses what is cached for exactly those generations. A write to the
/// watched tables moves a counter in its own transaction, so the first transaction that can see
/// the change also sees the new generation and reloads, on every host sharing the database. A
/// transaction that sees an older generation than the cache holds (a snapshot taken before the
/// change) reads the database itself.
final class MasterDataCache: Sendable {
    /// Offers are kept converted for the discount engine: converting them took ~2% of the SQLite
    /// writer's time in a checkout profile.
    typealias TimedOffer = (offer: DiscountEngine.Offer, requiresCode: Bool, validFrom: Int64?, validTo: Int64?)
    typealias Scope = (masterId: Int64?, categoryIds: Set<Int64>)

    typealias DatedPriceLine = (line: PriceLineRecord, validFrom: Int64?, validTo: Int64?)
    typealias DatedTaxRate = (rate: TaxRateRecord, validFrom: Int64, validTo: Int64?)

    private struct PriceKey: Hashable {
        var currency: String
        var productId: Int64
    }

    private struct RegionKey: Hashable {
        var country: String
        var state: String?
    }

    private struct State {
        var discountsGeneration: Int64 = .min
        var offersByChannel: [Int64: [TimedOffer]] = [:]
        var catalogGeneration: Int64 = .min
        var scopes: [Int64: Scope] = [:]
        var pricingGeneration: Int64 = .min
        /// Every product asked for has an entry, empty when it has no lines in that currency.
        var priceLines: [PriceKey: [DatedPriceLine]] = [:]
        var taxRatesByGroup: [String: [DatedTaxRate]] = [:]
        var salesTaxGroups: [RegionKey: String?] = [:]

        /// Makes the state hold `generation`'s pricing data. False when it holds a newer
        /// generation's: what a transaction with an older snapshot read is then not kept.
        mutating func adoptPricing(_ generation: Int64) -> Bool {
            guard generation >= pricingGeneration else { return false }
            if generation > pricingGeneration {
                pricingGeneration = generation
                priceLines = [:]
                taxRatesByGroup = [:]
                salesTaxGroups = [:]
            }
            return true
        }
    }

    /// Scopes and price lines are small, but a catalog has no fixed size: past this many
    /// products the cache starts over.
    static let scopeLimit = 200_000
    /// Regions come from clients' addresses, so their number is bounded here, not by the data.
    static let regionLimit = 10_000

    private let state = Mutex(State())

    /// The active offers of the channel valid at `instant` that need no code or that
    /// `unlocked` names, in offer-id order: what `PricingStore.discountOffers` reads.
    func offers(
        channelId: Int64, at instant: Int64, unlocked: Set<String>, generation: Int64, store: PricingStore
    ) async throws -> [DiscountEngine.Offer] {
        let cached: [TimedOffer]? = state.withLock { state in
            guard state.discountsGeneration == generation else { return nil }
            return state.offersByChannel[channelId]
        }
        let timed: [TimedOffer]
        if let cached {
            timed = cached
        } else {
            timed = try await store.channelOffers(channelId: channelId).map { entry in
                (DiscountEngine.Offer(entry.offer), entry.offer.requiresCode, entry.validFrom, entry.validTo)
            }
            state.withLock { state in
                guard generation >= state.discountsGeneration else { return }
                if generation > state.discountsGeneration {
                    state.discountsGeneration = generation
                    state.offersByChannel = [:]
                }
                state.offersByChannel[channelId] = timed
            }
        }
        return timed.compactMap { entry in
            guard entry.validFrom.map({ $0 <= instant }) ?? true, entry.validTo.map({ $0 >= instant }) ?? true,
                  !entry.requiresCode || unlocked.contains(entry.offer.offerId)
            else { return nil }
            return entry.offer
        }
    }

    /// The price lines of the products in `currency` valid at `instant`, by record id.
    func priceLines(
        productIds: [Int64], currency: String, at instant: Int64, generation: Int64, store: PricingStore
    ) async throws -> [PriceLineRecord] {
        var found: [DatedPriceLine] = []
        var missing: [Int64] = []
        state.withLock { state in
            guard state.pricingGeneration == generation else {
                missing = productIds
                return
            }
            for id in productIds {
                if let lines = state.priceLines[PriceKey(currency: currency, productId: id)] { found += lines } else { missing.append(id) }
            }
        }
        if !missing.isEmpty {
            let loaded = try await store.datedPriceLines(productIds: missing, currency: currency)
            var byProduct = Dictionary(grouping: loaded, by: \.line.productId)
            for id in missing where byProduct[id] == nil { byProduct[id] = [] }
            state.withLock { state in
                guard state.adoptPricing(generation) else { return }
                if state.priceLines.count + byProduct.count > Self.scopeLimit { state.priceLines = [:] }
                for (id, lines) in byProduct { state.priceLines[PriceKey(currency: currency, productId: id)] = lines }
            }
            found += loaded
        }
        return found.filter { ($0.validFrom.map { $0 <= instant } ?? true) && ($0.validTo.map { $0 >= instant } ?? true) }
            .map(\.line).sorted { $0.recordId < $1.recordId }
    }

    /// The rates of a sales tax group for the item tax groups, valid at `instant`, by item tax
    /// group and tax code.
    func taxRates(
        itemTaxGroups: [String], salesTaxGroup: String, at instant: Int64, generation: Int64, store: PricingStore
    ) async throws -> [TaxRateRecord] {
        guard !itemTaxGroups.isEmpty else { return [] }
        let cached: [DatedTaxRate]? = state.withLock { state in
            state.pricingGeneration == generation ? state.taxRatesByGroup[salesTaxGroup] : nil
        }
        let dated: [DatedTaxRate]
        if let cached {
            dated = cached
        } else {
            dated = try await store.datedTaxRates(salesTaxGroup: salesTaxGroup)
            state.withLock { state in
                guard state.adoptPricing(generation) else { return }
                state.taxRatesByGroup[salesTaxGroup] = dated
            }
        }
        let wanted = Set(itemTaxGroups)
        return dated.filter { wanted.contains($0.rate.itemTaxGroup) && $0.validFrom <= instant && ($0.validTo.map { $0 >= instant } ?? true) }
            .map(\.rate)
    }

    /// The sales tax group of a delivery region: what `CartStore.salesTaxGroup` reads.
    func salesTaxGroup(countryRegionId: String, state regionState: String?, generation: Int64, store: CartStore) async throws -> String? {
        let key = RegionKey(country: countryRegionId, state: regionState)
        let cached: String?? = state.withLock { state in
            state.pricingGeneration == generation ? state.salesTaxGroups[key] : nil
        }
        if let cached { return cached }
        let group = try await store.salesTaxGroup(countryRegionId: countryRegionId, state: regionState)
        state.withLock { state in
            guard state.adoptPricing(generation) else { return }
            if state.salesTaxGroups.count >= Self.regionLimit { state.salesTaxGroups = [:] }
            state.salesTaxGroups[key] = .some(group)
        }
        return group
    }

    /// Each product's scope, as `PricingStore.discountScopes(productIds:)` reads it.
    func scopes(productIds: [Int64], generation: Int64, store: PricingStore) async throws -> [Int64: Scope] {
        var result: [Int64: Scope] = [:]
        var missing: [Int64] = []
        state.withLock { state in
            guard state.catalogGeneration == generation else {
                missing = productIds
                return
            }
            for id in productIds {
                if let scope = state.scopes[id] { result[id] = scope } else { missing.append(id) }
            }
        }
        guard !missing.isEmpty else { return result }
        let loaded = try await store.discountScopes(productIds: missing)
        state.withLock { state in
            guard generation >= state.catalogGeneration else { return }
            if generation > state.catalogGeneration || state.scopes.count + loaded.count > Self.scopeLimit {
                state.catalogGeneration = generation
                state.scopes = [:]
            }
            state.scopes.merge(loaded) { _, new in new }
        }
        result.merge(loaded) { _, new in new }
        return result
    }
}

/// Master data one request has read: the generations of the cached groups (read once per
/// request, not once per calculation step), and products' base prices and item tax groups (a
/// cart calculation needs them twice, for the prices and then for the tax, and read them twice:
/// ~5 of ~100 statements per checkout).
///
/// For the request only: master data is not changed by the cart and order requests that read
/// it, and a request sees one transaction's snapshot throughout.
final class MasterDataMemo: Sendable {
    typealias Basics = (basePrice: Decimal, itemTaxGroup: String?)

    private let basics = Mutex<[Int64: Basics]>([:])
    private let generations = Mutex<MasterDataGenerations?>(nil)

    func generations(_ store: PricingStore) async throws -> MasterDataGenerations {
        if let known = generations.withLock({ $0 }) { return known }
        let read = try await store.masterDataGenerations()
        generations.withLock { $0 = read }
        return read
    }

    /// The basics of `ids` that exist, reading only those this request has not read yet.
    func productBasics(_ ids: [Int64], store: PricingStore) async throws -> [Int64: Basics] {
        var result: [Int64: Basics] = [:]
        var missing: [Int64] = []
        basics.withLock { known in
            for id in ids {
                if let found = known[id] { result[id] = found } else { missing.append(id) }
            }
        }
        guard !missing.isEmpty else { return result }
        let loaded = try await store.productBasics(ids: missing)
        basics.withLock { $0.merge(loaded) { _, new in new } }
        result.merge(loaded) { _, new in new }
        return result
    }
}
