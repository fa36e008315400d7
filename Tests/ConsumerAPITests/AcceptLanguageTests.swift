import Testing

@testable import ConsumerAPI

@Suite("Accept-Language")
struct AcceptLanguageTests {
    static let supported = ["en-us", "de-de", "fr-fr"]

    @Test("the first supported language by q-value, then header order; the channel's when none fits")
    func negotiation() {
        let cases: [(String?, String)] = [
            (nil, "en-us"),
            ("", "en-us"),
            ("de-DE", "de-de"),
            ("fr-fr;q=0.5, de-de;q=0.8", "de-de"),
            ("fr-fr;q=0.8, de-de;q=0.8", "fr-fr"),
            ("it-it, fr;q=0.9, de;q=0.1", "fr-fr"),
            ("de-AT", "de-de"),
            ("de", "de-de"),
            ("it-IT, es", "en-us"),
            ("de-de;q=0, fr-fr;q=0.001", "fr-fr"),
            ("de-de;q=2, fr-fr;q=0.3", "fr-fr"),
            ("de-de;q=abc", "en-us"),
            ("*;q=0.9, fr-fr;q=0.5", "en-us"),
            (" fr-FR ; q=1.000 ", "fr-fr"),
        ]
        for (header, expected) in cases {
            #expect(AcceptLanguage.negotiate(header, supported: Self.supported, fallback: "en-us") == expected, "\(header ?? "nil")")
        }
    }
}
