import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Logging
import Testing

/// A request that writes one row, so tests can see whether its transaction committed.
struct RecordVisitRequest: CommerceRequest {
    typealias Response = [String]
    static let typeName = "RecordVisitRequest"
    static let mode = RequestMode.write
    var name: String
}

struct EchoRequest: CommerceRequest {
    typealias Response = String
    static let typeName = "EchoRequest"
    static let mode = RequestMode.read
    var text: String
}

struct UnregisteredRequest: CommerceRequest {
    typealias Response = String
    static let typeName = "UnregisteredRequest"
    static let mode = RequestMode.read
}

/// Locks two rows of `test_visits` one after the other; answers which attempt succeeded.
struct LockPairRequest: CommerceRequest {
    typealias Response = Int
    static let typeName = "LockPairRequest"
    static let mode = RequestMode.write
    var first: String
    var second: String
}

/// Counts attempts per request, and lets the first attempts of `expected` requests wait until
/// all have arrived (at most ten seconds, so a broken test fails instead of hanging).
actor Meeting {
    let expected: Int
    private var arrived = 0
    private var attempts: [String: Int] = [:]

    init(expected: Int) { self.expected = expected }

    func attempt(_ key: String) -> Int {
        attempts[key, default: 0] += 1
        return attempts[key] ?? 0
    }

    func arrive() async {
        arrived += 1
        let deadline = ContinuousClock.now + .seconds(10)
        while arrived < expected, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

enum Backend: String, CaseIterable, Sendable {
    case sqlite
    case postgres
}

/// Longer than the host's 10 s: the suite opens databases from many tests at once, and a server
/// briefly at its connection limit is waited out rather than failing a test.
let testConnectTimeout: Duration = .seconds(60)

/// A migrated, seeded channel database on a real backend.
func openSeededDatabase(_ backend: Backend) async throws -> any ChannelDatabase {
    let logger = Logger(label: "test")
    let database: any ChannelDatabase
    switch backend {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try SQLiteDatabase(path: directory.appendingPathComponent("channel.sqlite").path, logger: logger)
    case .postgres:
        guard let url = ProcessInfo.processInfo.environment["COMMERCE_TEST_POSTGRES_URL"] else {
            throw CommerceError.internalError("COMMERCE_TEST_POSTGRES_URL is not set: run the tests with scripts/test")
        }
        let admin = try await PostgresDatabase(configuration: try PostgresConfiguration(url: url), logger: logger, connectTimeout: testConnectTimeout)
        let name = "crt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin.createDatabase(named: name)
        await admin.close()
        var configuration = try PostgresConfiguration(url: url)
        configuration.database = name
        configuration.maximumConnections = 8
        database = try await PostgresDatabase(configuration: configuration, logger: logger, connectTimeout: testConnectTimeout)
    }
    let visits = MigrationSet(namespace: "test", migrations: [
        Migration(version: 1, name: "visits", portable: "CREATE TABLE test_visits (name TEXT NOT NULL)")
    ])
    try await Migrator.migrate(database, sets: [CoreSchema.migrations, visits], logger: logger)
    try await database.withTransaction(.write) { try await DemoData.seed($0) }
    return database
}

func makeRuntime(
    _ database: any ChannelDatabase, settings: CommerceSettings = CommerceSettings(), _ configure: (inout HandlerRegistry) -> Void
) async throws -> CommerceRuntime {
    var registry = HandlerRegistry.builtIn()
    registry.register(RecordVisitRequest.self) { request, context in
        try await context.transaction.execute("INSERT INTO test_visits (name) VALUES (?)", [.text(request.name)])
        return try await context.transaction.query("SELECT name FROM test_visits ORDER BY name", []).compactMap { $0.string("name") }
    }
    configure(&registry)
    let runtime = CommerceRuntime(database: database, registry: registry, settings: settings, logger: Logger(label: "test"))
    try await runtime.reloadChannels()
    return runtime
}

func visitCount(_ database: any ChannelDatabase) async throws -> Int {
    try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM test_visits")?.int("n") ?? -1 }
}

@Suite("Commerce Runtime pipeline")
struct PipelineTests {
    @Test("a later handler overrides an earlier one and can chain to it")
    func overrideChainsToNext() async throws {
        let database = try await openSeededDatabase(.sqlite)
        let runtime = try await makeRuntime(database) { registry in
            registry.register(EchoRequest.self, owner: "core") { request, _ in "core(\(request.text))" }
            registry.register(EchoRequest.self, owner: "first") { request, context, next in
                "first(" + (try await next(EchoRequest(text: request.text.uppercased()), context)) + ")"
            }
            registry.register(EchoRequest.self, owner: "second") { request, context, next in
                "second(" + (try await next(request, context)) + ")"
            }
        }
        let channel = try runtime.channel(orgUnitNumber: nil)
        let answer = try await runtime.execute(EchoRequest(text: "hi"), channel: channel, caller: .anonymous)
        #expect(answer == "second(first(core(HI)))")
        #expect(runtime.registry.owners(of: EchoRequest.typeName).handlers == ["core", "first", "second"])
        await database.close()
    }

    @Test("a pre-trigger veto fails the request and leaves the database unchanged", arguments: Backend.allCases)
    func preTriggerVeto(_ backend: Backend) async throws {
        let database = try await openSeededDatabase(backend)
        let runtime = try await makeRuntime(database) { registry in
            registry.addPreTrigger(RecordVisitRequest.self, owner: "audit") { request, context in
                // Writes first, so the veto below must roll this back too.
                try await context.transaction.execute("INSERT INTO test_visits (name) VALUES (?)", [.text("audit of \(request.name)")])
            }
            registry.addPreTrigger(RecordVisitRequest.self, owner: "guard") { request, _ in
                if request.name == "mallory" { throw CommerceError.vetoed(by: "guard", "mallory may not visit") }
            }
        }
        let channel = try runtime.channel(orgUnitNumber: nil)
        do {
            _ = try await runtime.execute(RecordVisitRequest(name: "mallory"), channel: channel, caller: .anonymous)
            Issue.record("the vetoed request succeeded")
        } catch let error as CommerceError {
            #expect(error.kind == .validation)
            #expect(error.message == "guard: mallory may not visit")
        }
        #expect(try await visitCount(database) == 0)
        let names = try await runtime.execute(RecordVisitRequest(name: "alice"), channel: channel, caller: .anonymous)
        #expect(names == ["alice", "audit of alice"])
        await database.close()
    }

    @Test("a post-trigger sees the request and the response and can change the response")
    func postTrigger() async throws {
        let database = try await openSeededDatabase(.sqlite)
        let runtime = try await makeRuntime(database) { registry in
            registry.addPostTrigger(GetProductRequest.self, owner: "loyalty") { request, response, _ in
                guard var product = response else { return response }
                product.extensionProperties.append(CommerceProperty(key: "SeenId", value: CommercePropertyValue(longValue: request.recordId)))
                return product
            }
        }
        let channel = try runtime.channel(orgUnitNumber: DemoData.onlineStoreNumber)
        let product = try await runtime.execute(GetProductRequest(recordId: DemoData.firstProductId), channel: channel, caller: .anonymous)
        #expect(product?.itemId == "P00001")
        #expect(product?.extensionProperties == [CommerceProperty(key: "SeenId", value: CommercePropertyValue(longValue: DemoData.firstProductId))])
        await database.close()
    }

    @Test("an unknown request type fails with a clear error")
    func unknownRequestType() async throws {
        let database = try await openSeededDatabase(.sqlite)
        let runtime = try await makeRuntime(database) { _ in }
        let channel = try runtime.channel(orgUnitNumber: nil)
        do {
            _ = try await runtime.execute(UnregisteredRequest(), channel: channel, caller: .anonymous)
            Issue.record("an unregistered request ran")
        } catch let error as CommerceError {
            #expect(error.code == "UnknownRequestType")
            #expect(error.message == "no handler is registered for request type 'UnregisteredRequest'")
        }
        await #expect(throws: CommerceError.self) {
            _ = try await runtime.execute(JSONRequest(typeName: "NoSuchRequest", body: Array("{}".utf8)), channel: channel, caller: .anonymous)
        }
        var registry = HandlerRegistry.builtIn()
        #expect(throws: CommerceError.self) { try registry.addJSONPreTrigger(typeName: "NoSuchRequest", owner: "ext") { _, _ in } }
        await database.close()
    }

    @Test("JSON handlers (as extensions register them) join the typed chain and see Retail Server shapes")
    func jsonHandlers() async throws {
        let database = try await openSeededDatabase(.sqlite)
        let runtime = try await makeRuntime(database) { registry in
            // Overrides tax: doubles the built-in result, as an extension with its own rate table would.
            registry.registerJSON(typeName: CalculateTaxRequest.typeName, owner: "ext-tax") { body, _, next in
                let request = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
                #expect((request?["Lines"] as? [[String: Any]])?.first?["LineId"] as? String == "1")
                let builtIn = try JSONDecoder().decode([LineTax].self, from: Data(try await next(body)))
                let doubled = builtIn.map { LineTax(lineId: $0.lineId, taxAmount: $0.taxAmount * 2, ratePercent: $0.ratePercent) }
                return Array(try JSONEncoder().encode(doubled))
            }
            // A brand-new request type only an extension knows.
            registry.registerJSON(typeName: "GetLoyaltyPointsRequest", mode: .read, owner: "ext-loyalty") { body, _, _ in
                Array("{\"points\":42,\"echo\":\(String(decoding: body, as: UTF8.self))}".utf8)
            }
            try? registry.addJSONPostTrigger(typeName: "GetLoyaltyPointsRequest", owner: "ext-audit") { _, response, _ in
                Array(String(decoding: response, as: UTF8.self).replacingOccurrences(of: "42", with: "43").utf8)
            }
        }
        let channel = try runtime.channel(orgUnitNumber: nil)
        let taxes = try await runtime.execute(
            CalculateTaxRequest(lines: [TaxableLine(lineId: "1", itemTaxGroup: "FULL", amount: 100)]), channel: channel, caller: .anonymous
        )
        #expect(taxes == [LineTax(lineId: "1", taxAmount: 13, ratePercent: Decimal(string: "6.5")!)])
        let points = try await runtime.execute(JSONRequest(typeName: "GetLoyaltyPointsRequest", body: Array("{\"id\":1}".utf8)), channel: channel, caller: .anonymous)
        #expect(String(decoding: points, as: UTF8.self) == "{\"points\":43,\"echo\":{\"id\":1}}")
        await database.close()
    }

    @Test("nested requests share the transaction: a failure deep inside rolls back everything", arguments: Backend.allCases)
    func nestedFailureRollsBack(_ backend: Backend) async throws {
        let database = try await openSeededDatabase(backend)
        let runtime = try await makeRuntime(database) { registry in
            registry.addPostTrigger(RecordVisitRequest.self, owner: "checker") { request, response, context in
                _ = try await context.execute(EchoRequest(text: request.name))
                return response
            }
            registry.register(EchoRequest.self) { request, _ in
                if request.text == "boom" { throw CommerceError.invalidRequest("nested failure") }
                return request.text
            }
        }
        let channel = try runtime.channel(orgUnitNumber: nil)
        await #expect(throws: CommerceError.self) {
            _ = try await runtime.execute(RecordVisitRequest(name: "boom"), channel: channel, caller: .anonymous)
        }
        #expect(try await visitCount(database) == 0)
        _ = try await runtime.execute(RecordVisitRequest(name: "fine"), channel: channel, caller: .anonymous)
        #expect(try await visitCount(database) == 1)
        await database.close()
    }

    /// Two requests lock two rows in opposite orders and wait for each other: PostgreSQL ends one
    /// of them with a deadlock error. The runtime runs that one again, so both succeed and every
    /// row is written once. (SQLite runs one writer at a time: it cannot deadlock.)
    @Test("a write request ended by a PostgreSQL deadlock runs again, once, and leaves one result")
    func deadlockedRequestRunsAgain() async throws {
        let database = try await openSeededDatabase(.postgres)
        try await database.withTransaction(.write) { transaction in
            for name in ["left", "right"] { try await transaction.execute("INSERT INTO test_visits (name) VALUES (?)", [.text(name)]) }
        }
        let meeting = Meeting(expected: 2)
        let runtime = try await makeRuntime(database) { registry in
            registry.register(LockPairRequest.self) { request, context in
                let attempt = await meeting.attempt(request.first)
                try await context.transaction.execute("UPDATE test_visits SET name = name WHERE name = ?", [.text(request.first)])
                // Only the first attempts wait for each other, so that each holds its first row.
                if attempt == 1 { await meeting.arrive() }
                try await context.transaction.execute("UPDATE test_visits SET name = name WHERE name = ?", [.text(request.second)])
                try await context.transaction.execute("INSERT INTO test_visits (name) VALUES (?)", [.text("done by \(request.first)")])
                return attempt
            }
        }
        let channel = try runtime.channel(orgUnitNumber: nil)
        async let one = runtime.execute(LockPairRequest(first: "left", second: "right"), channel: channel, caller: .anonymous)
        async let two = runtime.execute(LockPairRequest(first: "right", second: "left"), channel: channel, caller: .anonymous)
        let attempts = try await [one, two]
        // One of them was chosen as the deadlock victim and ran a second time.
        #expect(attempts.sorted() == [1, 2])
        let names = try await database.withTransaction(.read) { transaction in
            try await transaction.query("SELECT name FROM test_visits ORDER BY name", []).compactMap { $0.string("name") }
        }
        #expect(names == ["done by left", "done by right", "left", "right"])
        await database.close()
    }

    @Test("channels resolve by operating unit number; an unknown one is a clear error")
    func channels() async throws {
        let database = try await openSeededDatabase(.sqlite)
        let runtime = try await makeRuntime(database) { _ in }
        #expect(try runtime.channel(orgUnitNumber: nil).orgUnitNumber == DemoData.onlineStoreNumber)
        #expect(try runtime.channel(orgUnitNumber: "0101").name == "Seattle store")
        #expect(throws: CommerceError.self) { try runtime.channel(orgUnitNumber: "9999") }
        await database.close()
    }
}

