import ChannelDatabase
import Foundation
import Logging
import Testing

/// The real `commerce` binary over real HTTP.
@Suite("Host end to end", .serialized)
struct HostEndToEndTests {
    static let firstProduct = 68_719_476_737

    @Test("serve --demo on SQLite: products over HTTP, paging, errors, channels, graceful stop")
    func demoOnSQLite() async throws {
        let dataDir = try temporaryDirectory()
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", dataDir], environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "100"])

        let health = try await host.get("/health")
        #expect(health.status == 200)
        #expect(health.json?["status"] as? String == "ok")

        let page = try await host.get("/Commerce/Products?$top=2&$skip=1&$count=true")
        #expect(page.status == 200)
        #expect(page.header("OData-Version") == "4.0")
        #expect(page.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect(page.json?["@odata.count"] as? Int == 1_140)
        let items = page.json?["value"] as? [[String: Any]] ?? []
        #expect(items.map { $0["RecordId"] as? Int } == [Self.firstProduct + 1, Self.firstProduct + 2])
        #expect((page.json?["@odata.context"] as? String)?.hasSuffix("/Commerce/$metadata#Products") == true)

        let byKey = try await host.get("/Commerce/Products(\(Self.firstProduct))")
        let bySegment = try await host.get("/Commerce/Products/\(Self.firstProduct)")
        #expect(byKey.status == 200)
        #expect(byKey.json?["ItemId"] as? String == "P00001")
        #expect(byKey.text.contains("\"BasePrice\":5.99"))
        #expect(bySegment.json?["Name"] as? String == byKey.json?["Name"] as? String)

        let missing = try await host.get("/Commerce/Products(1)")
        #expect(missing.status == 404)
        #expect((missing.json?["error"] as? [String: Any])?["code"] as? String == "NotFound")

        let badTop = try await host.get("/Commerce/Products?$top=-1")
        #expect(badTop.status == 400)
        #expect((badTop.json?["error"] as? [String: Any])?["target"] as? String == "$top")

        #expect(try await host.get("/Commerce/Products?$apply=groupby((Name))").status == 501)
        #expect(try await host.get("/Commerce/Carts").status == 401)  // anonymous callers list no carts
        #expect(try await host.get("/Commerce/NoSuchSet").status == 404)
        let post = try await host.send("POST", "/Commerce/Products(\(Self.firstProduct))", body: "{}")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET")

        let storeCount = try await host.get("/Commerce/Products/$count", headers: ["OUN": "0101"])
        #expect(storeCount.text == "640")
        let unknownChannel = try await host.get("/Commerce/Products", headers: ["OUN": "9999"])
        #expect(unknownChannel.status == 400)
        #expect((unknownChannel.json?["error"] as? [String: Any])?["target"] as? String == "OUN")

        // Server-driven paging: follow @odata.nextLink from the first page to the last.
        var next: URL? = host.url("/Commerce/Products")
        var seen: [Int] = []
        var pages = 0
        while let url = next, pages < 50 {
            let result = try await HTTPResult.send("GET", url, headers: [:], body: nil)
            #expect(result.status == 200)
            let values = result.json?["value"] as? [[String: Any]] ?? []
            #expect(values.count <= 100)
            seen += values.compactMap { $0["RecordId"] as? Int }
            next = (result.json?["@odata.nextLink"] as? String).flatMap(URL.init(string:))
            pages += 1
        }
        #expect(pages == 12)
        #expect(seen.count == 1_140)
        #expect(Set(seen).count == 1_140)
        #expect(seen == seen.sorted())

        #expect(await host.stop() == 0)

        // A restart on the same data keeps the data and does not seed twice.
        let again = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", dataDir])
        #expect(try await again.get("/Commerce/Products/$count").text == "1140")
        #expect(await again.stop() == 0)
    }

    @Test("serve --demo on PostgreSQL")
    func demoOnPostgres() async throws {
        guard let url = ProcessInfo.processInfo.environment["COMMERCE_TEST_POSTGRES_URL"] else {
            throw HostError("COMMERCE_TEST_POSTGRES_URL is not set: run the tests with scripts/test")
        }
        let admin = try await openPostgres(url)
        let name = "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin.createDatabase(named: name)
        await admin.close()
        let databaseURL = url.replacingOccurrences(of: "/postgres", with: "/\(name)")
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--database", databaseURL])
        #expect(try await host.get("/health").json?["database"] as? String == "postgres")
        let product = try await host.get("/Commerce/Products(\(Self.firstProduct + 1_006))")
        #expect(product.status == 200)
        #expect(product.json?["ItemId"] as? String == "M0001")
        #expect(product.text.contains("\"BasePrice\":22.95"))
        #expect(try await host.get("/Commerce/Products?$count=true&$top=0").json?["@odata.count"] as? Int == 1_140)
        #expect(await host.stop() == 0)
    }

