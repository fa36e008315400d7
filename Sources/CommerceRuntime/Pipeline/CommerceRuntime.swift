public import ChannelDatabase
public import Logging
import Synchronization

/// The Commerce Runtime: business logic as requests through a handler pipeline.
///
/// Knows no HTTP and no SQL dialect. Each top-level request runs in one channel-database
/// transaction: it commits when the request succeeds and rolls back when any handler or
/// trigger throws, so a failed request leaves nothing behind. Several top-level requests can
/// share one transaction with ``atomically(_:)``.
public final class CommerceRuntime: Sendable {
    public let database: any ChannelDatabase
    public let registry: HandlerRegistry
    let pipeline: Pipeline
    /// Offers and discount scopes between requests; see ``MasterDataCache``.
    let masterData = MasterDataCache()
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

    /// Runs `body` as one atomic group: every top-level request the runtime runs inside it (in
    /// this task and its child tasks) joins one write transaction, which commits when `body`
    /// returns and every request of the group succeeded, and rolls back when `body` throws or any
    /// request of the group failed (even one whose error `body` caught). After a rollback the undo
    /// steps of all requests of the group (``RequestContext/onRollback(_:)``) run, each in a
    /// transaction of its own; after a commit none do.
    ///
    /// For the HTTP layer's atomicity groups and change sets, which must not see SQL. Requests of
    /// a group run one after another and all for one channel; a request for another channel, or
    /// any request after one that failed, is refused. Inside a group, `atomically` only runs
    /// `body`: groups do not nest. Do not open transactions of your own inside `body`: on SQLite
    /// a second write transaction waits for this one, which cannot end while `body` waits.
    /// A task cancelled (past its deadline) rolls the group back.
    public func atomically<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        if let group = AtomicGroup.current, group.runtime == ObjectIdentifier(self) { return try await body() }
        let holder = AtomicGroupHolder()
        do {
            return try await database.withTransaction(.write) { transaction in
                let group = AtomicGroup(runtime: ObjectIdentifier(self), transaction: transaction)
                holder.set(group)
                let result = try await AtomicGroup.$current.withValue(group) { try await body() }
                if group.hasFailed {
                    throw CommerceError(
                        .conflict, code: "AtomicGroupFailed", "a request of the atomic group failed; nothing of the group was committed"
                    )
                }
                try Self.checkStillWanted()
                return result
            }
        } catch {
            // The group's transaction has ended: the undo steps may open write transactions now.
            for pending in holder.value?.takePending() ?? [] {
                // Undo steps (voids, refunds) do not read the catalog: no language.
                await compensate(pending.actions, channel: pending.channel, caller: pending.caller, language: nil)
            }
            throw error
        }
    }

    /// One top-level request: its transaction, and the compensations its handlers registered,
    /// run when that transaction does not commit (see ``RequestContext/onRollback(_:)``).
    /// Inside an atomic group the request joins the group's transaction instead, and its
    /// compensations wait for the group's outcome.
    private func inTransaction<Result: Sendable>(
        _ mode: RequestMode, channel: ChannelRecord, caller: Caller, language: String?, _ body: @Sendable (RequestContext) async throws -> Result
    ) async throws -> Result {
        if let group = AtomicGroup.current, group.runtime == ObjectIdentifier(self) {
            return try await joining(group, channel: channel, caller: caller, language: language, body)
        }
        var attempt = 1
        while true {
            let compensations = Compensations()
            do {
                return try await database.withTransaction(mode == .write ? .write : .read) { transaction in
                    let response = try await body(
                        self.makeContext(channel: channel, caller: caller, language: language, transaction: transaction, compensations: compensations)
                    )
                    // A request abandoned at its deadline rolls back, even when its handlers could not
                    // notice the cancellation (an extension blocked in C) and finished anyway.
                    try Self.checkStillWanted()
                    return response
                }
            } catch {
                await compensate(compensations.take(), channel: channel, caller: caller, language: language)
                // PostgreSQL ends one of two transactions that wait for each other (a deadlock) or
                // that could not be serialized; the request itself was fine and, rolled back
                // entirely, can simply run again. Once: a conflict that repeats is reported.
                guard mode == .write, attempt < Self.attemptsAfterConflict, Self.isTransientConflict(error), !Task.isCancelled else { throw error }
                logger.notice("a write request met a database conflict and runs again", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                attempt += 1
            }
        }
    }

    static let attemptsAfterConflict = 2

    /// Work past its deadline must not commit: the task was cancelled (a request abandoned at
    /// its deadline), or the deadline its statements run under has passed.
    static func checkStillWanted() throws {
        try Task.checkCancellation()
        try StatementDeadline.checkNotPassed()
    }

    static func isTransientConflict(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.kind == .busy
    }

    private func joining<Result: Sendable>(
        _ group: AtomicGroup, channel: ChannelRecord, caller: Caller, language: String?, _ body: @Sendable (RequestContext) async throws -> Result
    ) async throws -> Result {
        try group.enter(channel: channel)
        let compensations = Compensations()
        do {
            let response = try await body(makeContext(
                channel: channel, caller: caller, language: language, transaction: group.transaction, compensations: compensations
            ))
            // As for a request of its own: work past its deadline must not be committed.
            try Self.checkStillWanted()
            group.leave(channel: channel, caller: caller, actions: compensations.take(), failed: false)
            return response
        } catch {
            group.leave(channel: channel, caller: caller, actions: compensations.take(), failed: true)
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
            compensations: compensations, masterData: masterData
        )
    }
}

struct ChannelDirectory {
    var byNumber: [String: ChannelRecord]
    var defaultNumber: String?
}
