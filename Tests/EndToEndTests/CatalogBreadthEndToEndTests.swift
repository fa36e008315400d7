import Foundation
import Testing

/// Names per language (`Accept-Language`, `Content-Language`), media locations and channel
/// navigation hierarchies over real HTTP against the demo catalog, on SQLite and PostgreSQL.
@Suite("Catalog breadth end to end", .serialized)
struct CatalogBreadthEndToEndTests {
    static let first: Int64 = 68_719_476_737
    static let onlineChannel: Int64 = 5_637_144_592
    static let electronics: Int64 = 5_637_145_332

    private func host(_ backend: String) async throws -> HostProcess {
        var arguments = ["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()]
        if backend == "postgres" { arguments += ["--database", try await freshPostgresDatabase()] }
        return try await HostProcess(arguments)
    }

    private func values(_ result: HTTPResult) -> [[String: Any]] { result.json?["value"] as? [[String: Any]] ?? [] }

    @Test(
        "translated names by key, in lists and in search, chosen by Accept-Language q-values, with Content-Language",
        arguments: ["sqlite", "postgres"])
    func translations(_ backend: String) async throws {
        let host = try await host(backend)

        let plain = try await host.get("/Commerce/Products(\(Self.first))")
        #expect(plain.status == 200, "\(plain.text)")
        #expect(plain.json?["Name"] as? String == "Classic Shirt 1")
        #expect(plain.header("Content-Language") == "en-us")
        #expect(plain.json?["PrimaryImageUrl"] as? String == "Products/P00001_000_001.png")

        let german = try await host.get("/Commerce/Products(\(Self.first))", headers: ["Accept-Language": "fr-FR;q=0.4, de-DE;q=0.9, en;q=0.1"])
        #expect(german.json?["Name"] as? String == "Klassik Hemd 1")
        #expect(german.json?["Description"] as? String == "Aus Baumwolle von Contoso.")
        #expect(german.header("Content-Language") == "de-de")
        #expect(german.header("Vary") == "Accept-Language")
        // The ETag follows the representation: another language, another tag.
        #expect(german.header("ETag") != plain.header("ETag"))

        let french = try await host.get("/Commerce/Products(\(Self.first))", headers: ["Accept-Language": "it-IT, fr;q=0.8"])
        #expect(french.json?["Name"] as? String == "Chemise Classic 1")
        #expect(french.header("Content-Language") == "fr-fr")
        // Without German text the master data's; an unsupported language gets the channel's.
        let fallback = try await host.get("/Commerce/Products(\(Self.first + 400))", headers: ["Accept-Language": "de-de"])
        #expect(fallback.json?["Name"] as? String == "Classic Shirt 401")
        let italian = try await host.get("/Commerce/Products(\(Self.first))", headers: ["Accept-Language": "it-IT"])
        #expect(italian.json?["Name"] as? String == "Classic Shirt 1")
        #expect(italian.header("Content-Language") == "en-us")
        // The Seattle store speaks German but not French.
        let seattle = try await host.get("/Commerce/Products(\(Self.first))", headers: ["Accept-Language": "fr-fr, de-de;q=0.5", "OUN": "0101"])
        #expect(seattle.json?["Name"] as? String == "Klassik Hemd 1")

        let listed = try await host.get(
            "/Commerce/Products?$filter=contains(Name,'Rucksack')&$orderby=Name%20desc&$count=true&$top=2&$select=Name",
            headers: ["Accept-Language": "de"]
        )
        #expect(listed.status == 200, "\(listed.text)")
        #expect(listed.json?["@odata.count"] as? Int == 15)
        #expect(values(listed).compactMap { $0["Name"] as? String }.allSatisfy { $0.contains("Rucksack") })
        #expect(listed.header("Content-Language") == "de-de")

        let body = #"{"searchCriteria":{"SearchCondition":"rucksack"}}"#
        let found = try await host.send(
            "POST", "/Commerce/Products/Search?$count=true&$top=3", headers: ["Content-Type": "application/json", "Accept-Language": "de-de"],
            body: body
        )
        #expect(found.status == 200, "\(found.text)")
        #expect(found.json?["@odata.count"] as? Int == 15)
        #expect(values(found).allSatisfy { ($0["Name"] as? String)?.contains("Rucksack") == true })
        #expect(found.header("Content-Language") == "de-de")

        let categories = try await host.get("/Commerce/Categories(\(Self.electronics))", headers: ["Accept-Language": "de-de"])
        #expect(categories.json?["Name"] as? String == "Elektronik")
        #expect(categories.header("Content-Language") == "de-de")
        _ = await host.stop()
    }

    @Test(
        "GetMediaLocations: order, default, paging, 404 for unknown products, the channel checked; $metadata declares it",
        arguments: ["sqlite", "postgres"])
    func media(_ backend: String) async throws {
        let host = try await host(backend)
        let media = try await host.get("/Commerce/Products(\(Self.first))/GetMediaLocations(channelId=\(Self.onlineChannel),catalogId=0)?$count=true")
        #expect(media.status == 200, "\(media.text)")
        #expect(
            (media.json?["@odata.context"] as? String)?.hasSuffix("$metadata#Collection(Microsoft.Dynamics.Commerce.Runtime.DataModel.MediaLocation)")
                == true)
        #expect(media.json?["@odata.count"] as? Int == 3)
        #expect(
            values(media).compactMap { $0["Uri"] as? String }
                == ["Products/P00001_000_001.png", "Products/P00001_000_002.png", "https://media.example.com/products/P00001/detail.jpg"])
        #expect(values(media).compactMap { $0["IsDefault"] as? Bool } == [true, false, false])
        #expect(values(media).first?["AltText"] as? String == "Classic Shirt 1, front")

