import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Testing

/// Work under a ``StatementDeadline`` that has passed commits nothing, however short its
/// statements were (the consumer API holds reads on SQLite to their deadline this way).
@Suite("Requests past their statement deadline")
struct StatementDeadlineRuntimeTests {
    @Test("a write request whose deadline passed is rolled back; the next one commits", arguments: Backend.allCases)
    func writeRollsBack(_ backend: Backend) async throws {
        let f = try await CartTests.fixture(backend)
        let before = try await f.count("carts")
        let error = await #expect(throws: (any Error).self) {
            try await StatementDeadline.$current.withValue(.now - .milliseconds(1)) { try await f.run(CreateCartRequest()) }
        }
        // Stopped before its commit, or (SQLite) in a statement that ran long enough to be checked.
        #expect(error is CancellationError || (error as? DatabaseError)?.kind == .interrupted, "\(String(describing: error))")
        #expect(try await f.count("carts") == before)
        _ = try await f.run(CreateCartRequest())
        #expect(try await f.count("carts") == before + 1)
    }
}
