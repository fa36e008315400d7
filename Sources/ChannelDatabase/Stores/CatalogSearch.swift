public import CommerceQuery
public import Foundation

/// A product search as the store runs it: full text, categories, refinements, and the usual
/// `$filter`/`$orderby` on top.
public struct ProductSearchQuery: Sendable, Hashable {
    /// Words and phrases; nil searches no text (and orders by `criteria`, then record id).
    public var text: SearchExpression?
    /// Products in any of these categories; empty means every category.
    public var categoryIds: [Int64]
    /// Whether a category also stands for all the categories below it.
    public var includeSubcategories: Bool
    /// Selected refiner values: values of one refiner are alternatives, refiners all apply.
    public var refinements: [ProductRefinementValue]
    /// `$filter` and `$orderby`; `$search` is ignored here (``text`` is the search).
    public var criteria: QueryCriteria

    public init(
        text: SearchExpression? = nil, categoryIds: [Int64] = [], includeSubcategories: Bool = true,
        refinements: [ProductRefinementValue] = [], criteria: QueryCriteria = QueryCriteria()
    ) {
        self.text = text
        self.categoryIds = categoryIds
        self.includeSubcategories = includeSubcategories
        self.refinements = refinements
        self.criteria = criteria
    }
}

/// One selected refiner value.
public enum ProductRefinementValue: Sendable, Hashable {
    /// Products whose attribute has this text value.
    case attribute(id: Int64, value: String)
    /// Products in this category or one below it.
    case category(Int64)
    /// Products priced from `minimum` (inclusive) up to `maximum` (exclusive); nil is open.
    case price(minimum: Decimal?, maximum: Decimal?)
}

/// A refiner with its values and how many of the found products have each.
public struct RefinerRecord: Sendable, Hashable {
    public enum Source: Int, Sendable, Hashable {
        case attribute = 1
        case category = 2
        case price = 3
    }

    public var source: Source
    /// The attribute's record id; 0 for the category and price refiners.
    public var recordId: Int64
    public var name: String
    public var values: [RefinerValueRecord]
}

public struct RefinerValueRecord: Sendable, Hashable {
    /// The attribute text, the category's record id, or the lower price bound.
    public var value: String
    /// The upper price bound (exclusive); nil otherwise and for the open top range.
    public var upperBound: String?
    /// The category's name; nil otherwise.
    public var label: String?
    public var count: Int
}

extension CatalogStore {
    /// Price ranges of the price refiner, in the channel's currency: [0, 25), [25, 50), ...,
    /// [1000, ∞). Fixed, so the same range means the same thing on every page and request.
    public static let priceRangeBounds: [Decimal] = [0, 25, 50, 100, 250, 500, 1_000]

