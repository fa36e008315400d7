import ChannelDatabase
import CommerceRuntime
@testable import ConsumerAPI
import HTTPTypes
import Testing

/// Reads on SQLite with only the engine's own code are held to their deadline inside their own
/// task (no task per request): a statement past the deadline stops, and the answer is a 504.
@Suite("Read deadlines without a task per request")
struct ReadDeadlineTests {
    @Test("a read past its deadline is answered 504 RequestTimeout; the same database then serves reads")
    func readPastDeadline() async throws {
        let runtime = try await InProcess.demoRuntime().runtime
        let hurried = CommerceAPI(runtime: runtime, options: APIOptions(requestTimeout: .nanoseconds(1)), logger: InProcess.logger)
        #expect(hurried.readsStopThemselves)
        // Counting the channel's products takes far more than the few thousand SQLite steps
        // between deadline checks.
        let late = try await InProcess.get(hurried.responder(), "/Commerce/Products?$filter=contains(Description,'cotton')&$count=true")
        #expect(late.status == .gatewayTimeout, "\(late.body)")
        #expect(late.body.contains("\"RequestTimeout\""), "\(late.body)")

        let patient = CommerceAPI(runtime: runtime, options: APIOptions(requestTimeout: .seconds(30)), logger: InProcess.logger)
        for _ in 0..<4 {
            let answer = try await InProcess.get(patient.responder(), "/Commerce/Products?$filter=contains(Description,'cotton')&$count=true")
            #expect(answer.status == .ok, "\(answer.body)")
            #expect(answer.body.contains("\"@odata.count\""))
        }
        await runtime.database.close()
    }
}
