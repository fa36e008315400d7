import ChannelDatabase
import Foundation
import Synchronization

/// Master data that every cart change reads, kept between requests: the channels' offers,
/// each product's discount scope (its master and categories with their ancestors), base price
/// and item tax group, price lines, tax rates and the sales tax group of each delivery region.
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
    typealias Basics = (basePrice: Decimal, itemTaxGroup: String?)

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

    /// Scopes and price lines are small, but a catalog has no fixed size: past this many
    /// products the cache starts over.
    static let scopeLimit = 200_000
    /// Regions come from clients' addresses, so their number is bounded here, not by the data.
    static let regionLimit = 10_000

    private struct State {
        /// By channel; generation `discounts`.
        var offers = GenerationTable<Int64, [TimedOffer]>(limit: .max)
        /// By product; generation `catalog`.
        var scopes = GenerationTable<Int64, Scope>(limit: MasterDataCache.scopeLimit)
        /// Base price and item tax group by product; generation `catalog`.
        var basics = GenerationTable<Int64, Basics>(limit: MasterDataCache.scopeLimit)
        /// Generation `pricing`. Every product asked for has an entry, empty when it has no
        /// lines in that currency.
        var priceLines = GenerationTable<PriceKey, [DatedPriceLine]>(limit: MasterDataCache.scopeLimit)
        /// By sales tax group; generation `pricing`.
        var taxRates = GenerationTable<String, [DatedTaxRate]>(limit: .max)
        /// Generation `pricing`; nil for a region without a group of its own.
        var salesTaxGroups = GenerationTable<RegionKey, String?>(limit: MasterDataCache.regionLimit)
    }

    private let state = Mutex(State())

    /// The active offers of the channel valid at `instant` that need no code or that
    /// `unlocked` names, in offer-id order: what `PricingStore.discountOffers` reads.
    func offers(
        channelId: Int64, at instant: Int64, unlocked: Set<String>, generation: Int64, store: PricingStore
    ) async throws -> [DiscountEngine.Offer] {
        var timed = state.withLock { $0.offers.value(channelId, at: generation) }
        if timed == nil {
            let loaded = try await store.channelOffers(channelId: channelId).map { entry in
                (DiscountEngine.Offer(entry.offer), entry.offer.requiresCode, entry.validFrom, entry.validTo)
            }
            state.withLock { $0.offers.keep([(channelId, loaded)], at: generation) }
            timed = loaded
        }
        return (timed ?? []).compactMap { entry in
            guard Self.isValid(from: entry.validFrom, to: entry.validTo, at: instant), !entry.requiresCode || unlocked.contains(entry.offer.offerId)
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
            for id in productIds {
                guard let lines = state.priceLines.value(PriceKey(currency: currency, productId: id), at: generation) else {
                    missing.append(id)
                    continue
                }
                found += lines
            }
        }
        if !missing.isEmpty {
            let loaded = try await store.datedPriceLines(productIds: missing, currency: currency)
            let byProduct = Dictionary(grouping: loaded, by: \.line.productId)
            state.withLock { $0.priceLines.keep(missing.map { (PriceKey(currency: currency, productId: $0), byProduct[$0] ?? []) }, at: generation) }
            found += loaded
        }
        return found.filter { Self.isValid(from: $0.validFrom, to: $0.validTo, at: instant) }.map(\.line).sorted { $0.recordId < $1.recordId }
    }

    /// The rates of a sales tax group for the item tax groups, valid at `instant`, by item tax
    /// group and tax code.
    func taxRates(
        itemTaxGroups: [String], salesTaxGroup: String, at instant: Int64, generation: Int64, store: PricingStore
    ) async throws -> [TaxRateRecord] {
        guard !itemTaxGroups.isEmpty else { return [] }
        var dated = state.withLock { $0.taxRates.value(salesTaxGroup, at: generation) }
        if dated == nil {
            let loaded = try await store.datedTaxRates(salesTaxGroup: salesTaxGroup)
            state.withLock { $0.taxRates.keep([(salesTaxGroup, loaded)], at: generation) }
            dated = loaded
        }
        let wanted = Set(itemTaxGroups)
        return (dated ?? []).filter { wanted.contains($0.rate.itemTaxGroup) && Self.isValid(from: $0.validFrom, to: $0.validTo, at: instant) }
            .map(\.rate)
    }

    /// The sales tax group of a delivery region: what `CartStore.salesTaxGroup` reads.
    func salesTaxGroup(countryRegionId: String, state regionState: String?, generation: Int64, store: CartStore) async throws -> String? {
        let key = RegionKey(country: countryRegionId, state: regionState)
        if let cached = state.withLock({ $0.salesTaxGroups.value(key, at: generation) }) { return cached }
        let group = try await store.salesTaxGroup(countryRegionId: countryRegionId, state: regionState)
        state.withLock { $0.salesTaxGroups.keep([(key, group)], at: generation) }
        return group
    }

    /// Each product's scope, as `PricingStore.discountScopes(productIds:)` reads it.
    func scopes(productIds: [Int64], generation: Int64, store: PricingStore) async throws -> [Int64: Scope] {
        try await byProduct(\.scopes, productIds, generation: generation) { try await store.discountScopes(productIds: $0) }
    }

    /// Each product's base price and item tax group, as `PricingStore.productBasics(ids:)` reads
    /// them: every cart calculation needs them for all its lines, for the prices and again for
    /// the tax.
    func productBasics(_ ids: [Int64], generation: Int64, store: PricingStore) async throws -> [Int64: Basics] {
        try await byProduct(\.basics, ids, generation: generation) { try await store.productBasics(ids: $0) }
    }

    /// What `table` holds for `ids` at `generation`; the rest read with `load` and kept. A
    /// product `load` does not find is not kept, and is read again next time.
    private func byProduct<Value: Sendable>(
        _ table: any WritableKeyPath<State, GenerationTable<Int64, Value>> & Sendable, _ ids: [Int64], generation: Int64,
        load: ([Int64]) async throws -> [Int64: Value]
    ) async throws -> [Int64: Value] {
        var result: [Int64: Value] = [:]
        var missing: [Int64] = []
        state.withLock { state in
            for id in ids {
                if let value = state[keyPath: table].value(id, at: generation) { result[id] = value } else { missing.append(id) }
            }
        }
        guard !missing.isEmpty else { return result }
        let loaded = try await load(missing)
        state.withLock { $0[keyPath: table].keep(Array(loaded), at: generation) }
        result.merge(loaded) { _, new in new }
        return result
    }

    /// Whether a validity window (open where nil) includes `instant`.
    private static func isValid(from: Int64?, to: Int64?, at instant: Int64) -> Bool {
        (from.map { $0 <= instant } ?? true) && (to.map { $0 >= instant } ?? true)
    }
}

