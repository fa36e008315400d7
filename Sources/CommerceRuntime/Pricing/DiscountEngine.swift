public import ChannelDatabase
public import Foundation

/// The built-in discount engine: periodic discounts (simple, quantity, mix-and-match,
/// threshold) and the offers of discount codes, with Dynamics' concurrency modes and priority.
///
/// Pure and deterministic: the same lines and offers give the same discounts, whatever the order
/// offers or lines arrive in (offers are sorted by priority and offer id, lines keep their
/// index). No database, no clock: the handler loads the offers that apply now.
///
/// The rules, with worked examples, are in docs/pricing.md. In short:
/// - Priority levels run from the highest number down; threshold offers run after all others.
/// - In a level, exclusive offers go first, the largest discount first; units they discount get
///   nothing else. Then best-price offers compete with the compounded offers of the level taken
///   together: a best-price offer takes the lines it touches when it saves strictly more there
///   than the compounded offers would; the largest such saving first (a tie goes to the lower
///   offer id). Simple offers compete line by line, so their result on a line never depends on
///   the other lines.
/// - A best-price or exclusive offer only takes units that have no discount yet; a compounded
///   offer also takes units whose discounts so far are all compounded, applied to what is left
///   of their price.
/// - Every offer's discount is rounded to the currency once per line (simple and quantity
///   offers) or once per offer and then shared out over its lines by value, the rounding
///   remainder going to the largest shares (mix-and-match and threshold offers), so a
///   "3 for 20.00" deal costs exactly 20.00.
public enum DiscountEngine {
    public struct Line: Sendable, Equatable {
        public var lineId: String
        public var productId: Int64
        public var masterId: Int64?
        public var categoryIds: Set<Int64>
        public var quantity: Decimal
        public var price: Decimal

        public init(lineId: String, productId: Int64, masterId: Int64? = nil, categoryIds: Set<Int64> = [], quantity: Decimal, price: Decimal) {
            self.lineId = lineId
            self.productId = productId
            self.masterId = masterId
            self.categoryIds = categoryIds
            self.quantity = quantity
            self.price = price
        }
    }

    /// More distinct mix-and-match set shapes than this in one offer stops the search; a real cart
    /// never comes near it, and it bounds the work of a hostile one.
    static let maximumSetShapes = 10_000

    public static func calculate(lines: [Line], offers: [DiscountOfferRecord], currency: String, decimals: Int) -> [LineDiscount] {
        calculate(lines: lines, prepared: offers.map(Offer.init), currency: currency, decimals: decimals)
    }

    /// The same with offers converted beforehand: the master-data cache keeps them so.
    static func calculate(lines: [Line], prepared offers: [Offer], currency: String, decimals: Int) -> [LineDiscount] {
        var state = State(lines: lines, decimals: decimals)
        // An amount in another currency cannot be applied without a conversion rule.
        let usable = offers.filter { !$0.hasAmount || $0.currencyCode == nil || $0.currencyCode == currency }
        let periodic = usable.filter { $0.kind != .threshold }
        let thresholds = usable.filter { $0.kind == .threshold }
        for offers in [periodic, thresholds] {
            let levels = Dictionary(grouping: offers, by: \.priority)
            for priority in levels.keys.sorted(by: >) {
                state.run(level: (levels[priority] ?? []).sorted { $0.offerId < $1.offerId })
            }
        }
        return state.result()
    }

    /// An offer with its amounts converted once for the engine's arithmetic.
    struct Offer: Sendable {
        var offerId: String
        var kind: DiscountOfferRecord.Kind
        var concurrency: DiscountOfferRecord.Concurrency
        var priority: Int
        /// The percentage as a fraction (15 -> 0.15).
        var fractionOff: SmallDecimal?
        var amountOff: SmallDecimal?
        var dealPrice: SmallDecimal?
        var thresholdAmount: SmallDecimal?
        var lines: [DiscountLineRecord]
        /// Units a quantity offer needs: the largest quantity of its lines, else one.
        var neededUnits: SmallDecimal
        /// Mix-and-match groups in name order ("" for lines without a group) with the whole
        /// units each needs per set (at least one).
        var groups: [(name: String, needed: SmallDecimal)]
        var currencyCode: String?