    /// One page of the channel's products found by `search`: by relevance when there is text
    /// and no `$orderby`, then by record id, so pages never overlap or skip.
    /// Names and descriptions come in `language` where translated; `$filter` and `$orderby` on
    /// `Name` see the translated name. Category filters and refinements reach only the
    /// categories the channel shows (see ``categories(channelId:language:skip:top:criteria:)``).
    ///
    /// Relevance is in tiers (``SearchTier``): products whose names hold every word, then item
    /// ids, then attribute text, then the rest; by record id within a tier. Each tier is read in
    /// record-id order and only until the page is full, so a word found in 30,000 products costs
    /// about what one found in 30 does; scoring every match (`bm25`, `ts_rank`) before the first
    /// page did not (BENCHMARKS.md).
    public func searchProducts(
        channelId: Int64, skip: Int, top: Int, search: ProductSearchQuery, language: String? = nil
    ) async throws -> [ProductRecord] {
        let source = try await productSource(language: language)
        let dialect = transaction.dialect
        let words = try search.text.flatMap { text throws(QueryTranslationError) in try FullTextQuery.render(text, for: dialect) }
        guard words != nil, search.criteria.orderBy.isEmpty else {
            var walk: String?
            if let words, let index = Self.orderIndex(search, source: source.sql, dialect: dialect) {
                if Self.wordsAlone(search) {
                    if let page = try await walkedPage(search, words: words, index: index, channelId: channelId, skip: skip, top: top) {
                        return try await completed(page)
                    }
                } else {
                    walk = try await orderIndexWorthWalking(search, index: index, channelId: channelId, rows: skip + top)
                }
            }
            var statement = try SearchStatement(search, channelId: channelId, source: source, dialect: dialect, ranked: true, walking: walk)
            statement.append(" LIMIT ? OFFSET ?", [.integer(Int64(top)), .integer(Int64(skip))])
            return try await completed(try await transaction.query(Self.productColumns + statement.sql, statement.arguments))
        }
        var rows: [DatabaseRow] = []
        // What is still to be skipped: within the current tier, or past it.
        var remainingSkip = skip
        // The products of the better tiers while each was read whole, from its start: a tier
        // that fills less than the page is all there, so the next tier excludes these ids
        // instead of searching the better tiers' indexes again.
        var better: [Int64]? = []
        for tier in SearchTier.allCases {
            let wanted = top - rows.count
            guard wanted > 0 else { break }
            var statement = try SearchStatement(search, channelId: channelId, source: source, dialect: dialect, ranked: true, tier: tier, excluding: better)
            statement.append(" LIMIT ? OFFSET ?", [.integer(Int64(wanted)), .integer(Int64(remainingSkip))])
            let found = try await transaction.query(Self.productColumns + statement.sql, statement.arguments)
            rows += found
            better = remainingSkip == 0 ? better.map { $0 + found.compactMap { $0.int64(at: 0) } } : nil
            if !found.isEmpty {
                // The page started inside this tier; the next one is read from its start.
                remainingSkip = 0
            } else if remainingSkip > 0 {
                // The whole tier lies before the page: only its size matters.
                let counted = try SearchStatement(
                    search, channelId: channelId, source: try await filterSource(search.criteria.filter == nil, language: language),
                    dialect: dialect, ranked: false, tier: tier
                )
                let size = try await transaction.queryFirst("SELECT COUNT(*) AS n" + counted.sql, counted.arguments)?.int("n") ?? 0
                remainingSkip = max(remainingSkip - size, 0)
            }
        }
        return try await completed(rows)
    }