/// What one group of master data's cache keeps: entries read at one generation of the group.
private struct GenerationTable<Key: Hashable, Value> {
    private var generation: Int64 = .min
    private var entries: [Key: Value] = [:]
    /// Past this many entries the table starts over.
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The entry for `key`, only when the table holds exactly `generation`.
    func value(_ key: Key, at generation: Int64) -> Value? {
        self.generation == generation ? entries[key] : nil
    }

    /// Keeps what a transaction that sees `generation` read. What a transaction with an older
    /// snapshot read (from before a change the table already reflects) is not kept; a newer
    /// generation empties the table first.
    mutating func keep(_ read: [(Key, Value)], at generation: Int64) {
        guard generation >= self.generation else { return }
        if generation > self.generation || entries.count + read.count > limit {
            self.generation = generation
            entries = [:]
        }
        for (key, value) in read { entries[key] = value }
    }
}

/// The generations of the cached groups of master data as this request's transaction sees
/// them: read once per request, not once per calculation step.
///
/// For the request only: master data is not changed by the cart and order requests that read
/// it, and a request sees one transaction's snapshot throughout.
final class MasterDataMemo: Sendable {
    private let generations = Mutex<MasterDataGenerations?>(nil)

    func generations(_ store: PricingStore) async throws -> MasterDataGenerations {
        if let known = generations.withLock({ $0 }) { return known }
        let read = try await store.masterDataGenerations()
        generations.withLock { $0 = read }
        return read
    }
}