        var hasAmount: Bool { amountOff != nil || dealPrice != nil || thresholdAmount != nil }

        init(_ record: DiscountOfferRecord) {
            offerId = record.offerId
            currencyCode = record.currencyCode
            kind = record.kind
            concurrency = record.concurrency
            priority = record.priority
            fractionOff = record.percentOff.map { SmallDecimal($0).shifted(by: 2) }
            amountOff = record.amountOff.map(SmallDecimal.init)
            dealPrice = record.dealPrice.map(SmallDecimal.init)
            thresholdAmount = record.thresholdAmount.map(SmallDecimal.init)
            lines = record.lines
            neededUnits = record.lines.compactMap { $0.quantity.map(SmallDecimal.init) }.max() ?? 1
            groups = Array(Set(record.lines.map { $0.mixMatchGroup ?? "" })).sorted().map { group in
                let quantities = record.lines.filter { ($0.mixMatchGroup ?? "") == group }.compactMap { $0.quantity.map(SmallDecimal.init) }
                return (group, max(quantities.max() ?? 1, 1).rounded(toDecimals: 0))
            }
        }
    }

    /// What happened to some units of one line so far.
    struct Segment {
        enum Status {
            case open
            case compounded
            case closed
        }

        var line: Int
        var quantity: SmallDecimal
        var unitPrice: SmallDecimal
        var discount: SmallDecimal
        var status: Status
        var offerIds: [String]

        var value: SmallDecimal { unitPrice * quantity }
        var remaining: SmallDecimal { value - discount }
    }

    /// One offer's effect: discounts on (parts of) segments. `take` below the segment's quantity
    /// splits the segment.
    struct Application {
        struct Part {
            var segment: Int
            var take: SmallDecimal
            var discount: SmallDecimal
        }

        var offerId: String
        var parts: [Part]
        /// False for one line's share of a simple offer: the offer stays in play for other lines.
        var wholeOffer: Bool
        var firstLine: Int
        /// Kept, not computed: choosing among applications compares totals many times.
        let total: SmallDecimal

        init(offerId: String, parts: [Part], wholeOffer: Bool = true, firstLine: Int = 0) {
            self.offerId = offerId
            self.parts = parts
            self.wholeOffer = wholeOffer
            self.firstLine = firstLine
            total = parts.sum(\.discount)
        }
    }

    struct State {
        let lines: [Line]
        let decimals: Int
        var segments: [Segment]

        init(lines: [Line], decimals: Int) {
            self.lines = lines
            self.decimals = decimals
            segments = lines.enumerated().map { index, line in
                Segment(line: index, quantity: SmallDecimal(line.quantity), unitPrice: SmallDecimal(line.price), discount: .zero, status: .open, offerIds: [])
            }
        }

