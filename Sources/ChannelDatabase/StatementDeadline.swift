/// The deadline of the work the current task does in the channel database, for callers that
/// stop work at a deadline without running it in a task of its own.
///
/// The consumer API answers a read past its deadline with 504. Running each request in a
/// separate task that can be abandoned costs two thread switches per request; that is needed
/// only where work may block where nothing can stop it (an extension's C function). Work that
/// is only SQLite statements can be stopped from inside: a SQLite connection interrupts a
/// statement of a task whose deadline has passed (``DatabaseError/Kind/interrupted``), and the
/// runtime checks ``checkNotPassed()`` before it commits.
public enum StatementDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// Whether the current task has a deadline and it has passed.
    public static var hasPassed: Bool {
        guard let deadline = current else { return false }
        return ContinuousClock.now >= deadline
    }

    /// Throws `CancellationError` when the current task's deadline has passed, as a cancelled
    /// task would.
    public static func checkNotPassed() throws {
        if hasPassed { throw CancellationError() }
    }
}
