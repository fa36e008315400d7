import ChannelDatabase
import Foundation
import Synchronization

/// Master data that every cart change reads, kept between requests: the channels' offers, and
/// each product's discount scope (its master and categories with their
/// ancestors).
///
/// Reading them took six statements per cart calculation, a fifth of a cart change's CPU on
/// SQLite and six round trips on PostgreSQL. Now a calculation reads the two generation
/// counters of core schema 13 (one statement), and uses what is cached for exactly those
/// generations. A write to the watched tables moves a counter in its own transaction, so the
/// first transaction that can see the change also sees the new generation and reloads, on every
/// host sharing the database. A transaction that sees an older generation than the cache holds
/// (a snapshot taken before the change) reads the database itself.
final class MasterDataCache: Sendable {
    /// Offers are kept converted for the discount engine: converting them took ~2% of the SQLite
    /// writer's time in a checkout profile.
    typealias TimedOffer = (offer: DiscountEngine.Offer, requiresCode: Bool, validFrom: Int64?, validTo: Int64?)
    typealias Scope = (masterId: Int64?, categoryIds: Set<Int64>)

    private struct State {
        var discountsGeneration: Int64 = .min
        var offersByChannel: [Int64: [TimedOffer]] = [:]
        var catalogGeneration: Int64 = .min
        var scopes: [Int64: Scope] = [:]
    }

    /// Scopes are small, but a catalog has no fixed size: past this many the cache starts over.
    static let scopeLimit = 200_000

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

/// Base prices and item tax groups of the products one request has read: a cart calculation
/// needs them twice (the prices, then the tax), and read them twice, ~5 of ~100 statements per
/// checkout.
///
/// For the request only: products are master data, which no cart or order request changes, and
/// a request sees one transaction's snapshot throughout.
final class ProductBasicsMemo: Sendable {
    typealias Basics = (basePrice: Decimal, itemTaxGroup: String?)

    private let known = Mutex<[Int64: Basics]>([:])

    /// The basics of `ids` that exist, reading only those this request has not read yet.
    func read(_ ids: [Int64], store: PricingStore) async throws -> [Int64: Basics] {
        var result: [Int64: Basics] = [:]
        var missing: [Int64] = []
        known.withLock { known in
            for id in ids {
                if let basics = known[id] { result[id] = basics } else { missing.append(id) }
            }
        }
        guard !missing.isEmpty else { return result }
        let loaded = try await store.productBasics(ids: missing)
        known.withLock { $0.merge(loaded) { _, new in new } }
        result.merge(loaded) { _, new in new }
        return result
    }
}