        mutating func run(level offers: [Offer]) {
            var exclusive = offers.filter { $0.concurrency == .exclusive }
            while let best = exclusive.flatMap({ candidates($0) }).max(by: Self.smaller) {
                apply(best, status: .closed)
                if best.wholeOffer { exclusive.removeAll { $0.offerId == best.offerId } }
            }
            var bestPrice = offers.filter { $0.concurrency == .bestPrice }
            var compounded = offers.filter { $0.concurrency == .compounded }
            // Simple compounded offers save on a line what they would save whatever happens to the
            // other lines, so their bundle is worked out once per level, not after every choice.
            let localBundle = compounded.allSatisfy { $0.kind == .simple }
            var cached: (bundle: State, rival: [Int: SmallDecimal])?
            while true {
                // What the level's compounded offers would save on each line, taken together.
                var bundle = self
                var rival: [Int: SmallDecimal] = [:]
                if localBundle, let cached {
                    rival = cached.rival
                } else {
                    for offer in compounded {
                        guard let application = bundle.evaluate(offer), application.total.isPositive else { continue }
                        for part in application.parts { rival[bundle.segments[part.segment].line, default: .zero] += part.discount }
                        bundle.apply(application, status: .compounded)
                    }
                    cached = (bundle, rival)
                }
                // A best-price offer wins the lines it touches only by saving strictly more there.
                let winners = bestPrice.flatMap { candidates($0) }.filter { application in
                    let lines = Set(application.parts.map { segments[$0.segment].line })
                    return application.total > lines.sum { rival[$0] ?? .zero }
                }
                if let best = winners.max(by: Self.smaller) {
                    apply(best, status: .closed)
                    if best.wholeOffer {
                        bestPrice.removeAll { $0.offerId == best.offerId }
                        // It may have taken part of a line; what is left of it needs a fresh comparison.
                        cached = nil
                    }
                } else if rival.values.contains(where: \.isPositive) {
                    if localBundle {
                        // The cached bundle was worked out before the last choices: apply it anew.
                        bundle = self
                        for offer in compounded {
                            guard let application = bundle.evaluate(offer), application.total.isPositive else { continue }
                            bundle.apply(application, status: .compounded)
                        }
                    }
                    self = bundle
                    compounded = []
                    cached = nil
                } else {
                    return
                }
            }
        }

        /// What an offer could do now, as choices: a simple offer is one choice per line (it
        /// competes line by line, so a line's discount never depends on the other lines); the
        /// other kinds count units over lines and are one choice.
        func candidates(_ offer: Offer) -> [Application] {
            guard let application = evaluate(offer), application.total.isPositive else { return [] }
            guard offer.kind == .simple else { return [application] }
            let byLine = Dictionary(grouping: application.parts) { segments[$0.segment].line }
            return byLine.keys.sorted().map { line in
                Application(offerId: offer.offerId, parts: byLine[line] ?? [], wholeOffer: false, firstLine: line)
            }
        }

        /// Orders choices so that `max` picks the largest discount, then the lower offer id, then
        /// the earlier line.
        static func smaller(_ a: Application, _ b: Application) -> Bool {
            if a.total != b.total { return a.total < b.total }
            if a.offerId != b.offerId { return a.offerId > b.offerId }
            return a.firstLine > b.firstLine
        }

        func covers(_ offerLine: DiscountLineRecord, _ line: Line) -> Bool {
            if let product = offerLine.productId, product != line.productId, product != line.masterId { return false }
            if let category = offerLine.categoryId, !line.categoryIds.contains(category) { return false }
            return true
        }

        func eligible(_ offer: Offer, group: String? = nil, matchGroup: Bool = false) -> [Int] {
            segments.indices.filter { index in
                let segment = segments[index]
                guard segment.quantity.isPositive else { return false }
                switch (segment.status, offer.concurrency) {
                case (.closed, _), (.compounded, .exclusive), (.compounded, .bestPrice): return false
                default: break
                }
                let line = lines[segment.line]
                // An offer without lines covers every product.
                if offer.lines.isEmpty && !matchGroup { return true }
                return offer.lines.contains { (!matchGroup || $0.mixMatchGroup == group) && covers($0, line) }
            }
        }