        let qualified = try await host.get(
            "/Commerce/Products/\(Self.first)/Microsoft.Dynamics.Commerce.Runtime.DataModel.GetMediaLocations()?$skip=1&$top=1")
        #expect(qualified.status == 200, "\(qualified.text)")
        #expect(values(qualified).compactMap { $0["Uri"] as? String } == ["Products/P00001_000_002.png"])

        let unknown = try await host.get("/Commerce/Products(42)/GetMediaLocations(channelId=0,catalogId=0)")
        #expect(unknown.status == 404)
        // Product 601 is sold online only.
        let elsewhere = try await host.get("/Commerce/Products(\(Self.first + 600))/GetMediaLocations()", headers: ["OUN": "0101"])
        #expect(elsewhere.status == 404)
        let otherChannel = try await host.get("/Commerce/Products(\(Self.first))/GetMediaLocations(channelId=5637144593,catalogId=0)")
        #expect(otherChannel.status == 400)
        #expect((otherChannel.json?["error"] as? [String: Any])?["target"] as? String == "channelId")
        let badParameter = try await host.get("/Commerce/Products(\(Self.first))/GetMediaLocations(channel=1)")
        #expect(badParameter.status == 400)
        let posted = try await host.send(
            "POST", "/Commerce/Products(\(Self.first))/GetMediaLocations()", headers: ["Content-Type": "application/json"], body: "{}")
        #expect(posted.status == 405)

        let metadata = try await host.get("/Commerce/$metadata")
        #expect(metadata.text.contains(#"<Property Name="PrimaryImageUrl" Type="Edm.String""#))
        #expect(metadata.text.contains(#"<Function Name="GetMediaLocations" IsBound="true""#))
        #expect(metadata.text.contains(#"<ComplexType Name="MediaLocation">"#))
        _ = await host.stop()
    }

    @Test("Categories answer with the channel's navigation hierarchy; outside it a category is 404", arguments: ["sqlite", "postgres"])
    func navigation(_ backend: String) async throws {
        let host = try await host(backend)
        let online = try await host.get("/Commerce/Categories?$count=true&$top=0")
        #expect(online.json?["@odata.count"] as? Int == 24)
        let seattle = try await host.get("/Commerce/Categories?$filter=ParentCategory%20eq%20null&$orderby=DisplayOrder", headers: ["OUN": "0101"])
        #expect(seattle.status == 200, "\(seattle.text)")
        #expect(values(seattle).compactMap { $0["Name"] as? String } == ["Outdoors", "Clothing"])
        let seattleCount = try await host.get("/Commerce/Categories/$count", headers: ["OUN": "0101"])
        #expect(seattleCount.text == "12")
        let outside = try await host.get("/Commerce/Categories(\(Self.electronics))", headers: ["OUN": "0101"])
        #expect(outside.status == 404)
        let outsideProducts = try await host.get("/Commerce/Categories(\(Self.electronics))/Products", headers: ["OUN": "0101"])
        #expect(outsideProducts.status == 404)
        let inside = try await host.get("/Commerce/Categories(\(Self.electronics))")
        #expect(inside.status == 200)
        let search = try await host.send(
            "POST", "/Commerce/Products/Search?$count=true&$top=0", headers: ["Content-Type": "application/json", "OUN": "0101"],
            body: #"{"searchCriteria":{"CategoryIds":[\#(Self.electronics)]}}"#
        )
        #expect(search.status == 200, "\(search.text)")
        #expect(search.json?["@odata.count"] as? Int == 0)
        _ = await host.stop()
    }
}
