import ChannelDatabase
import CommerceRuntime
@testable import ConsumerAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded

/// The API's responder driven in-process, without a server: for behaviour that depends on how
/// the responder is configured (deadlines, the catalog cache), which the end-to-end tests
/// cannot vary per request.
enum InProcess {
    static let logger = Logger(label: "consumer-api-test")

    /// A runtime on a new SQLite file with the demo data.
    static func demoRuntime() async throws -> (runtime: CommerceRuntime, path: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("commerce-api-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("channel.sqlite").path
        let database = try SQLiteDatabase(path: path, logger: logger)
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
        try await database.withTransaction(.write) { try await DemoData.seed($0) }
        let runtime = CommerceRuntime(database: database, registry: HandlerRegistry.builtIn(), defaultChannel: DemoData.onlineStoreNumber, logger: logger)
        try await runtime.reloadChannels()
        return (runtime, path)
    }

    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
    }

    static func get(_ responder: CommerceResponder, _ target: String, headers: HTTPFields = HTTPFields()) async throws -> Answer {
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: target, headerFields: headers)
        let context = CommerceRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
        let response = try await responder.respond(to: Request(head: head, body: RequestBody(buffer: ByteBuffer())), context: context)
        let collected = Collected()
        try await response.body.write(CollectingWriter(into: collected))
        return Answer(status: response.status, headers: response.headers, body: String(decoding: collected.bytes.readableBytesView, as: UTF8.self))
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