        func evaluate(_ offer: Offer) -> Application? {
            switch offer.kind {
            case .simple: return lineByLine(offer, segments: eligible(offer))
            case .quantity:
                let candidates = eligible(offer)
                let units = candidates.sum { segments[$0].quantity }
                return units >= offer.neededUnits ? lineByLine(offer, segments: candidates) : nil
            case .mixAndMatch: return mixAndMatch(offer)
            case .threshold:
                let candidates = eligible(offer)
                let spent = candidates.sum { segments[$0].remaining }
                guard let threshold = offer.thresholdAmount, spent >= threshold, spent.isPositive else { return nil }
                let saving: SmallDecimal
                if let fraction = offer.fractionOff {
                    saving = spent * fraction
                } else if let amount = offer.amountOff {
                    saving = min(amount, spent)
                } else {
                    return nil
                }
                let portions: [(segment: Int, take: SmallDecimal, value: SmallDecimal)] = candidates.map { ($0, segments[$0].quantity, segments[$0].remaining) }
                return shared(offer.offerId, saving: saving, over: portions)
            }
        }

        /// Simple and quantity offers: each unit's saving, rounded once per line.
        func lineByLine(_ offer: Offer, segments indices: [Int]) -> Application? {
            // Eligible segments of one line, in segment order; lines in index order.
            var byLine: [Int: [(segment: Int, discount: SmallDecimal)]] = [:]
            for index in indices {
                let segment = segments[index]
                let remaining = segment.remaining
                let saving: SmallDecimal
                if let fraction = offer.fractionOff {
                    saving = remaining * fraction
                } else if let amount = offer.amountOff {
                    saving = amount * segment.quantity
                } else if let price = offer.dealPrice {
                    saving = remaining - price * segment.quantity
                } else {
                    saving = .zero
                }
                byLine[segment.line, default: []].append((index, min(max(saving, .zero), remaining)))
            }
            var parts: [Application.Part] = []
            for line in byLine.keys.sorted() {
                let ofLine = byLine[line] ?? []
                let sum = ofLine.sum(\.discount)
                let rounded = sum.rounded(toDecimals: decimals)
                guard sum.isPositive, rounded.isPositive else { continue }
                if ofLine.count == 1, let item = ofLine.first {
                    parts.append(.init(segment: item.segment, take: segments[item.segment].quantity, discount: rounded))
                    continue
                }
                for item in ofLine where item.discount.isPositive {
                    parts.append(.init(segment: item.segment, take: segments[item.segment].quantity, discount: rounded * item.discount / sum))
                }
            }
            return parts.isEmpty ? nil : Application(offerId: offer.offerId, parts: parts)
        }

        /// Mix-and-match: sets of whole units, each group (in name order) filled from the most
        /// valuable eligible units first; identical consecutive sets are taken in one step.
        func mixAndMatch(_ offer: Offer) -> Application? {
            guard !offer.groups.isEmpty else { return nil }
            var members: [String: Set<Int>] = [:]
            for group in offer.groups {
                members[group.name] = Set(eligible(offer, group: group.name == "" ? nil : group.name, matchGroup: true))
            }
            var unitValue: [Int: SmallDecimal] = [:]
            for index in Set(members.values.flatMap { $0 }) { unitValue[index] = segments[index].remaining / segments[index].quantity }
            let candidates = unitValue.keys.sorted { a, b in
                let unitA = unitValue[a] ?? .zero
                let unitB = unitValue[b] ?? .zero
                return unitA != unitB ? unitA > unitB : a < b
            }
            var available: [Int: SmallDecimal] = [:]
            for index in candidates { available[index] = segments[index].quantity.rounded(toDecimals: 0, .down) }
            var taken: [Int: SmallDecimal] = [:]
            var saving = SmallDecimal.zero
            for _ in 0..<DiscountEngine.maximumSetShapes {
                var shape: [Int: SmallDecimal] = [:]
                var complete = true
                for group in offer.groups {
                    var need = group.needed
                    for index in candidates where need.isPositive && members[group.name]?.contains(index) == true {
                        let left = (available[index] ?? .zero) - (shape[index] ?? .zero)
                        guard left.isPositive else { continue }
                        let take = min(left, need)
                        shape[index, default: .zero] += take
                        need -= take
                    }
                    if need.isPositive { complete = false }
                }
                guard complete, !shape.isEmpty else { break }
                let repeats = shape.map { index, count in ((available[index] ?? .zero) / count).rounded(toDecimals: 0, .down) }.min() ?? .zero
                guard repeats >= 1 else { break }
                let setValue = shape.sum { $0.value * (unitValue[$0.key] ?? .zero) }
                let setSaving: SmallDecimal
                if let price = offer.dealPrice {
                    setSaving = max(setValue - price, .zero)
                } else if let fraction = offer.fractionOff {
                    setSaving = setValue * fraction
                } else if let amount = offer.amountOff {
                    setSaving = min(amount, setValue)
                } else {
                    setSaving = .zero
                }
                saving += setSaving * repeats
                for (index, count) in shape {
                    available[index, default: .zero] -= count * repeats
                    taken[index, default: .zero] += count * repeats
                }
            }
            guard saving.isPositive else { return nil }
            let portions: [(segment: Int, take: SmallDecimal, value: SmallDecimal)] = taken.keys.sorted().map { index in
                (index, taken[index] ?? .zero, (taken[index] ?? .zero) * (unitValue[index] ?? .zero))
            }
            return shared(offer.offerId, saving: saving, over: portions)
        }