@Suite("Pricing and tax requests")
struct PricingTests {
    @Test("trade agreements: the best applicable price wins, quantity breaks and groups apply")
    func tradeAgreements() async throws {
        let database = try await openSeededDatabase(.sqlite)
        let runtime = try await makeRuntime(database) { _ in }
        let online = try runtime.channel(orgUnitNumber: DemoData.onlineStoreNumber)
        let store = try runtime.channel(orgUnitNumber: DemoData.physicalStoreNumber)
        let first = DemoData.firstProductId
        // Base 5.99; online price group pays 5.39 (10% less, rounded to cents); from 10 units everyone pays 4.50.
        let onlinePrices = try await runtime.execute(CalculatePricesRequest(productIds: [first, first + 20]), channel: online, caller: .anonymous)
        #expect(onlinePrices.map(\.adjustedPrice) == [Decimal(string: "5.39")!, Decimal(string: "245.99")!])
        #expect(onlinePrices[0].basePrice == Decimal(string: "5.99"))
        let storePrice = try await runtime.execute(CalculatePricesRequest(productIds: [first]), channel: store, caller: .anonymous)
        #expect(storePrice.first?.adjustedPrice == Decimal(string: "5.99"))
        let bulk = try await runtime.execute(CalculatePricesRequest(productIds: [first], quantity: 10), channel: store, caller: .anonymous)
        #expect(bulk.first?.adjustedPrice == Decimal(string: "4.50"))
        await database.close()
    }

    @Test("tax is rounded per line half away from zero, exclusive and inclusive")
    func taxRule() {
        #expect(TaxRule.tax(of: Decimal(string: "0.077")!, ratePercent: Decimal(string: "6.5")!, priceIncludesTax: false, decimals: 2) == Decimal(string: "0.01"))
        #expect(TaxRule.tax(of: Decimal(string: "10.00")!, ratePercent: Decimal(string: "7.25")!, priceIncludesTax: false, decimals: 2) == Decimal(string: "0.73"))
        #expect(TaxRule.tax(of: Decimal(string: "107.25")!, ratePercent: Decimal(string: "7.25")!, priceIncludesTax: true, decimals: 2) == Decimal(string: "7.25"))
        #expect(TaxRule.tax(of: 100, ratePercent: Decimal(string: "6.5")!, priceIncludesTax: false, decimals: 0) == 7)
        #expect(Decimal(string: "0.005")!.rounded(toDecimals: 2) == Decimal(string: "0.01"))
        #expect(Decimal(string: "-0.005")!.rounded(toDecimals: 2) == Decimal(string: "-0.01"))
    }
}
