import ChannelDatabase
import Synchronization

/// Several top-level requests sharing one write transaction: they commit together or not at all.
///
/// ``CommerceRuntime/atomically(_:)`` opens the transaction and makes the group the task's
/// ambient group; every top-level request the runtime runs in that task (and its child tasks)
/// then joins the group's transaction instead of opening its own. Nothing commits before the
/// whole group has run, so on SQLite, which has one writer, no request of the group ever waits
/// for a second write transaction that could only start after the group's ended.
///
/// Requests of a group run one at a time (one transaction serves one statement at a time), all
/// for one channel. Once one of them has failed, the transaction may be unusable (PostgreSQL
/// refuses every statement after an error until the rollback), so the group refuses further
/// requests and can only roll back.
final class AtomicGroup: Sendable {
    /// The group of the running task, if any: set only inside ``CommerceRuntime/atomically(_:)``.
    @TaskLocal static var current: AtomicGroup?

    /// What a request of the group registered with ``RequestContext/onRollback(_:)``, with the
    /// channel and caller its undo steps run for.
    struct Pending: Sendable {
        var channel: ChannelRecord
        var caller: Caller
        var actions: [@Sendable (RequestContext) async throws -> Void]
    }

    private struct State {
        var channelId: Int64?
        var failed = false
        var running = false
        var pending: [Pending] = []
    }

    /// The runtime that opened the group: another runtime (another database) never joins it.
    let runtime: ObjectIdentifier
    let transaction: any DatabaseTransaction
    private let state = Mutex(State())

    init(runtime: ObjectIdentifier, transaction: any DatabaseTransaction) {
        self.runtime = runtime
        self.transaction = transaction
    }

    /// Lets one request in: refused when the group has failed, is running another request, or
    /// runs for another channel.
    func enter(channel: ChannelRecord) throws {
        try state.withLock { state in
            if state.failed {
                throw CommerceError(
                    .conflict, code: "AtomicGroupFailed",
                    "an earlier request of this atomic group failed; the group is rolled back and runs nothing more"
                )
            }
            if state.running {
                throw CommerceError.internalError("the requests of an atomic group must run one after another, not at the same time")
            }
            if let channelId = state.channelId, channelId != channel.recordId {
                throw CommerceError(
                    .invalidRequest, code: "AtomicGroupChannel", "all requests of an atomic group must be for one channel (operating unit number)",
                    target: "OUN"
                )
            }
            state.channelId = channel.recordId
            state.running = true
        }
    }

    /// Ends one request: keeps its undo steps for a rollback of the whole group, and marks the
    /// group failed when the request failed.
    func leave(channel: ChannelRecord, caller: Caller, actions: [@Sendable (RequestContext) async throws -> Void], failed: Bool) {
        state.withLock { state in
            state.running = false
            if failed { state.failed = true }
            if !actions.isEmpty { state.pending.append(Pending(channel: channel, caller: caller, actions: actions)) }
        }
    }

    var hasFailed: Bool { state.withLock { $0.failed } }

    /// Hands the undo steps out once, in the order they were registered.
    func takePending() -> [Pending] {
        state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
    }
}

/// The group an ``AtomicGroup`` was opened as, kept outside the transaction's closure so its
/// undo steps can run after the rollback.
final class AtomicGroupHolder: Sendable {
    private let group = Mutex<AtomicGroup?>(nil)

    func set(_ value: AtomicGroup) { group.withLock { $0 = value } }
    var value: AtomicGroup? { group.withLock { $0 } }
}