        /// Rounds an offer's saving to the currency and shares it over portions by their value:
        /// each gets its share rounded down, the remaining units go to the largest remainders
        /// (ties to the earlier portion).
        func shared(_ offerId: String, saving: SmallDecimal, over portions: [(segment: Int, take: SmallDecimal, value: SmallDecimal)]) -> Application? {
            let weight = portions.sum(\.value)
            let total = min(saving.rounded(toDecimals: decimals), weight)
            guard total.isPositive, weight.isPositive else { return nil }
            var shares: [SmallDecimal] = []
            var remainders: [(index: Int, remainder: SmallDecimal)] = []
            for (index, portion) in portions.enumerated() {
                let exact = total * portion.value / weight
                let floor = exact.rounded(toDecimals: decimals, .down)
                shares.append(floor)
                remainders.append((index, exact - floor))
            }
            let unit = SmallDecimal(significand: 1, scale: decimals)
            var left = total - shares.sum { $0 }
            for item in remainders.sorted(by: { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }) where left.isPositive {
                shares[item.index] += unit
                left -= unit
            }
            let parts = portions.enumerated().compactMap { index, portion in
                shares[index].isPositive ? Application.Part(segment: portion.segment, take: portion.take, discount: shares[index]) : nil
            }
            return parts.isEmpty ? nil : Application(offerId: offerId, parts: parts)
        }

        mutating func apply(_ application: Application, status: Segment.Status) {
            for part in application.parts {
                var target = part.segment
                let segment = segments[part.segment]
                if part.take < segment.quantity {
                    // The units taken become their own segment with their share of the discount so far.
                    let carried = segment.discount * part.take / segment.quantity
                    segments[part.segment].quantity -= part.take
                    segments[part.segment].discount -= carried
                    segments.append(Segment(
                        line: segment.line, quantity: part.take, unitPrice: segment.unitPrice, discount: carried, status: segment.status,
                        offerIds: segment.offerIds
                    ))
                    target = segments.count - 1
                }
                segments[target].discount += part.discount
                segments[target].status = status
                segments[target].offerIds.append(application.offerId)
            }
        }

        func result() -> [LineDiscount] {
            var discounts = [SmallDecimal](repeating: .zero, count: lines.count)
            var offerIds = [[String]](repeating: [], count: lines.count)
            for segment in segments {
                discounts[segment.line] += segment.discount
                for id in segment.offerIds where !offerIds[segment.line].contains(id) { offerIds[segment.line].append(id) }
            }
            return lines.indices.map { index in
                LineDiscount(lineId: lines[index].lineId, discountAmount: discounts[index].rounded(toDecimals: decimals).decimal, offerIds: offerIds[index])
            }
        }
    }
}
