import Foundation
import Testing

/// `Products/Search` with refiners and `Products/GetRefinersByCriteria` over real HTTP against
/// the demo catalog on SQLite.
@Suite("Search end to end", .serialized)
struct SearchEndToEndTests {
    private let json = ["Content-Type": "application/json"]
    private static let clothing: Int64 = 5_637_145_326
    private static let clothingLeaves: Set<Int> = Set((5_637_145_327...5_637_145_331).map { $0 })

    private func body(_ condition: String, categories: [Int64] = [clothing], refinement: [[String: Any]] = []) throws -> String {
        let criteria: [String: Any] = ["SearchCondition": condition, "CategoryIds": categories, "Refinement": refinement]
        return String(decoding: try JSONSerialization.data(withJSONObject: ["searchCriteria": criteria]), as: UTF8.self)
    }

    private func error(_ result: HTTPResult) -> [String: Any] { result.json?["error"] as? [String: Any] ?? [:] }

    @Test("refiners with counts; selecting refiner values finds exactly the counted products")
    func searchWithRefiners() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])

        let refined = try await host.send("POST", "/Commerce/Products/GetRefinersByCriteria", headers: json, body: try body("contoso"))
        #expect(refined.status == 200, "\(refined.text)")
        #expect((refined.json?["@odata.context"] as? String)?.hasSuffix("$metadata#Collection(Microsoft.Dynamics.Commerce.Runtime.DataModel.ProductRefiner)") == true)
        let refiners = refined.json?["value"] as? [[String: Any]] ?? []
        #expect(Set(refiners.compactMap { $0["KeyName"] as? String }) == ["Category", "Price", "Brand", "Material"])
        let material = try #require(refiners.first { $0["KeyName"] as? String == "Material" })
        let materialValues = material["Values"] as? [[String: Any]] ?? []
        let cotton = try #require(materialValues.first { $0["LeftValueBoundString"] as? String == "Cotton" })
        let cottonCount = try #require(cotton["Count"] as? Int)
        #expect(cottonCount > 0)

        // All found: the refiner's category counts add up to the search's count for the top category.
        let all = try await host.send("POST", "/Commerce/Products/Search?$count=true&$top=0", headers: json, body: try body("contoso"))
        let categoryValues = refiners.first { $0["KeyName"] as? String == "Category" }?["Values"] as? [[String: Any]] ?? []
        #expect(categoryValues.first { $0["LeftValueBoundString"] as? String == "\(Self.clothing)" }?["Count"] as? Int == all.json?["@odata.count"] as? Int)

        // The refiner value sent back as Retail Server's Refinement finds exactly its count.
        let cottonRefinement: [String: Any] = [
            "RefinerRecordId": material["RecordId"] as? Int ?? 0, "RefinerSourceValue": 1, "DataTypeValue": 5, "LeftValueBoundString": "Cotton",
        ]
        let found = try await host.send(
            "POST", "/Commerce/Products/Search?$count=true&$top=500&$select=RecordId,CategoryIds,BasePrice", headers: json,
            body: try body("contoso", refinement: [cottonRefinement])
        )
        #expect(found.status == 200, "\(found.text)")
        #expect(found.json?["@odata.count"] as? Int == cottonCount)
        let rows = found.json?["value"] as? [[String: Any]] ?? []
        #expect(rows.count == cottonCount)
        #expect(rows.allSatisfy { !Set($0["CategoryIds"] as? [Int] ?? []).isDisjoint(with: Self.clothingLeaves) })

        // Refiners of the refined search; a price range from them narrows to its count.
        let narrowed = try await host.send(
            "POST", "/Commerce/Products/GetRefinersByCriteria", headers: json, body: try body("contoso", refinement: [cottonRefinement])
        )
        let price = try #require((narrowed.json?["value"] as? [[String: Any]])?.first { $0["KeyName"] as? String == "Price" })
        let range = try #require((price["Values"] as? [[String: Any]])?.first)
        let low = try #require((range["LeftValueBoundString"] as? String).flatMap { Decimal(string: $0) })
        let high = (range["RightValueBoundString"] as? String).flatMap { Decimal(string: $0) }
        let both = try await host.send(
            "POST", "/Commerce/Products/Search?$count=true&$top=500&$select=BasePrice&$orderby=BasePrice%20desc", headers: json,
            body: try body("contoso", refinement: [cottonRefinement, range])
        )
        #expect(both.status == 200, "\(both.text)")
        #expect(both.json?["@odata.count"] as? Int == range["Count"] as? Int)
        let prices = (both.json?["value"] as? [[String: Any]] ?? []).compactMap { ($0["BasePrice"] as? NSNumber)?.decimalValue }
        #expect(!prices.isEmpty)
        #expect(prices.allSatisfy { price in price >= low && (high.map { price < $0 } ?? true) })
        #expect(prices == prices.sorted(by: >))

        // Relevance: a word in the name beats the same word elsewhere.
        let shirts = try await host.send("POST", "/Commerce/Products/Search?$top=3&$select=Name", headers: json, body: try body("shirt", categories: []))
        #expect((shirts.json?["value"] as? [[String: Any]])?.first?["Name"] as? String != nil)
        #expect(((shirts.json?["value"] as? [[String: Any]]) ?? []).allSatisfy { ($0["Name"] as? String)?.lowercased().contains("shirt") == true })
        #expect(await host.stop() == 0)
    }

    @Test("bad criteria: a 400 naming the value, the host keeps serving")
    func badCriteria() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        for (refinement, target) in [
            (["RefinerRecordId": 1, "RefinerSourceValue": 9, "LeftValueBoundString": "x"], "searchCriteria/Refinement/0/RefinerSourceValue"),
            (["RefinerRecordId": 999, "RefinerSourceValue": 1, "LeftValueBoundString": "x"], "searchCriteria/Refinement/0/RefinerRecordId"),
            (["RefinerSourceValue": 1, "LeftValueBoundString": "x"], "searchCriteria/Refinement/0/RefinerRecordId"),
            (["RefinerSourceValue": 3, "LeftValueBoundString": "12abc"], "searchCriteria/Refinement/0/LeftValueBoundString"),
            (["RefinerSourceValue": 3, "LeftValueBoundString": "50", "RightValueBoundString": "10"], "searchCriteria/Refinement/0"),
            (["RefinerSourceValue": 2, "LeftValueBoundString": "Clothing"], "searchCriteria/Refinement/0/LeftValueBoundString"),
        ] as [([String: Any], String)] {
            for action in ["Search", "GetRefinersByCriteria"] {
                let result = try await host.send("POST", "/Commerce/Products/\(action)", headers: json, body: try body("shirt", refinement: [refinement]))
                #expect(result.status == 400, "\(action) \(refinement): \(result.text)")
                #expect(error(result)["target"] as? String == target, "\(action) \(refinement): \(result.text)")
                #expect(error(result)["code"] != nil)
            }
        }
        let negated = try await host.send("POST", "/Commerce/Products/Search", headers: json, body: try body("NOT shirt"))
        #expect(negated.status == 400, "\(negated.text)")
        #expect(error(negated)["target"] as? String == "searchCriteria/SearchCondition")
        #expect(try await host.get("/Commerce/Products/GetRefinersByCriteria").status == 405)
        let metadata = try await host.get("/Commerce/$metadata")
        #expect(metadata.text.contains("<Action Name=\"GetRefinersByCriteria\" IsBound=\"true\">"))
        #expect(try await host.get("/Commerce/Products/$count").text == "1140")
        #expect(await host.stop() == 0)
    }
}