    @Test("http.catalogCacheMilliseconds: anonymous reads answered from memory for that long, no-cache computes, 0 turns it off")
    func catalogCacheSetting() async throws {
        let dataDir = try temporaryDirectory()
        let path = "/Commerce/Products(\(Self.firstProduct))"
        let rename = { (name: String) in
            // Another process's write: the host does not see it commit.
            let database = try SQLiteDatabase(path: dataDir + "/channel.sqlite", logger: Logger(label: "test"))
            _ = try await database.withTransaction(.write) {
                try await $0.execute("UPDATE products SET name = ? WHERE record_id = ?", [.text(name), .integer(Int64(Self.firstProduct))])
            }
            await database.close()
        }
        let cached = try await HostProcess(
            ["serve", "--demo", "--port", "0", "--data-dir", dataDir], environment: ["COMMERCE_HTTP_CATALOG_CACHE_MILLISECONDS": "600000"]
        )
        let original = try #require(try await cached.get(path).json?["Name"] as? String)
        try await rename("Renamed outside")
        #expect(try await cached.get(path).json?["Name"] as? String == original)
        #expect(try await cached.get(path, headers: ["Cache-Control": "no-cache"]).json?["Name"] as? String == "Renamed outside")
        #expect(await cached.stop() == 0)

        let uncached = try await HostProcess(
            ["serve", "--port", "0", "--data-dir", dataDir], environment: ["COMMERCE_HTTP_CATALOG_CACHE_MILLISECONDS": "0"]
        )
        #expect(try await uncached.get(path).json?["Name"] as? String == "Renamed outside")
        try await rename("Renamed again")
        #expect(try await uncached.get(path).json?["Name"] as? String == "Renamed again")
        #expect(await uncached.stop() == 0)
    }

    @Test("migrate is idempotent; a database newer than the binary stops the host")
    func migrations() async throws {
        let dataDir = try temporaryDirectory()
        let first = try await HostProcess.run(["migrate", "--data-dir", dataDir])
        let second = try await HostProcess.run(["migrate", "--data-dir", dataDir])
        #expect(first.status == 0)
        #expect(second.status == 0)
        #expect(second.stdout.contains("core schema at version \(CoreSchema.migrations.latestVersion)"))

        let future = CoreSchema.migrations.latestVersion + 1
        let database = try SQLiteDatabase(path: dataDir + "/channel.sqlite", logger: Logger(label: "test"))
        let inserted = try await database.withTransaction(.write) {
            try await $0.execute("INSERT INTO schema_migrations (namespace, version, name, applied_at) VALUES ('core', ?, 'future', 0)", [.integer(Int64(future))])
        }
        #expect(inserted == 1)
        await database.close()
        let refused = try await HostProcess.run(["serve", "--port", "0", "--data-dir", dataDir])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("core schema is at version \(future), newer than this binary's \(CoreSchema.migrations.latestVersion)"))
    }

    @Test("a bad configuration value stops the host with the key named")
    func badConfiguration() async throws {
        let dataDir = try temporaryDirectory()
        let file = dataDir + "/config.json"

        try Data(#"{"http": {"port": "eighty"}}"#.utf8).write(to: URL(fileURLWithPath: file))
        let badPort = try await HostProcess.run(["serve", "--config", file])
        #expect(badPort.status == 2)
        #expect(badPort.stderr.contains("http.port must be a number in 0...65535, not 'eighty'"))

        try Data(#"{"htp": {"port": 80}}"#.utf8).write(to: URL(fileURLWithPath: file))
        let unknown = try await HostProcess.run(["serve", "--config", file])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("htp"))

        try Data(#"{"extensions": [{"path": "x.so", "onRefusal": "maybe"}]}"#.utf8).write(to: URL(fileURLWithPath: file))
        let badExtension = try await HostProcess.run(["serve", "--config", file])
        #expect(badExtension.status == 2)
        #expect(badExtension.stderr.contains("extensions[0].onRefusal"))

        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try await HostProcess.run(["serve", "--config", file]).status == 2)

        try Data(#"{"inventory": {"allowBackorders": "sometimes"}, "carts": {"idleExpiryMinutes": 30}}"#.utf8).write(to: URL(fileURLWithPath: file))
        let badPolicy = try await HostProcess.run(["serve", "--config", file])
        #expect(badPolicy.status == 2)
        #expect(badPolicy.stderr.contains("inventory.allowBackorders"), "\(badPolicy.stderr)")

        let badEnvironment = try await HostProcess.run(["serve", "--data-dir", dataDir], environment: ["COMMERCE_HTTP_PORT": "70000"])
        #expect(badEnvironment.status == 2)
        #expect(badEnvironment.stderr.contains("http.port"))
        #expect(badEnvironment.stderr.contains("COMMERCE_HTTP_PORT"))

        let badScheme = try await HostProcess.run(["serve", "--database", "mysql://db/shop"])
        #expect(badScheme.status == 2)
        #expect(badScheme.stderr.contains("database.url unsupported database scheme 'mysql'"))

        let unreachable = try await HostProcess.run(["serve", "--port", "0", "--database", "postgres://commerce@127.0.0.1:1/shop"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot connect to PostgreSQL at postgres://commerce@127.0.0.1:1/shop"))
    }

    @Test("version")
    func version() async throws {
        let result = try await HostProcess.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("commerce 0.1.0"))
    }
}