    /// A page of a search that only words restrict, ordered by one indexed column, when the
    /// words match many products (see ``orderIndexWorthWalking(_:index:channelId:rows:)``): the
    /// matches' ids come into the engine as a sorted array, and the column's index is walked in
    /// order, a thousand entries at a time, keeping the products found until the page is full.
    /// Handing SQLite the matches as `IN (SELECT rowid ...)` made it build a B-tree of them
    /// first, ~30 ms for 100,000 matches of 1M products, where reading them takes ~5 ms. nil when
    /// the search is not of that kind or the words match too few products (sorting is cheaper).
    /// `words` is the search text as an FTS5 query.
    func walkedPage(_ search: ProductSearchQuery, words: String, index: String, channelId: Int64, skip: Int, top: Int) async throws -> [DatabaseRow]? {
        let matches = try await transaction.integers(
            "SELECT rowid FROM product_search WHERE product_search MATCH ? ORDER BY rowid", [.text(words)]
        )
        guard matches.count >= max(1_000, 50 * (skip + top)) else { return nil }
        let column = index == "products_name" ? "p.name" : "p.base_price"
        let descending = search.criteria.orderBy[0].descending
        let wanted = skip + top
        let chunk = 1_000
        var found: [Int64] = []
        var last: (value: DatabaseValue, id: Int64)?
        while found.count < wanted {
            // The index alone (it covers the column and the record id); the channel's assortment
            // is checked afterwards for the few entries the words found, not for every entry.
            var sql = "SELECT p.record_id, \(column) FROM products p INDEXED BY \(index) WHERE 1 = 1"
            var arguments: [DatabaseValue] = []
            if let last {
                // After the last entry of the previous chunk, in (column, record id) order; the
                // first condition alone is a range of the index.
                sql += descending ? " AND \(column) <= ? AND (\(column) < ? OR p.record_id > ?)" : " AND \(column) >= ? AND (\(column) > ? OR p.record_id > ?)"
                arguments += [last.value, last.value, .integer(last.id)]
            }
            sql += " ORDER BY \(column) \(descending ? "DESC" : "ASC"), p.record_id LIMIT ?"
            arguments.append(.integer(Int64(chunk)))
            let entries = try await transaction.query(sql, arguments)
            let candidates = entries.compactMap { $0.int64(at: 0) }.filter { Self.sortedContains(matches, $0) }
            if !candidates.isEmpty {
                let assorted = Set(try await transaction.integers(
                    "SELECT product_id FROM channel_products WHERE channel_id = ? AND product_id IN ("
                        + Array(repeating: "?", count: candidates.count).joined(separator: ", ") + ")",
                    [.integer(channelId)] + candidates.map { .integer($0) }
                ))
                found += candidates.filter { assorted.contains($0) }.prefix(wanted - found.count)
            }
            guard entries.count == chunk, let tail = entries.last, let id = tail.int64(at: 0) else { break }
            last = (tail[1], id)
        }
        let page = Array(found.dropFirst(skip).prefix(top))
        guard !page.isEmpty else { return [] }
        let rows = try await transaction.query(
            Self.productColumns + " FROM products p WHERE p.record_id IN (" + Array(repeating: "?", count: page.count).joined(separator: ", ") + ")",
            page.map { .integer($0) }
        )
        var byId: [Int64: DatabaseRow] = [:]
        for row in rows { if let id = row.int64(at: 0) { byId[id] = row } }
        return page.compactMap { byId[$0] }
    }

    /// Whether the ascending `values` hold `value`.
    private static func sortedContains(_ values: [Int64], _ value: Int64) -> Bool {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < values.count && values[low] == value
    }

    /// Indexes that hold products in the order of a `$orderby` property (SQLite, untranslated
    /// names only: the translated source is a sub-select and has no index).
    private static let orderIndexes = ["BasePrice": "products_base_price", "Price": "products_base_price", "AdjustedPrice": "products_base_price", "Name": "products_name"]

    /// The index that holds the products in the search's order: SQLite, the untranslated source,
    /// one `$orderby` property that has one.
    static func orderIndex(_ search: ProductSearchQuery, source: String, dialect: SQLDialect) -> String? {
        guard dialect == .sqlite, source == plainProducts, search.criteria.orderBy.count == 1,
              case .property(let path) = search.criteria.orderBy[0].expression, path.count == 1
        else { return nil }
        return orderIndexes[path[0]]
    }

    /// Whether words are all that restricts the search (besides the channel's assortment).
    static func wordsAlone(_ search: ProductSearchQuery) -> Bool {
        search.categoryIds.isEmpty && search.refinements.isEmpty && search.criteria.filter == nil
    }

    /// Whether a search ordered by `index`'s column, restricted by more than words, finds so
    /// many products that SQLite should walk the index in order, keeping what the search found
    /// (`IN (SELECT rowid ...)`), rather than sort every match.
    ///
    /// Sorting reads every matching product (a word in 10,000 products of 100,000: ~20 ms);
    /// the walk reads about `rows` × catalog / matches index entries, and is the slow way for a
    /// rare word (it may walk the whole index to find nothing). Which one a search is, a
    /// bounded count of the whole search tells: at least `max(1,000, 50 × rows)` products, and
    /// the walk visits at most a fiftieth of the catalog.
    func orderIndexWorthWalking(_ search: ProductSearchQuery, index: String, channelId: Int64, rows: Int) async throws -> String? {
        let enough = max(1_000, 50 * rows)
        let probe = try SearchStatement(search, channelId: channelId, source: (Self.plainProducts, []), dialect: .sqlite, ranked: false)
        let found = try await transaction.queryFirst(
            "SELECT COUNT(*) AS n FROM (SELECT 1" + probe.sql + " LIMIT ?)", probe.arguments + [.integer(Int64(enough))]
        )?.int("n") ?? 0
        return found >= enough ? index : nil
    }

