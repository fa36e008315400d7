import Foundation
import Testing

/// `$batch` in the JSON format over real HTTP.
@Suite("Batch end to end", .serialized)
struct BatchEndToEndTests {
    @Test("parts run in order, answer as if sent alone; failed dependencies give 424; bad batches 4xx")
    func batch() async throws {
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()])
        let json = ["Content-Type": "application/json"]
        let body = #"""
        {"requests":[
          {"id":"1","method":"get","url":"Products(68719476737)?$select=Name"},
          {"id":"2","method":"get","url":"Products/$count"},
          {"id":"3","method":"get","url":"Products(1)"},
          {"id":"4","method":"get","url":"Categories?$top=1","dependsOn":["3"]},
          {"id":"5","method":"post","url":"Products/Search?$top=1&$select=Name","body":{"searchCriteria":{"SearchCondition":"shirt"}}},
          {"id":"6","method":"get","url":"/Commerce/OrgUnits","headers":{"Accept":"application/json;odata.metadata=none"}}
        ]}
        """#
        let result = try await host.send("POST", "/Commerce/$batch", headers: json, body: body)
        #expect(result.status == 200)
        let responses = result.json?["responses"] as? [[String: Any]] ?? []
        #expect(responses.compactMap { $0["id"] as? String } == ["1", "2", "3", "4", "5", "6"])
        #expect(responses.compactMap { $0["status"] as? Int } == [200, 200, 404, 424, 200, 200])
        #expect((responses[0]["body"] as? [String: Any])?["Name"] as? String == "Classic Shirt 1")
        #expect(responses[1]["body"] as? String == "1140")
        #expect((((responses[2]["body"] as? [String: Any])?["error"]) as? [String: Any])?["code"] as? String == "NotFound")
        #expect(((responses[4]["body"] as? [String: Any])?["value"] as? [Any])?.count == 1)
        #expect((responses[5]["body"] as? [String: Any])?["@odata.context"] == nil)

        #expect(try await host.send("POST", "/Commerce/$batch", headers: json, body: "[1,2]").status == 400)
        #expect(try await host.send("POST", "/Commerce/$batch", headers: json, body: #"{"requests":[{"id":"1","method":"get"}]}"#).status == 400)
        #expect(try await host.send("POST", "/Commerce/$batch", headers: json, body: #"{"requests":[{"id":"1","method":"get","url":"Products","dependsOn":["9"]}]}"#).status == 400)
        // Atomicity groups are served (see below); one whose members are not adjacent is malformed.
        let scattered = #"{"requests":[{"id":"1","method":"get","url":"Products/$count","atomicityGroup":"g"},{"id":"2","method":"get","url":"Products/$count"},{"id":"3","method":"get","url":"Products/$count","atomicityGroup":"g"}]}"#
        #expect(try await host.send("POST", "/Commerce/$batch", headers: json, body: scattered).status == 400)
        let nested = try await host.send("POST", "/Commerce/$batch", headers: json, body: #"{"requests":[{"id":"1","method":"post","url":"$batch","body":{"requests":[]}}]}"#)
        #expect((nested.json?["responses"] as? [[String: Any]])?.first?["status"] as? Int == 400)
        let tooMany = "{\"requests\":[" + (0..<101).map { "{\"id\":\"\($0)\",\"method\":\"get\",\"url\":\"Products/$count\"}" }.joined(separator: ",") + "]}"
        #expect(try await host.send("POST", "/Commerce/$batch", headers: json, body: tooMany).status == 400)
        #expect(try await host.get("/Commerce/$batch").status == 405)
        #expect(try await host.send("POST", "/Commerce/$batch", headers: ["Content-Type": "text/plain"], body: "GET Products").status == 415)
        #expect(await host.stop() == 0)
    }
}
