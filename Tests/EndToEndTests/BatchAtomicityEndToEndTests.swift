import ChannelDatabase
import Foundation
import Logging
import Testing

/// `$batch` atomicity groups, multipart change sets and `$<id>` references over real HTTP,
/// on SQLite and on PostgreSQL; what a failed group leaves behind is read from the database.
@Suite("Batch atomicity end to end", .serialized)
struct BatchAtomicityEndToEndTests {
    static let json = ["Content-Type": "application/json"]
    /// Demo product 2: 38.69 online, 18 in stock.
    static let product: Int64 = 68_719_476_738

    /// A host on `backend`, and a way to open its channel database to read what it holds.
    struct Host {
        let process: HostProcess
        let open: @Sendable () async throws -> any ChannelDatabase

        func count(_ table: String) async throws -> Int {
            let database = try await open()
            let count = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM \(table)")?.int("n") ?? -1 }
            await database.close()
            return count
        }

        func batch(_ body: String, headers: [String: String] = BatchAtomicityEndToEndTests.json) async throws -> HTTPResult {
            try await process.send("POST", "/Commerce/$batch", headers: headers, body: body)
        }
    }

    static func host(_ backend: String) async throws -> Host {
        let directory = try temporaryDirectory()
        let databaseURL = backend == "postgres" ? try await freshPostgresDatabase() : nil
        let process = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", directory] + (databaseURL.map { ["--database", $0] } ?? []))
        return Host(process: process) {
            if let databaseURL {
                return try await openPostgres(databaseURL)
            }
            return try SQLiteDatabase(path: directory + "/channel.sqlite", logger: Logger(label: "test"))
        }
    }

    static func responses(_ result: HTTPResult) -> [[String: Any]] { result.json?["responses"] as? [[String: Any]] ?? [] }