    public func searchCount(channelId: Int64, search: ProductSearchQuery, language: String? = nil) async throws -> Int {
        let source = try await filterSource(search.criteria.filter == nil, language: language)
        let statement = try SearchStatement(search, channelId: channelId, source: source, dialect: transaction.dialect, ranked: false)
        return try await transaction.queryFirst("SELECT COUNT(*) AS n" + statement.sql, statement.arguments)?.int("n") ?? 0
    }

    /// The refiners of what `search` finds: categories (a category counts the products in it
    /// and below it), price ranges, and each refinable attribute's text values. Counts are of
    /// distinct products found with every selected refinement applied; values found on no
    /// product are left out.
    /// Only categories the channel shows are category values, named in `language`.
    public func refiners(channelId: Int64, search: ProductSearchQuery, language: String? = nil) async throws -> [RefinerRecord] {
        let source = try await filterSource(search.criteria.filter == nil, language: language)
        let found = try SearchStatement(search, channelId: channelId, source: source, dialect: transaction.dialect, ranked: false)
        let matches = "(SELECT p.record_id" + found.sql + ") m"
        var refiners: [RefinerRecord] = []

        let categoryRows = try await transaction.query(
            """
            WITH RECURSIVE tree(ancestor, id) AS (
                SELECT record_id, record_id FROM categories
                UNION ALL
                SELECT t.ancestor, c.record_id FROM tree t JOIN categories c ON c.parent_category_id = t.id
            )
            SELECT c.record_id, COALESCE(NULLIF(ct.name, ''), c.name) AS name, COUNT(DISTINCT pc.product_id) AS n
            FROM \(matches)
            JOIN product_categories pc ON pc.product_id = m.record_id
            JOIN tree t ON t.id = pc.category_id
            JOIN categories c ON c.record_id = t.ancestor
            LEFT JOIN category_translations ct ON ct.category_id = c.record_id AND ct.language_id = ?
            WHERE c.record_id IN \(Self.channelCategoryIds)
            GROUP BY c.record_id, COALESCE(NULLIF(ct.name, ''), c.name)
            ORDER BY n DESC, c.record_id
            """,
            found.arguments + [language.map { DatabaseValue.text($0) } ?? DatabaseValue.null, .integer(channelId), .integer(channelId)]
        )
        let categoryValues = categoryRows.compactMap { row -> RefinerValueRecord? in
            guard let id = row.int64("record_id") else { return nil }
            return RefinerValueRecord(value: String(id), upperBound: nil, label: row.string("name"), count: row.int("n") ?? 0)
        }
        if !categoryValues.isEmpty { refiners.append(RefinerRecord(source: .category, recordId: 0, name: "Category", values: categoryValues)) }

        // The bucket is computed in SQL so only one row per range comes back.
        let bounds = Self.priceRangeBounds.dropFirst()
        let bucket = "CASE " + bounds.enumerated().map { index, _ in "WHEN p.base_price < ? THEN \(index)" }.joined(separator: " ") + " ELSE \(bounds.count) END"
        let priceRows = try await transaction.query(
            "SELECT \(bucket) AS bucket, COUNT(*) AS n" + found.sql + " GROUP BY bucket ORDER BY bucket",
            try bounds.map { try DatabaseValue.decimal($0) } + found.arguments
        )
        let priceValues = priceRows.compactMap { row -> RefinerValueRecord? in
            guard let index = row.int("bucket"), Self.priceRangeBounds.indices.contains(index) else { return nil }
            let upper: String? = index + 1 < Self.priceRangeBounds.count ? "\(Self.priceRangeBounds[index + 1])" : nil
            return RefinerValueRecord(value: "\(Self.priceRangeBounds[index])", upperBound: upper, label: nil, count: row.int("n") ?? 0)
        }
        if !priceValues.isEmpty { refiners.append(RefinerRecord(source: .price, recordId: 0, name: "Price", values: priceValues)) }

        // One value per product and attribute (the primary key), so COUNT(*) counts products.
        let attributeRows = try await transaction.query(
            """
            SELECT a.record_id, a.name, av.text_value, COUNT(*) AS n
            FROM \(matches)
            JOIN product_attribute_values av ON av.product_id = m.record_id
            JOIN attributes a ON a.record_id = av.attribute_id
            WHERE a.is_refinable = 1 AND av.text_value IS NOT NULL
            GROUP BY a.record_id, a.name, av.text_value
            ORDER BY a.name, a.record_id, n DESC, av.text_value
            """,
            found.arguments
        )
        for row in attributeRows {
            guard let id = row.int64("record_id"), let text = row.string("text_value") else { continue }
            let value = RefinerValueRecord(value: text, upperBound: nil, label: nil, count: row.int("n") ?? 0)
            if let last = refiners.indices.last, refiners[last].source == .attribute, refiners[last].recordId == id {
                refiners[last].values.append(value)
            } else {
                refiners.append(RefinerRecord(source: .attribute, recordId: id, name: row.string("name") ?? "", values: [value]))
            }
        }
        return refiners
    }

