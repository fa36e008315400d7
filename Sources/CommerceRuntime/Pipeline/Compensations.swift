import Synchronization

/// What must be undone outside the database when a top-level request does not commit.
///
/// Rolling back the transaction undoes every row a request wrote, but not what it did
/// elsewhere: a payment connector has authorized money, a partner system has been told. A
/// handler that does such a thing registers the undo here; the runtime runs it only when the
/// request's transaction rolls back, whatever made it roll back (the handler itself, a later
/// post-trigger, an extension, or the commit), and each in a transaction of its own, since
/// the request's transaction is gone by then. A request of an atomic group keeps its actions
/// until the group ends: they run only when the whole group rolls back.
final class Compensations: Sendable {
    private let actions = Mutex<[@Sendable (RequestContext) async throws -> Void]>([])

    func append(_ action: @escaping @Sendable (RequestContext) async throws -> Void) {
        actions.withLock { $0.append(action) }
    }

    /// Hands the registered actions out once: a second call finds none.
    func take() -> [@Sendable (RequestContext) async throws -> Void] {
        actions.withLock { actions in
            defer { actions.removeAll() }
            return actions
        }
    }
}