    static func errorCode(_ response: [String: Any]) -> String? {
        ((response["body"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    // MARK: JSON atomicity groups

    @Test("JSON atomicity group: one failing member rolls back the whole group, every member answers the failure; without it the group commits",
          arguments: ["sqlite", "postgres"])
    func jsonGroup(_ backend: String) async throws {
        let host = try await Self.host(backend)
        let cartsBefore = try await host.count("carts")
        let linesBefore = try await host.count("cart_lines")
        let addLines = #"{"id":"lines","atomicityGroup":"g","method":"post","url":"$cart/AddCartLines","body":{"cartLines":[{"ProductId":\#(Self.product),"Quantity":2}],"cartVersion":1}}"#
        let failing = try await host.batch("""
        {"requests":[
          {"id":"cart","atomicityGroup":"g","method":"post","url":"Carts","body":{"ReceiptEmail":"ann@example.com"}},
          \(addLines),
          {"id":"bad","atomicityGroup":"g","method":"post","url":"$cart/AddCartLines","body":{"cartLines":[{"ProductId":1,"Quantity":1}],"cartVersion":2}},
          {"id":"after","dependsOn":["g"],"method":"get","url":"Products/$count"},
          {"id":"free","method":"get","url":"Products/$count"}
        ]}
        """)
        #expect(failing.status == 200, "\(failing.text)")
        let answers = Self.responses(failing)
        #expect(answers.compactMap { $0["id"] as? String } == ["cart", "lines", "bad", "after", "free"])
        let statuses = answers.compactMap { $0["status"] as? Int }
        #expect(statuses.count == 5)
        // The three members all answer the failure of 'bad'; the dependent request 424.
        #expect(statuses[0] >= 400 && statuses[0] == statuses[1] && statuses[1] == statuses[2], "\(failing.text)")
        #expect(Set(answers.prefix(3).map { Self.errorCode($0) ?? "" }).count == 1)
        #expect(answers.prefix(3).allSatisfy { $0["atomicityGroup"] as? String == "g" })
        #expect(statuses[3] == 424 && statuses[4] == 200)
        #expect(try await host.count("carts") == cartsBefore)
        #expect(try await host.count("cart_lines") == linesBefore)

        let passing = try await host.batch("""
        {"requests":[
          {"id":"cart","atomicityGroup":"g","method":"post","url":"Carts","body":{"ReceiptEmail":"ann@example.com"}},
          \(addLines),
          {"id":"read","atomicityGroup":"g","method":"get","url":"$cart"},
          {"id":"after","dependsOn":["g"],"method":"get","url":"Products/$count"}
        ]}
        """)
        let committed = Self.responses(passing)
        #expect(committed.compactMap { $0["status"] as? Int } == [201, 200, 200, 200], "\(passing.text)")
        let location = try #require((committed.first?["headers"] as? [String: Any])?["location"] as? String)
        #expect(location.contains("/Commerce/Carts('"))
        let lines = try #require(committed[1]["body"] as? [String: Any])
        #expect(lines["Version"] as? Int == 2 && (lines["CartLines"] as? [Any])?.count == 1)
        // Read inside the group: the group's own uncommitted cart, with its line.
        #expect(((committed[2]["body"] as? [String: Any])?["CartLines"] as? [Any])?.count == 1)
        #expect(try await host.count("carts") == cartsBefore + 1)
        let path = try #require(URLComponents(string: location)?.percentEncodedPath)
        let read = try await host.process.get(path)
        #expect(read.status == 200 && (read.json?["CartLines"] as? [Any])?.count == 1)
        #expect(await host.process.stop() == 0)
    }

    @Test("a checkout inside a group that then fails creates no order and leaves the cart; malformed groups are 400",
          arguments: ["sqlite", "postgres"])
    func checkoutInGroup(_ backend: String) async throws {
        let host = try await Self.host(backend)
        let created = try await host.batch("""
        {"requests":[
          {"id":"cart","method":"post","url":"Carts","body":{"ReceiptEmail":"ann@example.com"}},
          {"id":"lines","dependsOn":["cart"],"method":"post","url":"$cart/AddCartLines","body":{"cartLines":[{"ProductId":\(Self.product),"Quantity":1}],"cartVersion":1}}
        ]}
        """)
        let made = Self.responses(created)
        #expect(made.compactMap { $0["status"] as? Int } == [201, 200], "\(created.text)")
        let cart = try #require(made[1]["body"] as? [String: Any])
        let id = try #require(cart["Id"] as? String)
        let amount = try #require(cart["AmountDue"] as? NSNumber)
        let checkout = """
        {"id":"pay","atomicityGroup":"order","method":"post","url":"Carts('\(id)')/Checkout","headers":{"Idempotency-Key":"batch-\(backend)"},
         "body":{"cartVersion":2,"cartTenderLines":[{"Amount":\(amount),"Currency":"USD","TenderTypeId":"3","TokenizedPaymentCard":{"CardTokenInfo":{"CardToken":"test-approve"}}}]}}
        """
        let failed = try await host.batch("""
        {"requests":[\(checkout),
          {"id":"bad","atomicityGroup":"order","method":"get","url":"Carts('no-such-cart')"}
        ]}
        """)
        let answers = Self.responses(failed)
        #expect(answers.compactMap { $0["status"] as? Int } == [404, 404], "\(failed.text)")
        #expect(try await host.count("sales_orders") == 0)
        #expect(try await host.count("payments") == 0)
        #expect(try await host.process.get("/Commerce/Carts('\(id)')").status == 200)

        let ordered = try await host.batch(#"{"requests":[\#(checkout)]}"#)
        #expect(Self.responses(ordered).first?["status"] as? Int == 200, "\(ordered.text)")
        #expect(try await host.count("sales_orders") == 1)

        // All requests of a group in one channel; references listed in dependsOn.
        let twoChannels = #"{"requests":[{"id":"1","atomicityGroup":"g","method":"post","url":"Carts","body":{}},{"id":"2","atomicityGroup":"g","method":"post","url":"Carts","body":{},"headers":{"OUN":"0101"}}]}"#
        #expect(try await host.batch(twoChannels).status == 400)
        let undeclared = #"{"requests":[{"id":"1","method":"post","url":"Carts","body":{}},{"id":"2","method":"get","url":"$1"}]}"#
        #expect(try await host.batch(undeclared).status == 400)
        let unknown = #"{"requests":[{"id":"1","method":"post","url":"Carts","body":{}},{"id":"2","dependsOn":["1"],"method":"get","url":"$9"}]}"#
        #expect(try await host.batch(unknown).status == 400)
        let ownCredentials = #"{"requests":[{"id":"1","atomicityGroup":"g","method":"post","url":"Carts","body":{},"headers":{"Authorization":"ApiKey x"}}]}"#
        #expect(try await host.batch(ownCredentials).status == 400)
        #expect(await host.process.stop() == 0)
    }

    // MARK: Multipart

    static func multipart(_ lines: [String]) -> String { lines.joined(separator: "\r\n") }

    static func multipartHeaders(_ boundary: String, extra: [String: String] = [:]) -> [String: String] {
        ["Content-Type": "multipart/mixed; boundary=\(boundary)"].merging(extra) { $1 }
    }

    @Test("multipart: a GET, a change set of writes with $1 references, a GET after it; a failed change set leaves nothing behind",
          arguments: ["sqlite", "postgres"])
    func multipartBatch(_ backend: String) async throws {
        let host = try await Self.host(backend)
        let cartsBefore = try await host.count("carts")
        let body = Self.multipart([
            "--batch_1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            "GET Products(68719476737)?$select=Name HTTP/1.1",
            "Accept: application/json",
            "",
            "",
            "--batch_1",
            "Content-Type: multipart/mixed; boundary=changeset_1",
            "",
            "--changeset_1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "Content-ID: 1",
            "",
            "POST Carts HTTP/1.1",
            "Content-Type: application/json",
            "",
            #"{"ReceiptEmail":"ann@example.com"}"#,
            "--changeset_1",
            "Content-Type: application/http",
            "Content-ID: 2",
            "",
            "POST $1/AddCartLines HTTP/1.1",
            "Content-Type: application/json",
            "",
            #"{"cartLines":[{"ProductId":\#(Self.product),"Quantity":2}],"cartVersion":1}"#,
            "--changeset_1",
            "Content-Type: application/http",
            "Content-ID: 3",
            "",
            "PATCH $1 HTTP/1.1",
            "Content-Type: application/json",
            #"If-Match: W/"2""#,
            "",
            #"{"ReceiptEmail":"bob@example.com"}"#,
            "--changeset_1--",
            "--batch_1",
            "Content-Type: application/http",
            "Content-ID: 4",
            "",
            "GET $1 HTTP/1.1",
            "",
            "",
            "--batch_1--",
            "",
        ])
        let result = try await host.batch(body, headers: Self.multipartHeaders("batch_1"))
        #expect(result.status == 200, "\(result.text)")
        let parts = try MultipartResponse.parts(result.text, contentType: result.header("Content-Type") ?? "")
        #expect(parts.count == 3, "\(result.text)")
        guard parts.count == 3 else { return }
        #expect(parts[0].status == 200 && parts[0].contentId == nil)
        #expect(parts[0].json?["Name"] as? String == "Classic Shirt 1")

        let changeSet = try MultipartResponse.parts(parts[1].content, contentType: parts[1].contentType)
        #expect(changeSet.map(\.contentId) == ["1", "2", "3"])
        #expect(changeSet.map(\.status) == [201, 200, 200], "\(parts[1].content)")
        let location = try #require(changeSet.first?.headers["location"])
        let cartId = try #require(changeSet.first?.json?["Id"] as? String)
        #expect(location.hasSuffix("/Commerce/Carts('\(cartId)')"))
        #expect((changeSet[1].json?["CartLines"] as? [Any])?.count == 1)
        #expect(changeSet[2].json?["ReceiptEmail"] as? String == "bob@example.com" && changeSet[2].json?["Version"] as? Int == 3)

        #expect(parts[2].contentId == "4" && parts[2].status == 200)
        #expect(parts[2].json?["Id"] as? String == cartId && parts[2].json?["ReceiptEmail"] as? String == "bob@example.com")
        #expect(try await host.count("carts") == cartsBefore + 1)

        // A change set whose last request fails: one error response for the whole change set,
        // nothing written, and the batch stops there unless the client prefers continue-on-error.
        let failing = Self.multipart([
            "--b",
            "Content-Type: multipart/mixed; boundary=cs",
            "",
            "--cs",
            "Content-Type: application/http",
            "Content-ID: new",
            "",
            "POST Carts HTTP/1.1",
            "Content-Type: application/json",
            "",
            "{}",
            "--cs",
            "Content-Type: application/http",
            "Content-ID: bad",
            "",
            "POST $new/AddCartLines HTTP/1.1",
            "Content-Type: application/json",
            "",
            #"{"cartLines":[{"ProductId":1,"Quantity":1}],"cartVersion":1}"#,
            "--cs--",
            "--b",
            "Content-Type: application/http",
            "",
            "GET Products/$count HTTP/1.1",
            "",
            "",
            "--b--",
        ])
        let stopped = try await host.batch(failing, headers: Self.multipartHeaders("b"))
        #expect(stopped.status == 200)
        let stoppedParts = try MultipartResponse.parts(stopped.text, contentType: stopped.header("Content-Type") ?? "")
        #expect(stoppedParts.count == 1, "\(stopped.text)")
        #expect(stoppedParts.first?.contentType.hasPrefix("application/http") == true)
        #expect((stoppedParts.first?.status ?? 0) >= 400 && stoppedParts.first?.contentId == "bad")
        #expect(stoppedParts.first?.json?["error"] != nil)
        #expect(try await host.count("carts") == cartsBefore + 1)

        let continued = try await host.batch(failing, headers: Self.multipartHeaders("b", extra: ["Prefer": "odata.continue-on-error"]))
        let continuedParts = try MultipartResponse.parts(continued.text, contentType: continued.header("Content-Type") ?? "")
        #expect(continued.header("Preference-Applied") == "continue-on-error")
        #expect(continuedParts.map(\.status).count == 2 && continuedParts.last?.status == 200 && continuedParts.last?.content.hasSuffix("1140") == true)
        #expect(try await host.count("carts") == cartsBefore + 1)
        #expect(await host.process.stop() == 0)
    }

    @Test("malformed multipart batches are 400 with a clear message, run nothing, and the host keeps serving")
    func malformedMultipart() async throws {
        let host = try await Self.host("sqlite")
        let cartsBefore = try await host.count("carts")
        let create = ["Content-Type: application/http", "Content-ID: 1", "", "POST Carts HTTP/1.1", "Content-Type: application/json", "", "{}"]
        let cases: [(String, [String: String], String)] = [
            ("no boundary", ["Content-Type": "multipart/mixed"], Self.multipart(["--b"] + create + ["--b--"])),
            ("no closing delimiter", Self.multipartHeaders("b"), Self.multipart(["--b"] + create + [""])),
            ("no part at all", Self.multipartHeaders("b"), "just text\r\n"),
            ("a part that is not application/http", Self.multipartHeaders("b"), Self.multipart(["--b", "Content-Type: application/json", "", "{}", "--b--"])),
            ("GET inside a change set", Self.multipartHeaders("b"), Self.multipart([
                "--b", "Content-Type: multipart/mixed; boundary=cs", "", "--cs", "Content-Type: application/http", "Content-ID: 1", "",
                "GET Products HTTP/1.1", "", "", "--cs--", "--b--",
            ])),
            ("nested change sets", Self.multipartHeaders("b"), Self.multipart([
                "--b", "Content-Type: multipart/mixed; boundary=cs", "", "--cs", "Content-Type: multipart/mixed; boundary=inner", "",
                "--inner"] + create + ["--inner--", "--cs--", "--b--",
            ])),
            ("a change-set request without Content-ID", Self.multipartHeaders("b"), Self.multipart([
                "--b", "Content-Type: multipart/mixed; boundary=cs", "", "--cs", "Content-Type: application/http", "",
                "POST Carts HTTP/1.1", "Content-Type: application/json", "", "{}", "--cs--", "--b--",
            ])),
            ("an unknown reference", Self.multipartHeaders("b"), Self.multipart([
                "--b", "Content-Type: multipart/mixed; boundary=cs", "", "--cs"] + create + ["--cs", "Content-Type: application/http", "Content-ID: 2", "",
                "POST $9/AddCartLines HTTP/1.1", "Content-Type: application/json", "", "{}", "--cs--", "--b--",
            ])),
            ("a part with its own credentials", Self.multipartHeaders("b"), Self.multipart([
                "--b", "Content-Type: application/http", "", "GET Products HTTP/1.1", "Authorization: ApiKey x", "", "", "--b--",
            ])),
            ("a request line without a method", Self.multipartHeaders("b"), Self.multipart(["--b", "Content-Type: application/http", "", "Products", "", "", "--b--"])),
            ("two requests with one Content-ID", Self.multipartHeaders("b"), Self.multipart(["--b"] + create + ["--b"] + create + ["--b--"])),
            ("a Content-ID outside the request-id rule", Self.multipartHeaders("b"), Self.multipart([
                "--b", "Content-Type: application/http", "Content-ID: a b", "", "GET Products HTTP/1.1", "", "", "--b--",
            ])),
        ]
        for (name, headers, body) in cases {
            let result = try await host.batch(body, headers: headers)
            #expect(result.status == 400, "\(name): \(result.status) \(result.text)")
            let message = (result.json?["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(!message.isEmpty, "\(name)")
        }
        // Over the request cap, counted across change sets too.
        let many = Self.multipart((0..<101).flatMap { _ in ["--b", "Content-Type: application/http", "", "GET Products/$count HTTP/1.1", "", ""] } + ["--b--"])
        #expect(try await host.batch(many, headers: Self.multipartHeaders("b")).status == 400)
        #expect(try await host.count("carts") == cartsBefore)
        #expect(try await host.process.get("/Commerce/Products/$count").text == "1140")
        #expect(await host.process.stop() == 0)
    }
}

/// The parts of a multipart response, each an `application/http` response or a nested multipart.
struct MultipartResponse {
    var contentType: String
    var contentId: String?
    /// The whole content after the part's headers.
    var content: String
    /// For `application/http` parts: the embedded status, headers (lower-cased names) and body.
    var status: Int = 0
    var headers: [String: String] = [:]
    var body: String = ""

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }

    static func parts(_ text: String, contentType: String) throws -> [MultipartResponse] {
        guard contentType.hasPrefix("multipart/mixed"), let range = contentType.range(of: "boundary=") else {
            throw HostError("not a multipart response: \(contentType)")
        }
        let boundary = String(contentType[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard text.contains("--\(boundary)--") else { throw HostError("no closing delimiter in \(text)") }
        let chunks = text.components(separatedBy: "--\(boundary)")
        var parts: [MultipartResponse] = []
        // Before the first delimiter: preamble; the last chunk starts with "--" (closing).
        for chunk in chunks.dropFirst() where !chunk.hasPrefix("--") {
            // "\r\n" is one Character in Swift.
            var rest = chunk
            if rest.hasPrefix("\r\n") { rest.removeFirst() }
            if rest.hasSuffix("\r\n") { rest.removeLast() }
            let (headers, content) = split(rest)
            var part = MultipartResponse(contentType: headers["content-type"] ?? "", contentId: headers["content-id"], content: content)
            if part.contentType.hasPrefix("application/http") {
                let (statusLine, afterLine) = content.components(separatedBy: "\r\n").first.map { ($0, String(content.dropFirst($0.count + 1))) } ?? ("", "")
                part.status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
                (part.headers, part.body) = split(afterLine)
            }
            parts.append(part)
        }
        return parts
    }

    private static func split(_ text: String) -> ([String: String], String) {
        guard let end = text.range(of: "\r\n\r\n") else { return ([:], "") }
        var headers: [String: String] = [:]
        for line in text[..<end.lowerBound].components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (headers, String(text[end.upperBound...]))
    }
}