    /// Record ids of the attributes a search may be refined by.
    public func refinableAttributeIds() async throws -> Set<Int64> {
        Set(try await transaction.query("SELECT record_id FROM attributes WHERE is_refinable = 1", []).compactMap { $0.int64("record_id") })
    }
}

/// Where a search's words were found, best first: the relevance order of
/// ``CatalogStore/searchProducts(channelId:skip:top:search:language:)``. A product is in the first
/// tier whose fields hold all its words (words after `NOT` are excluded from every field).
public enum SearchTier: Int, CaseIterable, Sendable {
    /// The name or a translated name (PostgreSQL weight A).
    case names
    /// The item id (weight B).
    case itemId
    /// Attribute text (weight C).
    case attributes
    /// Everything else found: descriptions (weight D), or words spread over several fields.
    case rest
}

extension SearchTier {
    /// The SQLite full-text table that holds the tier's fields (core schema 14); the rest is in
    /// the index of every field.
    var sqliteTable: String {
        switch self {
        case .names: "product_search_names"
        case .itemId: "product_search_items"
        case .attributes: "product_search_attributes"
        case .rest: "product_search"
        }
    }
}

/// The FROM, WHERE and (when ranked) ORDER BY of a product search, starting with " FROM", with
/// its arguments in text order. Every value is bound; only fixed SQL text is concatenated.
struct SearchStatement {
    private(set) var sql = ""
    private(set) var arguments: [DatabaseValue] = []
    private let channelId: Int64

    mutating func append(_ text: String, _ values: [DatabaseValue] = []) {
        sql += text
        arguments += values
    }

