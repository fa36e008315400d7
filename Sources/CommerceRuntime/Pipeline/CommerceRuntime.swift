public import ChannelDatabase
public import Logging
import Synchronization

/// The Commerce Runtime: business logic as requests through a handler pipeline.
///
/// Knows no HTTP and no SQL dialect. Each top-level request runs in one channel-database
/// transaction: it commits when the request succeeds and rolls back when any handler or
/// trigger throws, so a failed request leaves nothing behind.
public final class CommerceRuntime: Sendable {
    public let database: any ChannelDatabase
    public let registry: HandlerRegistry
    let pipeline: Pipeline
    public let settings: CommerceSettings
    private let logger: Logger
    private let channels: Mutex<ChannelDirectory>

    public init(
        database: any ChannelDatabase, registry: HandlerRegistry, defaultChannel: String? = nil, settings: CommerceSettings = CommerceSettings(),
        logger: Logger
    ) {
        self.database = database
        self.registry = registry
        self.pipeline = Pipeline(registry)
        self.settings = settings
        self.logger = logger
        self.channels = Mutex(ChannelDirectory(byNumber: [:], defaultNumber: defaultChannel))
    }

    /// Reads the channels into memory; call at start and after channel data changes.
    ///
    /// Channels change rarely (by headquarters' data exchange), while every request needs its
    /// channel, so requests resolve channels from memory, not the database.
    public func reloadChannels() async throws {
        let records = try await database.withTransaction(.read) { try await ChannelStore($0).channels() }
        channels.withLock { directory in
            directory.byNumber = Dictionary(records.map { ($0.orgUnitNumber, $0) }, uniquingKeysWith: { first, _ in first })
            if directory.defaultNumber == nil { directory.defaultNumber = records.first?.orgUnitNumber }
        }
    }

    /// The channel for an operating-unit number, or the default channel when `orgUnitNumber` is nil.
    public func channel(orgUnitNumber: String?) throws -> ChannelRecord {
        try channels.withLock { directory in
            guard let number = orgUnitNumber ?? directory.defaultNumber else {
                throw CommerceError(.unavailable, code: "NoChannel", "the channel database holds no channel; load master data first")
            }
            guard let channel = directory.byNumber[number] else {
                throw CommerceError.invalidRequest("there is no channel with operating unit number '\(number)'", target: "OUN")
            }
            return channel
        }
    }

    public var channelRecords: [ChannelRecord] {
        channels.withLock { Array($0.byNumber.values).sorted { $0.recordId < $1.recordId } }
    }

    /// Runs a request in its own transaction; `language` is the request's (see
    /// ``RequestContext/language``), the channel's when nil.
    public func execute<Request: CommerceRequest>(
        _ request: Request, channel: ChannelRecord, caller: Caller, language: String? = nil
    ) async throws -> Request.Response {
        guard pipeline.mode(of: Request.typeName) != nil else { throw CommerceError.unknownRequestType(Request.typeName) }
        return try await inTransaction(Request.mode, channel: channel, caller: caller, language: language) { try await $0.execute(request) }
    }

    /// Runs a request known by type name with a JSON body, in its own transaction.
    public func execute(_ request: JSONRequest, channel: ChannelRecord, caller: Caller, language: String? = nil) async throws -> [UInt8] {
        guard let mode = pipeline.mode(of: request.typeName) else { throw CommerceError.unknownRequestType(request.typeName) }
        return try await inTransaction(mode, channel: channel, caller: caller, language: language) { try await $0.execute(request) }
    }

    /// One top-level request: its transaction, and the compensations its handlers registered,
    /// run when that transaction does not commit (see ``RequestContext/onRollback(_:)``).
    private func inTransaction<Result: Sendable>(
        _ mode: RequestMode, channel: ChannelRecord, caller: Caller, language: String?, _ body: @Sendable (RequestContext) async throws -> Result
    ) async throws -> Result {
        let compensations = Compensations()
        do {
            return try await database.withTransaction(mode == .write ? .write : .read) { transaction in
                let response = try await body(
                    self.makeContext(channel: channel, caller: caller, language: language, transaction: transaction, compensations: compensations)
                )
                // A request abandoned at its deadline rolls back, even when its handlers could not
                // notice the cancellation (an extension blocked in C) and finished anyway.
                try Task.checkCancellation()
                return response
            }
        } catch {
            await compensate(compensations.take(), channel: channel, caller: caller, language: language)
            throw error
        }
    }

    private func compensate(
        _ actions: [@Sendable (RequestContext) async throws -> Void], channel: ChannelRecord, caller: Caller, language: String?
    ) async {
        for action in actions {
            do {
                try await database.withTransaction(.write) { transaction in
                    let context = self.makeContext(
                        channel: channel, caller: caller, language: language, transaction: transaction, compensations: Compensations()
                    )
                    try await action(context)
                }
            } catch {
                logger.error("a compensation of a rolled-back request failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func makeContext(
        channel: ChannelRecord, caller: Caller, language: String?, transaction: any DatabaseTransaction, compensations: Compensations
    ) -> RequestContext {
        RequestContext(
            channel: channel, caller: caller, language: language, transaction: transaction, logger: logger, settings: settings, pipeline: pipeline,
            compensations: compensations
        )
    }
}

struct ChannelDirectory {
    var byNumber: [String: ChannelRecord]
    var defaultNumber: String?
}
