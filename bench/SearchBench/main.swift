// Product search under load (bench/search.sh).
//
//   SearchBench seed <database> [standalone products]   migrate, seed the demo with that many
//       standalone products (default 100,000) and bring every product to ten attribute values
//       (about 1M rows); prints how long each part took
//   SearchBench load <base URL> [clients] [seconds]      POST Products/Search with a mix of
//       criteria from many concurrent clients; prints p50/p99 per kind of search and overall
//       (SEARCH_KIND="one common word", say, runs only the searches of that kind)
//
// The extra attribute values are written in multi-row INSERTs inside one transaction: the
// search index's triggers see them as they would see a data-exchange package.
import BenchHTTP
import ChannelDatabase
import Foundation
import Logging

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: SearchBench seed <database> [products] | SearchBench load <base URL> [clients] [seconds]\n".utf8))
    exit(2)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

/// Eight more refinable text attributes, so the demo's Brand and Material make ten per product.
let extraAttributes: [(name: String, values: [String])] = [
    ("Color", ["Black", "White", "Navy", "Olive", "Crimson", "Teal", "Amber", "Slate", "Ivory", "Coral", "Plum", "Sand"]),
    ("Season", ["Spring", "Summer", "Autumn", "Winter"]),
    ("Fit", ["Slim", "Regular", "Relaxed", "Oversized", "Tailored"]),
    ("Origin", ["Portugal", "Vietnam", "Canada", "Mexico", "Italy", "Japan", "Kenya", "Peru", "Norway", "India"]),
    ("Care", ["Machine wash", "Hand wash", "Dry clean", "Wipe clean", "Air dry"]),
    ("Style", ["Minimal", "Rugged", "Vintage", "Sporty", "Elegant", "Playful", "Industrial", "Nordic"]),
    ("Collection", (1...40).map { "Collection \(["Aurora", "Basalt", "Cascade", "Dune", "Ember", "Fjord", "Glacier", "Harbor"][$0 % 8]) \($0)" }),
    ("Feature", ["Waterproof", "Recycled", "Lightweight", "Insulated", "Breathable", "Reflective", "Foldable", "Wireless", "Rechargeable"]),
]

func seed(_ location: String, products: Int) async throws {
    let logger = Logger(label: "bench")
    let database = try await ChannelDatabaseFactory.open(try DatabaseLocation(parsing: location), logger: logger)
    try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
    let empty = try await database.withTransaction(.read) { try await DemoData.isEmpty($0) }
    guard empty else { throw BenchFailure("the database is not empty; seed a fresh one") }

    var start = ContinuousClock.now
    try await database.withTransaction(.write) { try await DemoData.seed($0, standaloneProducts: products) }
    print(String(format: "demo seed with %d standalone products: %.1f s", products, milliseconds(ContinuousClock.now - start) / 1000))

    start = ContinuousClock.now
    let written = try await database.withTransaction(.write) { tx -> Int in
        let firstAttribute: Int64 = 3
        for (offset, attribute) in extraAttributes.enumerated() {
            try await tx.execute(
                "INSERT INTO attributes (record_id, name, data_type, is_refinable) VALUES (?, ?, 'Text', 1)",
                [.integer(firstAttribute + Int64(offset)), .text(attribute.name)]
            )
        }
        let ids = try await tx.query("SELECT record_id FROM products ORDER BY record_id", []).compactMap { $0.int64("record_id") }
        // Product-major rows: a statement holds all values of its products, so each product's
        // document is rebuilt as few times as the backend's triggers allow.
        let rowsPerStatement = 800
        var rows: [[DatabaseValue]] = []
        var count = 0
        func flush() async throws {
            guard !rows.isEmpty else { return }
            let placeholders = Array(repeating: "(?, ?, ?)", count: rows.count).joined(separator: ", ")
            try await tx.execute("INSERT INTO product_attribute_values (product_id, attribute_id, text_value) VALUES " + placeholders, rows.flatMap { $0 })
            count += rows.count
            rows.removeAll(keepingCapacity: true)
        }
        for (index, id) in ids.enumerated() {
            for (offset, attribute) in extraAttributes.enumerated() {
                // Different strides per attribute, so values combine in many ways.
                let value = attribute.values[(index * (offset + 3) + index / 7) % attribute.values.count]
                rows.append([.integer(id), .integer(firstAttribute + Int64(offset)), .text(value)])
            }
            if rows.count >= rowsPerStatement { try await flush() }
        }
        try await flush()
        return count
    }
    let total = try await database.withTransaction(.read) { try await $0.queryFirst("SELECT COUNT(*) AS n FROM product_attribute_values")?.int("n") ?? 0 }
    print(String(format: "%d more attribute values (%d in all) in one transaction: %.1f s", written, total, milliseconds(ContinuousClock.now - start) / 1000))
    await database.close()
}