    /// `source` is the products as `p` (``CatalogStore/plainProducts`` or the translated ones)
    /// with its arguments. With a `tier`, only the text matches of that tier are found and,
    /// when ranked without `$orderby`, in record-id order: the order the full-text index reads
    /// them in, so a LIMIT stops the scan early.
    /// `walking` names an index of `products` to read the products through, in its order, for
    /// a search ordered by that index's column (SQLite, untranslated source only).
    /// `excluding` are the products of the better tiers when they are known whole (SQLite, a
    /// tier's own index); otherwise the better tiers' indexes are searched again to exclude them.
    init(
        _ search: ProductSearchQuery, channelId: Int64, source: (sql: String, arguments: [DatabaseValue]), dialect: SQLDialect, ranked: Bool,
        tier: SearchTier? = nil, walking index: String? = nil, excluding better: [Int64]? = nil
    ) throws(QueryTranslationError) {
        self.channelId = channelId
        var match: String?
        // The full-text table the statement reads, and in whose rowid order.
        var searched = "product_search"
        var fromWritten = false
        if let text = search.text, let tier, dialect == .sqlite, !FullTextQuery.negates(text) {
            // A tier's own index (core schema 14) holds only its fields, so the words need no
            // column filter there, and the better tiers are excluded through theirs.
            match = try FullTextQuery.render(text, for: dialect)
            searched = tier.sqliteTable
            if let match {
                fromWritten = true
                append(" FROM \(searched) JOIN \(source.sql) ON p.record_id = \(searched).rowid WHERE \(searched) MATCH ?", source.arguments + [.text(match)])
                if let better {
                    if !better.isEmpty { append(" AND p.record_id NOT IN (\(Self.placeholders(better.count)))", better.map { .integer($0) }) }
                } else {
                    for better in SearchTier.allCases where better.rawValue < tier.rawValue {
                        append(
                            " AND p.record_id NOT IN (SELECT rowid FROM \(better.sqliteTable) WHERE \(better.sqliteTable) MATCH ?)", [.text(match)]
                        )
                    }
                }
            }
        } else if let text = search.text {
            match = try FullTextQuery.render(text, for: dialect, tier: tier)
        }
        switch (match, dialect) {
        case _ where fromWritten:
            break
        case (let match?, .sqlite) where index != nil:
            // The matches become a set that the walk of the index probes; see
            // CatalogStore.orderIndexWorthWalking.
            append(
                " FROM products p INDEXED BY \(index ?? "") WHERE p.record_id IN (SELECT rowid FROM product_search WHERE product_search MATCH ?)",
                [.text(match)]
            )
        case (let match?, .sqlite):
            append(
                " FROM product_search JOIN \(source.sql) ON p.record_id = product_search.rowid WHERE product_search MATCH ?",
                source.arguments + [.text(match)]
            )
        case (let match?, .postgres):
            append(
                " FROM \(source.sql) JOIN product_search s ON s.product_id = p.record_id CROSS JOIN to_tsquery('simple', ?) q WHERE s.document @@ q",
                source.arguments + [.text(match)]
            )
        case (nil, _):
            append(" FROM \(source.sql) WHERE 1 = 1", source.arguments)
        }

        append(" AND EXISTS (SELECT 1 FROM channel_products cp WHERE cp.channel_id = ? AND cp.product_id = p.record_id)", [.integer(channelId)])
        if !search.categoryIds.isEmpty {
            appendCategories(search.categoryIds, subtree: search.includeSubcategories)
        }

        // Values of one refiner are alternatives (OR); refiners apply together (AND).
        var attributeValues: [Int64: [String]] = [:]
        var attributeOrder: [Int64] = []
        var refinedCategories: [Int64] = []
        var priceRanges: [(Decimal?, Decimal?)] = []
        for refinement in search.refinements {
            switch refinement {
            case .attribute(let id, let value):
                if attributeValues[id] == nil { attributeOrder.append(id) }
                attributeValues[id, default: []].append(value)
            case .category(let id):
                refinedCategories.append(id)
            case .price(let minimum, let maximum):
                priceRanges.append((minimum, maximum))
            }
        }
        for id in attributeOrder {
            let values = attributeValues[id] ?? []
            append(
                " AND EXISTS (SELECT 1 FROM product_attribute_values av WHERE av.product_id = p.record_id AND av.attribute_id = ? AND av.text_value IN ("
                    + Self.placeholders(values.count) + "))",
                [.integer(id)] + values.map { .text($0) }
            )
        }
        if !refinedCategories.isEmpty { appendCategories(refinedCategories, subtree: true) }
        if !priceRanges.isEmpty {
            var alternatives: [String] = []
            var values: [DatabaseValue] = []
            for (minimum, maximum) in priceRanges {
                var bounds: [String] = []
                do {
                    if let minimum {
                        bounds.append("p.base_price >= ?")
                        values.append(try .decimal(minimum))
                    }
                    if let maximum {
                        bounds.append("p.base_price < ?")
                        values.append(try .decimal(maximum))
                    }
                } catch {
                    throw QueryTranslationError("a price bound is out of range", target: "searchCriteria/Refinement")
                }
                alternatives.append(bounds.isEmpty ? "1 = 1" : "(" + bounds.joined(separator: " AND ") + ")")
            }
            append(" AND (" + alternatives.joined(separator: " OR ") + ")", values)
        }

        if let filter = search.criteria.filter {
            let fragment = try SQLQueryTranslator.whereClause(filter, table: CatalogStore.productTable, dialect: dialect)
            append(" AND (\(fragment.sql))", fragment.arguments)
        }

        guard ranked else { return }
        if !search.criteria.orderBy.isEmpty {
            let fragment = try SQLQueryTranslator.orderBy(search.criteria.orderBy, table: CatalogStore.productTable, dialect: dialect)
            append(" ORDER BY \(fragment.sql), p.record_id", fragment.arguments)
        } else {
            // Relevance is the tier (one statement each); within it, and without text, record id.
            // On SQLite the index's rowid, so FTS5 hands the rows over in order and nothing is sorted.
            append(dialect == .sqlite && match != nil ? " ORDER BY \(searched).rowid" : " ORDER BY p.record_id")
        }
    }

