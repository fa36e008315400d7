/// Which languages had product translations when a product list last looked, per language.
///
/// A product list reads the translated source only for a language that has translations (see
/// `CatalogStore.productSource(language:)`); asking the database took a statement of its own on
/// every list request. The answer changes only when headquarters adds the first or removes the
/// last translation of a language, so lists start from the last answer seen and their own
/// statement checks it on its snapshot (`CatalogStore.products`): a hint is never trusted
/// without that check, so it may be stale, shared by every database of the process, or lost.
/// Language ids are few; past ``entryLimit`` of them the hints start over.
///
/// Call from any thread.
final class ProductTranslationHints: Sendable {
    static let shared = ProductTranslationHints()
    static let entryLimit = 256

    private let hints = BoundedCache<String, Bool>(limit: entryLimit)

    /// The last answer seen for `language`, nil when none was.
    func translated(_ language: String) -> Bool? {
        hints[language]
    }

    func record(_ language: String, translated found: Bool) {
        if hints[language] != found { hints.store(found, for: language) }
    }
}