/// The searches the clients cycle through: common and rare words, prefixes, item ids, phrases,
/// categories and refinements, so the figure is not one cached plan.
let searches: [(kind: String, query: String, body: String)] = [
    ("one common word", "$top=20", #"{"searchCriteria":{"SearchCondition":"classic"}}"#),
    ("one common word", "$top=20", #"{"searchCriteria":{"SearchCondition":"contoso"}}"#),
    ("two words", "$top=20", #"{"searchCriteria":{"SearchCondition":"trail jacket"}}"#),
    ("two words", "$top=20", #"{"searchCriteria":{"SearchCondition":"waterproof nylon"}}"#),
    ("rare word", "$top=20", #"{"searchCriteria":{"SearchCondition":"glacier 17"}}"#),
    ("prefix", "$top=20", #"{"searchCriteria":{"SearchCondition":"summ"}}"#),
    ("item id", "$top=20", #"{"searchCriteria":{"SearchCondition":"P04711"}}"#),
    ("word in category subtree", "$top=20", #"{"searchCriteria":{"SearchCondition":"premium","CategoryIds":[5637145332]}}"#),
    ("word + refiners", "$top=20", #"{"searchCriteria":{"SearchCondition":"urban","Refinement":[{"RefinerRecordId":3,"RefinerSourceValue":1,"LeftValueBoundString":"Navy"},{"RefinerRecordId":0,"RefinerSourceValue":3,"LeftValueBoundString":"100","RightValueBoundString":"250"}]}}"#),
    ("word, by price", "$top=20&$orderby=BasePrice", #"{"searchCriteria":{"SearchCondition":"studio"}}"#),
    ("word, page 10", "$top=20&$skip=180", #"{"searchCriteria":{"SearchCondition":"compact"}}"#),
    ("category only", "$top=20", #"{"searchCriteria":{"CategoryIds":[5637145331]}}"#),
]

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [String: [Double]] = [:]
    private(set) var failures: [String] = []

    func record(_ kind: String, _ milliseconds: Double) { lock.withLock { latencies[kind, default: []].append(milliseconds) } }
    func failed(_ message: String) { lock.withLock { if failures.count < 5 { failures.append(message) } } }
    func sorted(_ kind: String?) -> [Double] {
        lock.withLock { (kind.map { latencies[$0] ?? [] } ?? latencies.values.flatMap { $0 }).sorted() }
    }
}

/// One thread per client, each with a blocking keep-alive connection (`runClients`): the load
/// client shares the two cores with the server, and URLSession cost it more CPU per search than
/// a socket does.
func load(_ base: URL, clients: Int, seconds: Double) {
    // SEARCH_KIND=<kind> measures one kind of search alone (to see what each costs).
    let only = ProcessInfo.processInfo.environment["SEARCH_KIND"]
    let mix = only.map { kind in searches.filter { $0.kind == kind } } ?? searches
    guard !mix.isEmpty else {
        FileHandle.standardError.write(Data("no search of kind \(only ?? "")\n".utf8))
        exit(2)
    }
    let results = Results()
    let total = runClients(base, clients: clients, seconds: seconds, failed: { results.failed("\($0)") }) { client, iteration, connection in
        let search = mix[(client + iteration) % mix.count]
        let start = ContinuousClock.now
        let (status, body) = try connection.send("POST", "/Commerce/Products/Search?" + search.query, search.body)
        let elapsed = ContinuousClock.now - start
        guard status == 200 else { throw BenchFailure("\(search.kind): \(status) \(String(decoding: body, as: UTF8.self))") }
        results.record(search.kind, milliseconds(elapsed))
    }
    let all = results.sorted(nil)
    print("clients: \(clients), duration: \(String(format: "%.1f", total)) s")
    print(String(format: "all searches: n=%d %.0f req/s p50=%.1f ms p99=%.1f ms", all.count, Double(all.count) / total, percentile(all, 0.5), percentile(all, 0.99)))
    var kinds: [String] = []
    for search in mix where !kinds.contains(search.kind) { kinds.append(search.kind) }
    for kind in kinds {
        let values = results.sorted(kind)
        print(String(format: "  %@: n=%d p50=%.1f ms p99=%.1f ms", kind as NSString, values.count, percentile(values, 0.5), percentile(values, 0.99)))
    }
    for failure in results.failures { print("failure: \(failure)") }
    if !results.failures.isEmpty { exit(1) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { usage() }
switch arguments[1] {
case "seed":
    do {
        try await seed(arguments[2], products: arguments.count > 3 ? Int(arguments[3]) ?? 100_000 : 100_000)
    } catch {
        FileHandle.standardError.write(Data("SearchBench seed: \(error)\n".utf8))
        exit(1)
    }
case "load":
    guard let base = URL(string: arguments[2]) else { usage() }
    load(base, clients: arguments.count > 3 ? Int(arguments[3]) ?? 32 : 32, seconds: arguments.count > 4 ? Double(arguments[4]) ?? 20 : 20)
default:
    usage()
}