    /// Products in any of `categories` (and, for `subtree`, any category below them) that the
    /// channel shows: a category outside its navigation hierarchy finds nothing.
    private mutating func appendCategories(_ categories: [Int64], subtree: Bool) {
        let list = Self.placeholders(categories.count)
        let ids = subtree
            ? """
            WITH RECURSIVE subtree(id) AS (
                SELECT record_id FROM categories WHERE record_id IN (\(list))
                UNION SELECT c.record_id FROM categories c JOIN subtree t ON c.parent_category_id = t.id
            ) SELECT id FROM subtree
            """
            : list
        append(
            " AND EXISTS (SELECT 1 FROM product_categories pc WHERE pc.product_id = p.record_id AND pc.category_id IN (\(ids))"
                + " AND pc.category_id IN \(CatalogStore.channelCategoryIds))",
            categories.map { .integer($0) } + [.integer(channelId), .integer(channelId)]
        )
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: max(count, 1)).joined(separator: ", ")
    }
}

/// Search words and phrases as a full-text query: FTS5's MATCH syntax or PostgreSQL's tsquery.
///
/// Both backends index runs of letters and digits, lower-cased; the words are cut the same way
/// here, so a token is only letters and digits and is quoted without any escaping. A word of
/// several runs (`t-shirt`, `2.5`) is a phrase. The last token of each word or phrase matches as a
/// prefix (search as you type: `jack` finds `jacket`).
///
/// A ``SearchTier`` narrows the query: its fields must hold the words that are not negated
/// (FTS5 column filters; PostgreSQL weight labels), and the better tiers' matches are excluded,
/// so the tiers split the matches without overlap.
enum FullTextQuery {
    /// Whether some words are negated (`NOT`): those are excluded from every field, which a
    /// tier's own index, holding only some fields, cannot tell.
    static func negates(_ expression: SearchExpression) -> Bool {
        switch expression {
        case .word, .phrase: false
        case .not: true
        case .and(let left, let right), .or(let left, let right): negates(left) || negates(right)
        }
    }

