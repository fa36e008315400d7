import Foundation
import Testing

/// Service document, `$metadata` in both formats and content negotiation, over real HTTP.
@Suite("Metadata end to end", .serialized)
struct MetadataEndToEndTests {
    @Test("service document, CSDL XML and JSON, 406, 405 and 501")
    func metadata() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])

        let service = try await host.get("/Commerce/")
        #expect(service.status == 200)
        #expect((service.json?["@odata.context"] as? String)?.hasSuffix("/Commerce/$metadata") == true)
        let entries = service.json?["value"] as? [[String: Any]] ?? []
        let names = Set(entries.compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: ["Products", "Categories", "Carts", "Customers", "SalesOrders", "OrgUnits", "GetTenderTypes"]))
        #expect(entries.first { $0["name"] as? String == "GetTenderTypes" }?["kind"] as? String == "FunctionImport")
        #expect(try await host.get("/Commerce").status == 200)

        let xml = try await host.get("/Commerce/$metadata")
        #expect(xml.status == 200)
        #expect(xml.header("Content-Type")?.hasPrefix("application/xml") == true)
        #expect(xml.header("OData-Version") == "4.0")
        #expect(xml.text.contains(#"<EntitySet Name="Products" EntityType="Microsoft.Dynamics.Commerce.Runtime.DataModel.Product"/>"#))
        #expect(xml.text.contains(#"<Action Name="AddCartLines" IsBound="true""#))

        let jsonByFormat = try await host.get("/Commerce/$metadata?$format=json")
        let jsonByAccept = try await host.get("/Commerce/$metadata", headers: ["Accept": "application/json"])
        #expect(jsonByFormat.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect(jsonByFormat.json?["$Version"] as? String == "4.01")
        #expect(jsonByAccept.text == jsonByFormat.text)

        let unacceptable = try await host.get("/Commerce/$metadata", headers: ["Accept": "text/html"])
        #expect(unacceptable.status == 406)
        #expect((unacceptable.json?["error"] as? [String: Any])?["code"] as? String == "NotAcceptable")
        #expect(try await host.get("/Commerce/$metadata?$format=atom").status == 406)

        let post = try await host.send("POST", "/Commerce/$metadata", body: "{}")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET")

        // Declared in the model but not built yet: 501, never a silent 404.
        #expect(try await host.get("/Commerce/Products?$expand=Categories($levels=2)").status == 501)
        #expect(try await host.get("/Commerce/Carts").status == 401)  // listing carts needs a caller to scope them to
        #expect(try await host.get("/Commerce/SalesOrders").status == 401)  // not for anonymous callers

        let tenderTypes = try await host.get("/Commerce/GetTenderTypes()", headers: ["OUN": "0101"])
        #expect(tenderTypes.status == 200)
        #expect((tenderTypes.json?["value"] as? [[String: Any]])?.compactMap { $0["OperationType"] as? String } == ["PayCard", "PayGiftCertificate"])
        let orgUnits = try await host.get("/Commerce/OrgUnits?$count=true")
        #expect(orgUnits.json?["@odata.count"] as? Int == 2)
        #expect((orgUnits.json?["value"] as? [[String: Any]])?.compactMap { $0["OrgUnitNumber"] as? String } == ["128", "0101"])
        let store = try await host.get("/Commerce/OrgUnits('0101')")
        #expect(store.json?["OrgUnitName"] as? String == "Seattle store")
        #expect(try await host.get("/Commerce/OrgUnits('9999')").status == 404)
        #expect(try await host.get("/Commerce/OrgUnits(5)").status == 400)
        #expect(try await host.get("/nothing-here").status == 404)
        #expect(try await host.get("/health").status == 200)
        #expect(await host.stop() == 0)
    }

    @Test("odata.metadata levels, Accept and version headers, ETags with If-None-Match and If-Match")
    func protocolHeaders() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        let product = "/Commerce/Products(68719476737)"

        let minimal = try await host.get(product)
        #expect(minimal.header("Content-Type")?.contains("odata.metadata=minimal") == true)
        let etag = try #require(minimal.header("ETag"))
        #expect(etag.hasPrefix("W/\""))
        #expect(minimal.json?["@odata.etag"] as? String == etag)
        #expect(minimal.json?["@odata.context"] != nil)

        let none = try await host.get(product, headers: ["Accept": "application/json;odata.metadata=none"])
        #expect(none.header("Content-Type")?.contains("odata.metadata=none") == true)
        #expect(none.json?["@odata.context"] == nil)
        #expect(none.json?["@odata.etag"] == nil)
        #expect(none.json?["Name"] as? String == minimal.json?["Name"] as? String)

        let full = try await host.get("/Commerce/Products?$top=1&$format=application/json;odata.metadata=full")
        let first = (full.json?["value"] as? [[String: Any]])?.first ?? [:]
        #expect(first["@odata.type"] as? String == "#Microsoft.Dynamics.Commerce.Runtime.DataModel.Product")
        #expect((first["@odata.id"] as? String)?.hasSuffix("/Commerce/Products(68719476737)") == true)

        #expect(try await host.get(product, headers: ["Accept": "text/html"]).status == 406)
        #expect(try await host.get(product, headers: ["Accept": "application/json;odata.metadata=lots"]).status == 406)
        #expect(try await host.get(product, headers: ["Accept": "text/html, */*;q=0.1"]).status == 200)
        #expect(try await host.get(product, headers: ["OData-MaxVersion": "3.0"]).status == 400)
        #expect(try await host.get(product, headers: ["OData-MaxVersion": "4.01"]).status == 200)

        // One representation, one tag: whatever the metadata level, and in a collection as by key.
        #expect(none.header("ETag") == etag)
        let fullEntity = try await host.get(product, headers: ["Accept": "application/json;odata.metadata=full"])
        #expect(fullEntity.header("ETag") == etag && fullEntity.json?["@odata.etag"] as? String == etag)
        let listed = try await host.get("/Commerce/Products?$filter=RecordId%20eq%2068719476737")
        #expect(((listed.json?["value"] as? [[String: Any]])?.first?["@odata.etag"] as? String) == etag)
        // The tag is the FNV-1a digest of the properties' JSON as the body carries them.
        let body = minimal.text
        let afterTag = try #require(body.range(of: etag.replacingOccurrences(of: "\"", with: "\\\"") + "\","))
        let properties = String(body[afterTag.upperBound...].dropLast())
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in properties.utf8 {
            digest ^= UInt64(byte)
            digest &*= 0x0000_0100_0000_01B3
        }
        let hex = String(digest, radix: 16)
        #expect(etag == "W/\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\"")

        let notModified = try await host.get(product, headers: ["If-None-Match": etag])
        #expect(notModified.status == 304)
        #expect(notModified.header("ETag") == etag)
        #expect(try await host.get(product, headers: ["If-None-Match": "W/\"0000000000000000\""]).status == 200)
        #expect(try await host.get(product, headers: ["If-Match": etag]).status == 200)
        let changed = try await host.get(product, headers: ["If-Match": "W/\"0000000000000000\""])
        #expect(changed.status == 412)
        #expect(try await host.get(product, headers: ["If-Match": "*"]).status == 200)
        #expect(await host.stop() == 0)
    }
}
