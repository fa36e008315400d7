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
        var state = State(lines: lines, decimals: decimals)
        let usable = offers.filter { offer in
            // An amount in another currency cannot be applied without a conversion rule.
            let hasAmount = offer.amountOff != nil || offer.dealPrice != nil || offer.thresholdAmount != nil
            return !(hasAmount && offer.currencyCode != nil && offer.currencyCode != currency)
        }
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

    /// What happened to some units of one line so far.
    struct Segment {
        enum Status {
            case open
            case compounded
            case closed
        }

        var line: Int
        var quantity: Decimal
        var unitPrice: Decimal
        var discount: Decimal
        var status: Status
        var offerIds: [String]

        var value: Decimal { unitPrice * quantity }
        var remaining: Decimal { value - discount }
    }

    /// One offer's effect: discounts on (parts of) segments. `take` below the segment's quantity
    /// splits the segment.
    struct Application {
        struct Part {
            var segment: Int
            var take: Decimal
            var discount: Decimal
        }

        var offerId: String
        var parts: [Part]
        /// False for one line's share of a simple offer: the offer stays in play for other lines.
        var wholeOffer = true
        var firstLine = 0
        var total: Decimal { parts.reduce(0) { $0 + $1.discount } }
    }

    struct State {
        let lines: [Line]
        let decimals: Int
        var segments: [Segment]

        init(lines: [Line], decimals: Int) {
            self.lines = lines
            self.decimals = decimals
            segments = lines.enumerated().map { index, line in
                Segment(line: index, quantity: line.quantity, unitPrice: line.price, discount: 0, status: .open, offerIds: [])
            }
        }

        mutating func run(level offers: [DiscountOfferRecord]) {
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
            var cached: (bundle: State, rival: [Int: Decimal])?
            while true {
                // What the level's compounded offers would save on each line, taken together.
                var bundle = self
                var rival: [Int: Decimal] = [:]
                if localBundle, let cached {
                    rival = cached.rival
                } else {
                    for offer in compounded {
                        guard let application = bundle.evaluate(offer), application.total > 0 else { continue }
                        for part in application.parts { rival[bundle.segments[part.segment].line, default: 0] += part.discount }
                        bundle.apply(application, status: .compounded)
                    }
                    cached = (bundle, rival)
                }
                // A best-price offer wins the lines it touches only by saving strictly more there.
                let winners = bestPrice.flatMap { candidates($0) }.filter { application in
                    let lines = Set(application.parts.map { segments[$0.segment].line })
                    return application.total > lines.reduce(Decimal(0)) { $0 + (rival[$1] ?? 0) }
                }
                if let best = winners.max(by: Self.smaller) {
                    apply(best, status: .closed)
                    if best.wholeOffer {
                        bestPrice.removeAll { $0.offerId == best.offerId }
                        // It may have taken part of a line; what is left of it needs a fresh comparison.
                        cached = nil
                    }
                } else if rival.values.contains(where: { $0 > 0 }) {
                    if localBundle {
                        // The cached bundle was worked out before the last choices: apply it anew.
                        bundle = self
                        for offer in compounded {
                            guard let application = bundle.evaluate(offer), application.total > 0 else { continue }
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
        func candidates(_ offer: DiscountOfferRecord) -> [Application] {
            guard let application = evaluate(offer), application.total > 0 else { return [] }
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

        func eligible(_ offer: DiscountOfferRecord, group: String? = nil, matchGroup: Bool = false) -> [Int] {
            segments.indices.filter { index in
                let segment = segments[index]
                guard segment.quantity > 0 else { return false }
                switch (segment.status, offer.concurrency) {
                case (.closed, _), (.compounded, .exclusive), (.compounded, .bestPrice): return false
                default: break
                }
                let line = lines[segment.line]
                let scope = matchGroup ? offer.lines.filter { $0.mixMatchGroup == group } : offer.lines
                // An offer without lines covers every product.
                return offer.lines.isEmpty && !matchGroup ? true : scope.contains { covers($0, line) }
            }
        }

        func evaluate(_ offer: DiscountOfferRecord) -> Application? {
            switch offer.kind {
            case .simple: return lineByLine(offer, segments: eligible(offer))
            case .quantity:
                let candidates = eligible(offer)
                let needed = offer.lines.compactMap(\.quantity).max() ?? 1
                let units = candidates.reduce(Decimal(0)) { $0 + segments[$1].quantity }
                return units >= needed ? lineByLine(offer, segments: candidates) : nil
            case .mixAndMatch: return mixAndMatch(offer)
            case .threshold:
                let candidates = eligible(offer)
                let spent = candidates.reduce(Decimal(0)) { $0 + segments[$1].remaining }
                guard let threshold = offer.thresholdAmount, spent >= threshold, spent > 0 else { return nil }
                let saving: Decimal
                if let percent = offer.percentOff {
                    saving = spent * percent / 100
                } else if let amount = offer.amountOff {
                    saving = min(amount, spent)
                } else {
                    return nil
                }
                let portions: [(segment: Int, take: Decimal, value: Decimal)] = candidates.map { ($0, segments[$0].quantity, segments[$0].remaining) }
                return shared(offer.offerId, saving: saving, over: portions)
            }
        }

        /// Simple and quantity offers: each unit's saving, rounded once per line.
        func lineByLine(_ offer: DiscountOfferRecord, segments indices: [Int]) -> Application? {
            var raw: [(segment: Int, discount: Decimal)] = []
            // Decimal division is the costly operation here: one per offer, not one per unit.
            let factor = offer.percentOff.map { $0 / 100 }
            for index in indices {
                let segment = segments[index]
                let saving: Decimal
                if let factor {
                    saving = segment.remaining * factor
                } else if let amount = offer.amountOff {
                    saving = amount * segment.quantity
                } else if let price = offer.dealPrice {
                    saving = segment.remaining - price * segment.quantity
                } else {
                    saving = 0
                }
                raw.append((index, min(max(saving, 0), segment.remaining)))
            }
            var parts: [Application.Part] = []
            for line in Set(raw.map { segments[$0.segment].line }).sorted() {
                let ofLine = raw.filter { segments[$0.segment].line == line }
                let sum = ofLine.reduce(Decimal(0)) { $0 + $1.discount }
                let rounded = sum.rounded(toDecimals: decimals)
                guard sum > 0, rounded > 0 else { continue }
                if ofLine.count == 1, let item = ofLine.first {
                    parts.append(.init(segment: item.segment, take: segments[item.segment].quantity, discount: rounded))
                    continue
                }
                for item in ofLine where item.discount > 0 {
                    parts.append(.init(segment: item.segment, take: segments[item.segment].quantity, discount: rounded * item.discount / sum))
                }
            }
            return parts.isEmpty ? nil : Application(offerId: offer.offerId, parts: parts)
        }

        /// Mix-and-match: sets of whole units, each group (in name order) filled from the most
        /// valuable eligible units first; identical consecutive sets are taken in one step.
        func mixAndMatch(_ offer: DiscountOfferRecord) -> Application? {
            let groups = Array(Set(offer.lines.map { $0.mixMatchGroup ?? "" })).sorted()
            guard !groups.isEmpty else { return nil }
            var needed: [String: Decimal] = [:]
            var members: [String: Set<Int>] = [:]
            for group in groups {
                needed[group] = max(offer.lines.filter { ($0.mixMatchGroup ?? "") == group }.compactMap(\.quantity).max() ?? 1, 1).rounded(toDecimals: 0)
                members[group] = Set(eligible(offer, group: group == "" ? nil : group, matchGroup: true))
            }
            var unitValue: [Int: Decimal] = [:]
            for index in Set(members.values.flatMap { $0 }) { unitValue[index] = segments[index].remaining / segments[index].quantity }
            let candidates = unitValue.keys.sorted { a, b in
                let unitA = unitValue[a] ?? 0
                let unitB = unitValue[b] ?? 0
                return unitA != unitB ? unitA > unitB : a < b
            }
            var available: [Int: Decimal] = [:]
            for index in candidates { available[index] = wholeUnits(segments[index].quantity) }
            var taken: [Int: Decimal] = [:]
            var saving = Decimal(0)
            for _ in 0..<DiscountEngine.maximumSetShapes {
                var shape: [Int: Decimal] = [:]
                var complete = true
                for group in groups {
                    var need = needed[group] ?? 1
                    for index in candidates where need > 0 && members[group]?.contains(index) == true {
                        let left = (available[index] ?? 0) - (shape[index] ?? 0)
                        guard left > 0 else { continue }
                        let take = min(left, need)
                        shape[index, default: 0] += take
                        need -= take
                    }
                    if need > 0 { complete = false }
                }
                guard complete, !shape.isEmpty else { break }
                let repeats = shape.map { index, count in wholeUnits((available[index] ?? 0) / count) }.min() ?? 0
                guard repeats >= 1 else { break }
                let setValue = shape.reduce(Decimal(0)) { sum, item in sum + item.value * (unitValue[item.key] ?? 0) }
                let setSaving: Decimal
                if let price = offer.dealPrice {
                    setSaving = max(setValue - price, 0)
                } else if let percent = offer.percentOff {
                    setSaving = setValue * percent / 100
                } else if let amount = offer.amountOff {
                    setSaving = min(amount, setValue)
                } else {
                    setSaving = 0
                }
                saving += setSaving * repeats
                for (index, count) in shape {
                    available[index, default: 0] -= count * repeats
                    taken[index, default: 0] += count * repeats
                }
            }
            guard saving > 0 else { return nil }
            let portions: [(segment: Int, take: Decimal, value: Decimal)] = taken.keys.sorted().map { index in
                (index, taken[index] ?? 0, (taken[index] ?? 0) * (unitValue[index] ?? 0))
            }
            return shared(offer.offerId, saving: saving, over: portions)
        }

        func wholeUnits(_ quantity: Decimal) -> Decimal {
            var input = quantity
            var output = Decimal()
            NSDecimalRound(&output, &input, 0, .down)
            return output
        }

        /// Rounds an offer's saving to the currency and shares it over portions by their value:
        /// each gets its share rounded down, the remaining units go to the largest remainders
        /// (ties to the earlier portion).
        func shared(_ offerId: String, saving: Decimal, over portions: [(segment: Int, take: Decimal, value: Decimal)]) -> Application? {
            let total = min(saving.rounded(toDecimals: decimals), portions.reduce(Decimal(0)) { $0 + $1.value })
            let weight = portions.reduce(Decimal(0)) { $0 + $1.value }
            guard total > 0, weight > 0 else { return nil }
            var shares: [Decimal] = []
            var remainders: [(index: Int, remainder: Decimal)] = []
            for (index, portion) in portions.enumerated() {
                let exact = total * portion.value / weight
                var input = exact
                var floor = Decimal()
                NSDecimalRound(&floor, &input, decimals, .down)
                shares.append(floor)
                remainders.append((index, exact - floor))
            }
            var unit = Decimal(1)
            for _ in 0..<decimals { unit /= 10 }
            var left = total - shares.reduce(0, +)
            for item in remainders.sorted(by: { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }) where left > 0 {
                shares[item.index] += unit
                left -= unit
            }
            let parts = portions.enumerated().compactMap { index, portion in
                shares[index] > 0 ? Application.Part(segment: portion.segment, take: portion.take, discount: shares[index]) : nil
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
            lines.indices.map { index in
                let own = segments.filter { $0.line == index }
                var offerIds: [String] = []
                for segment in own {
                    for id in segment.offerIds where !offerIds.contains(id) { offerIds.append(id) }
                }
                let discount = own.reduce(Decimal(0)) { $0 + $1.discount }.rounded(toDecimals: decimals)
                return LineDiscount(lineId: lines[index].lineId, discountAmount: discount, offerIds: offerIds)
            }
        }
    }
}
