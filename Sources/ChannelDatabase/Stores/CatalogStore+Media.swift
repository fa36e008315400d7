import Foundation

/// Media locations (images) of products and the translations of names and descriptions: what
/// headquarters' data, the demo seed and tests write, and what the API reads.
extension CatalogStore {
    /// The product's media locations in display order; nil when the channel has no such product.
    public func mediaLocations(productId: Int64, channelId: Int64, skip: Int, top: Int) async throws -> [MediaLocationRecord]? {
        let inChannel = try await transaction.queryFirst(
            "SELECT 1 AS found FROM channel_products WHERE channel_id = ? AND product_id = ?", [.integer(channelId), .integer(productId)]
        )
        guard inChannel != nil else { return nil }
        return try await transaction.query(
            "SELECT uri, alt_text, is_default, display_order FROM product_media WHERE product_id = ? ORDER BY display_order LIMIT ? OFFSET ?",
            [.integer(productId), .integer(Int64(top)), .integer(Int64(skip))]
        ).map { row in
            MediaLocationRecord(
                uri: row.string("uri") ?? "", altText: row.string("alt_text") ?? "", isDefault: row.bool("is_default"),
                displayOrder: row.int("display_order") ?? 0
            )
        }
    }

    /// Replaces a product's media locations. Every URI is checked first (see
    /// ``MediaLocationURI``); at most one may be the default. Nothing is written when one is
    /// refused.
    public func replaceMediaLocations(productId: Int64, _ locations: [MediaLocationRecord]) async throws {
        try Self.check(locations.map { (productId, $0) })
        try await transaction.execute("DELETE FROM product_media WHERE product_id = ?", [.integer(productId)])
        try await insertMediaLocations(locations.map { (productId, $0) })
    }

    /// Adds media locations of many products in few statements (the demo seed's hundreds of
    /// thousands), after checking every one.
    public func addMediaLocations(_ locations: [(productId: Int64, location: MediaLocationRecord)]) async throws {
        try Self.check(locations)
        try await insertMediaLocations(locations)
    }

    private func insertMediaLocations(_ locations: [(productId: Int64, location: MediaLocationRecord)]) async throws {
        try await transaction.insertRows(
            into: "product_media", columns: ["product_id", "display_order", "uri", "alt_text", "is_default"],
            locations.map { productId, location in
                [.integer(productId), .integer(Int64(location.displayOrder)), .text(location.uri), .text(location.altText), .bool(location.isDefault)]
            }
        )
    }

    private static func check(_ locations: [(productId: Int64, location: MediaLocationRecord)]) throws {
        var defaults: Set<Int64> = []
        for (productId, location) in locations {
            if let problem = MediaLocationURI.problem(location.uri) {
                throw DatabaseError.constraintViolation("media location \(location.displayOrder) of product \(productId): \(problem)")
            }
            if location.isDefault, !defaults.insert(productId).inserted {
                throw DatabaseError.constraintViolation("product \(productId) has more than one default media location")
            }
        }
    }

    /// Writes the name and description of products in one language (replacing what was there),
    /// in few statements. `language` is compared case-insensitively (stored lower-case).
    public func addProductTranslations(language: String, _ texts: [(productId: Int64, name: String, description: String)]) async throws {
        let language = try Self.checkedLanguage(language)
        for chunk in stride(from: 0, to: texts.count, by: 200).map({ texts[$0..<min($0 + 200, texts.count)] }) {
            let ids = chunk.map { DatabaseValue.integer($0.productId) }
            try await transaction.execute(
                "DELETE FROM product_translations WHERE language_id = ? AND product_id IN ("
                    + Array(repeating: "?", count: ids.count).joined(separator: ", ") + ")",
                [.text(language)] + ids
            )
            try await transaction.insertRows(
                into: "product_translations", columns: ["product_id", "language_id", "name", "description"],
                chunk.map { [.integer($0.productId), .text(language), .text($0.name), .text($0.description)] }
            )
        }
    }

    /// Writes category names in one language (replacing what was there).
    public func addCategoryTranslations(language: String, _ names: [(categoryId: Int64, name: String)]) async throws {
        let language = try Self.checkedLanguage(language)
        for (categoryId, name) in names {
            try await transaction.execute(
                "DELETE FROM category_translations WHERE category_id = ? AND language_id = ?", [.integer(categoryId), .text(language)]
            )
            try await transaction.execute(
                "INSERT INTO category_translations (category_id, language_id, name) VALUES (?, ?, ?)",
                [.integer(categoryId), .text(language), .text(name)]
            )
        }
    }

    /// A language id as stored: lower-case letters, digits and `-` (`de-de`, `zh-hans-cn`).
    static func checkedLanguage(_ language: String) throws -> String {
        let lower = language.lowercased()
        guard !lower.isEmpty, lower.count <= 35, lower.first != "-", lower.last != "-",
              lower.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else {
            throw DatabaseError.constraintViolation("'\(language)' is not a language id such as de-de")
        }
        return lower
    }
}

/// Which media URIs the catalog keeps: absolute `http`/`https` URLs with a host, or paths
/// relative to the retailer's media base URL (`Products/P00001_000_001.png`, as Dynamics 365
/// Commerce stores them). Anything else (`javascript:`, `data:`, `//host/x`, spaces) would
/// reach a storefront's `<img src>` and is refused.
public enum MediaLocationURI {
    /// Why `uri` is refused; nil when it is fine.
    public static func problem(_ uri: String) -> String? {
        guard !uri.isEmpty else { return "the URI is empty" }
        guard uri.utf8.count <= 2_048 else { return "the URI is longer than 2048 bytes" }
        guard !uri.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) else {
            return "the URI '\(uri)' contains spaces, control characters or backslashes"
        }
        for scheme in ["http://", "https://"] where uri.hasPrefix(scheme) {
            let rest = uri.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return host.isEmpty ? "the URL '\(uri)' has no host" : nil
        }
        if uri.contains(":") { return "'\(uri)' is neither an absolute http(s) URL (lower-case scheme) nor a relative path" }
        if uri.hasPrefix("//") { return "'\(uri)' is a scheme-relative URL; write it with https://" }
        return nil
    }
}
