import ChannelDatabase
import CommerceRuntime
@testable import ConsumerAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// Reads on SQLite with only the engine's own code are held to their deadline inside their own
/// task (no task per request): a statement past the deadline stops, and the answer is a 504.
@Suite("Read deadlines without a task per request")
struct ReadDeadlineTests {
    static let logger = Logger(label: "read-deadline-test")

    static func runtime() async throws -> CommerceRuntime {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("commerce-read-deadline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("channel.sqlite").path, logger: logger)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
        try await database.withTransaction(.write) { try await DemoData.seed($0) }
        let runtime = CommerceRuntime(database: database, registry: HandlerRegistry.builtIn(), defaultChannel: DemoData.onlineStoreNumber, logger: logger)
        try await runtime.reloadChannels()
        return runtime
    }

    static func get(_ api: CommerceAPI, _ target: String) async throws -> (status: HTTPResponse.Status, body: String) {
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: target, headerFields: HTTPFields())
        let context = CommerceRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
        let response = try await api.responder().respond(to: Request(head: head, body: RequestBody(buffer: ByteBuffer())), context: context)
        let collected = Collected()
        try await response.body.write(CollectingWriter(into: collected))
        return (response.status, String(decoding: collected.bytes.readableBytesView, as: UTF8.self))
    }

    @Test("a read past its deadline is answered 504 RequestTimeout; the same database then serves reads")
    func readPastDeadline() async throws {
        let runtime = try await Self.runtime()
        let hurried = CommerceAPI(runtime: runtime, options: APIOptions(requestTimeout: .nanoseconds(1)), logger: Self.logger)
        #expect(hurried.readsStopThemselves)
        // Counting the channel's products takes far more than the few thousand SQLite steps
        // between deadline checks.
        let late = try await Self.get(hurried, "/Commerce/Products?$filter=contains(Description,'cotton')&$count=true")
        #expect(late.status == .gatewayTimeout, "\(late.body)")
        #expect(late.body.contains("\"RequestTimeout\""), "\(late.body)")

        let patient = CommerceAPI(runtime: runtime, options: APIOptions(requestTimeout: .seconds(30)), logger: Self.logger)
        for _ in 0..<4 {
            let answer = try await Self.get(patient, "/Commerce/Products?$filter=contains(Description,'cotton')&$count=true")
            #expect(answer.status == .ok, "\(answer.body)")
            #expect(answer.body.contains("\"@odata.count\""))
        }
        await runtime.database.close()
    }
}

/// A response body collected in memory (the writer is consumed by the body, the box is not).
private final class Collected: @unchecked Sendable {
    var bytes = ByteBuffer()
}

private struct CollectingWriter: ResponseBodyWriter {
    let into: Collected
    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        into.bytes.writeBuffer(&buffer)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