    static func render(_ expression: SearchExpression, for dialect: SQLDialect, tier: SearchTier? = nil) throws(QueryTranslationError) -> String? {
        guard let all = try node(expression, dialect, nil) else { return nil }
        guard let tier else { return all }
        var better: [String] = []
        for earlier in SearchTier.allCases where earlier.rawValue < tier.rawValue {
            if let rendered = try node(expression, dialect, earlier) { better.append(rendered) }
        }
        let own = tier == .rest ? all : (try node(expression, dialect, tier) ?? all)
        switch dialect {
        case .sqlite:
            // FTS5's NOT is binary and left-associative: ((own NOT a) NOT b) ...
            return "(" + own + ")" + better.map { " NOT (\($0))" }.joined()
        case .postgres:
            return "(" + ([own] + better.map { "!(\($0))" }).joined(separator: " & ") + ")"
        }
    }

    /// The fields of a tier: an FTS5 column filter, a PostgreSQL weight label; nil for the rest.
    private static func fields(_ tier: SearchTier?, _ dialect: SQLDialect) -> String? {
        switch (tier, dialect) {
        case (.names?, .sqlite): "{name translated_names} : "
        case (.itemId?, .sqlite): "{item_id} : "
        case (.attributes?, .sqlite): "{attributes} : "
        case (.names?, .postgres): "A"
        case (.itemId?, .postgres): "B"
        case (.attributes?, .postgres): "C"
        case (.rest?, _), (nil, _): nil
        }
    }

    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                tokens.append(current.lowercased())
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current.lowercased()) }
        return tokens
    }

    /// nil when the expression has no letters or digits at all (it then restricts nothing).
    /// Words that are not negated must be in the fields of `tier`, when there is one.
    private static func node(_ expression: SearchExpression, _ dialect: SQLDialect, _ tier: SearchTier?) throws(QueryTranslationError) -> String? {
        switch expression {
        case .word(let text), .phrase(let text):
            let words = tokens(text)
            guard let last = words.last else { return nil }
            let restriction = fields(tier, dialect) ?? ""
            switch dialect {
            case .sqlite:
                return restriction + "\"" + words.joined(separator: " ") + "\"*"
            case .postgres:
                return "(" + (words.dropLast().map { "'\($0)'" + (restriction.isEmpty ? "" : ":" + restriction) } + ["'\(last)':*" + restriction])
                    .joined(separator: " <-> ") + ")"
            }
        case .not:
            throw QueryTranslationError(
                "NOT must follow a word that is not negated, as in 'jacket NOT leather'", target: "searchCriteria/SearchCondition"
            )
        case .or(let left, let right):
            let sides = [try node(left, dialect, tier), try node(right, dialect, tier)].compactMap { $0 }
            if sides.count < 2 { return sides.first }
            return "(" + sides.joined(separator: dialect == .sqlite ? " OR " : " | ") + ")"
        case .and:
            var positive: [String] = []
            var negative: [String] = []
            for operand in conjuncts(expression) {
                if case .not(let inner) = operand {
                    // Excluded from every field, whatever the tier.
                    if let rendered = try node(inner, dialect, nil) { negative.append(rendered) }
                } else if let rendered = try node(operand, dialect, tier) {
                    positive.append(rendered)
                }
            }
            guard !positive.isEmpty else {
                if negative.isEmpty { return nil }
                throw QueryTranslationError(
                    "NOT must follow a word that is not negated, as in 'jacket NOT leather'", target: "searchCriteria/SearchCondition"
                )
            }
            switch dialect {
            case .sqlite:
                // FTS5's NOT is binary: everything matched on its left except what its right matches.
                var text = "(" + positive.joined(separator: " AND ") + ")"
                for excluded in negative { text = "(\(text) NOT \(excluded))" }
                return text
            case .postgres:
                return "(" + (positive + negative.map { "!" + $0 }).joined(separator: " & ") + ")"
            }
        }
    }

    private static func conjuncts(_ expression: SearchExpression) -> [SearchExpression] {
        if case .and(let left, let right) = expression { return conjuncts(left) + conjuncts(right) }
        return [expression]
    }
}
