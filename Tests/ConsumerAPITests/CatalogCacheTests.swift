import ChannelDatabase
import CommerceRuntime
@testable import ConsumerAPI
import Foundation
import HTTPTypes
import Testing

/// Anonymous catalog answers are served again from memory while master data is unchanged.
///
/// A second connection to the same file, which the host does not see, changes a product's name
/// behind its back: an answer that still shows the old name came from memory.
@Suite("Catalog answer cache")
struct CatalogCacheTests {
    static let product = "/Commerce/Products(68719476737)"

    static func api(_ runtime: CommerceRuntime, maxAge: Duration = .seconds(60), rateLimit: RateLimit? = nil) -> CommerceAPI {
        CommerceAPI(
            runtime: runtime, options: APIOptions(rateLimit: rateLimit, requestTimeout: .seconds(30), catalogCache: CatalogCacheOptions(maxAge: maxAge)),
            logger: InProcess.logger
        )
    }

    static func rename(_ database: any ChannelDatabase, to name: String) async throws {
        _ = try await database.withTransaction(.write) { transaction in
            try await transaction.execute("UPDATE products SET name = ? WHERE record_id = 68719476737", [.text(name)])
        }
    }

    static func name(_ answer: InProcess.Answer) throws -> String? {
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return json?["Name"] as? String
    }

    @Test("served from memory until this host commits master data; carts and stock leave it; the write's own client reads it")
    func servedUntilMasterDataChanges() async throws {
        let (runtime, path) = try await InProcess.demoRuntime()
        let api = Self.api(runtime)
        let cache = try #require(api.catalogCache)
        let responder = api.responder()
        let first = try await InProcess.get(responder, Self.product)
        #expect(first.status == .ok, "\(first.body)")
        let original = try #require(try Self.name(first))
        #expect(cache.count == 1)

        let outsider = try SQLiteDatabase(path: path, logger: InProcess.logger)
        try await Self.rename(outsider, to: "Renamed by another process")
        let again = try await InProcess.get(responder, Self.product)
        #expect(again.status == .ok)
        #expect(again.body == first.body, "the second answer was computed again, not served from memory")
        #expect(again.headers == first.headers, "a stored answer carries the same headers, once")
        let computed = try await InProcess.get(responder, Self.product, headers: [.cacheControl: "no-cache"])
        #expect(try Self.name(computed) == "Renamed by another process", "Cache-Control: no-cache asks for a computed answer")

        // Transactional data through the host: the stored answer stays good (the outsider's
        // name is not seen).
        try await runtime.database.withTransaction(.write) { transaction in
            try await transaction.execute(
                "INSERT INTO carts (id, channel_id, created_at, modified_at) VALUES ('cache-test', ?, 0, 0)", [.integer(DemoData.onlineStoreId)]
            )
            try await transaction.execute("UPDATE stock SET on_hand = on_hand + 1 WHERE product_id = 68719476737", [])
        }
        #expect(try Self.name(try await InProcess.get(responder, Self.product)) == original)

        // Master data through the host: the next read computes again and sees it.
        try await Self.rename(runtime.database, to: "Renamed through the host")
        #expect(try Self.name(try await InProcess.get(responder, Self.product)) == "Renamed through the host")
        await outsider.close()
        await runtime.database.close()
    }

    @Test("another process's write shows once the answer is older than maxAge")
    func outsideWritesShowAfterMaxAge() async throws {
        let (runtime, path) = try await InProcess.demoRuntime()
        let responder = Self.api(runtime, maxAge: .milliseconds(200)).responder()
        let first = try await InProcess.get(responder, Self.product)
        #expect(first.status == .ok)
        let outsider = try SQLiteDatabase(path: path, logger: InProcess.logger)
        try await Self.rename(outsider, to: "Renamed by another process")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try Self.name(try await InProcess.get(responder, Self.product)) == "Renamed by another process")
        await outsider.close()
        await runtime.database.close()
    }

    @Test("kept apart by language, format and query; callers with credentials and If-Match are never answered from memory")
    func keyAndEligibility() async throws {
        let (runtime, _) = try await InProcess.demoRuntime()
        let api = Self.api(runtime)
        let cache = try #require(api.catalogCache)
        let responder = api.responder()
        _ = try await InProcess.get(responder, Self.product)
        _ = try await InProcess.get(responder, Self.product, headers: [.acceptLanguage: "fr-fr"])
        _ = try await InProcess.get(responder, Self.product, headers: [.accept: "application/json;odata.metadata=full"])
        _ = try await InProcess.get(responder, Self.product + "?$select=Name")
        #expect(cache.count == 4)
        let categories = try await InProcess.get(responder, "/Commerce/Categories?$top=3")
        #expect(categories.status == .ok)
        #expect(cache.count == 5)
        #expect(try await InProcess.get(responder, "/Commerce/Categories?$top=3").body == categories.body)
        let full = try await InProcess.get(responder, Self.product, headers: [.accept: "application/json;odata.metadata=full"])
        #expect(full.body.contains("@odata.type"))

        // A bad token is refused even though the anonymous answer is in memory.
        let refused = try await InProcess.get(responder, Self.product, headers: [.authorization: "Bearer not-a-token"])
        #expect(refused.status == .unauthorized)
        let fresh = try await InProcess.get(responder, Self.product, headers: [.cacheControl: "no-cache"])
        #expect(fresh.status == .ok)
        #expect(cache.count == 5)
        let precondition = try await InProcess.get(responder, Self.product, headers: [.ifMatch: "W/\"nope\""])
        #expect(precondition.status == .preconditionFailed)
        // Errors are not kept.
        #expect(try await InProcess.get(responder, "/Commerce/Products(1)").status == .notFound)
        #expect(try await InProcess.get(responder, "/Commerce/Carts").status != .ok)
        #expect(cache.count == 5)
        await runtime.database.close()
    }

    @Test("If-None-Match with the stored ETag is answered 304")
    func notModified() async throws {
        let (runtime, _) = try await InProcess.demoRuntime()
        let responder = Self.api(runtime).responder()
        let first = try await InProcess.get(responder, Self.product)
        let etag = try #require(first.headers[.eTag])
        let revalidated = try await InProcess.get(responder, Self.product, headers: [.ifNoneMatch: etag])
        #expect(revalidated.status == .notModified)
        #expect(revalidated.headers[.eTag] == etag)
        let other = try await InProcess.get(responder, Self.product, headers: [.ifNoneMatch: "W/\"other\""])
        #expect(other.status == .ok)
        #expect(other.body == first.body)
        await runtime.database.close()
    }

    @Test("answers from memory still count against the caller's rate limit")
    func rateLimited() async throws {
        let (runtime, _) = try await InProcess.demoRuntime()
        let responder = Self.api(runtime, rateLimit: RateLimit(requestsPerSecond: 0.01, burst: 2)).responder()
        #expect(try await InProcess.get(responder, Self.product).status == .ok)
        #expect(try await InProcess.get(responder, Self.product).status == .ok)
        let third = try await InProcess.get(responder, Self.product)
        #expect(third.status == .tooManyRequests)
        await runtime.database.close()
    }

    @Test("off unless the options ask for it")
    func offUnlessAsked() async throws {
        let (runtime, _) = try await InProcess.demoRuntime()
        #expect(CommerceAPI(runtime: runtime, logger: InProcess.logger).catalogCache == nil)
        #expect(Self.api(runtime).catalogCache != nil)
        await runtime.database.close()
    }
}
