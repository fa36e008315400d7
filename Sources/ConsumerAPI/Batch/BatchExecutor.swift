import ChannelDatabase
import CommerceRuntime
import HTTPTypes
import Hummingbird
import NIOCore

/// The response to one part of a batch, read whole so it can be written in either format.
struct BatchAnswer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: [UInt8]

    var succeeded: Bool { (200..<300).contains(status.code) }
}

/// What the requests run so far leave for later ones: which succeeded (by id and by group
/// name), and the URL of the entity each created, for `$<id>` references.
struct BatchLedger: Sendable {
    private(set) var succeeded: [String: Bool] = [:]
    private(set) var locations: [String: String] = [:]

    mutating func record(_ part: BatchPart, _ answer: BatchAnswer) {
        guard let id = part.id else { return }
        succeeded[id] = answer.succeeded
        if answer.succeeded, let location = answer.headers[.location] { locations[id] = location }
    }

    /// A group that rolled back: none of its members' entities exist, whatever they answered.
    mutating func recordFailure(of name: String, members: [BatchPart]) {
        succeeded[name] = false
        for id in members.compactMap(\.id) {
            succeeded[id] = false
            locations[id] = nil
        }
    }

    mutating func recordSuccess(of name: String) { succeeded[name] = true }

    /// The first of `names` that was run and failed.
    func firstFailed(_ names: [String]) -> String? { names.first { succeeded[$0] == false } }
}

/// Runs the parts of a batch through the same dispatch as top-level requests, alone or as
/// atomic groups; both batch formats use it.
struct BatchExecutor: Sendable {
    let api: CommerceAPI
    /// The `$batch` request: its headers apply to every part unless the part overrides them.
    let batch: Request
    let context: CommerceRequestContext
    /// Batch headers a part does not inherit: they describe the batch itself.
    let ownHeaders: Set<HTTPField.Name>

    /// All requests of each group must be for one channel: the group is one transaction of the
    /// runtime, and a transaction belongs to one channel. Checked before anything runs.
    func checkChannels(of units: [BatchUnit]) throws {
        for case .group(let name, let parts) in units {
            var numbers: Set<String> = []
            for part in parts {
                let number = part.header("OUN") ?? batch.headers[ODataHeaders.operatingUnitNumber]
                // An unknown number fails that request as it would fail alone; only known channels are compared.
                if let channel = try? api.runtime.channel(orgUnitNumber: number) { numbers.insert(channel.orgUnitNumber) }
            }
            guard numbers.count <= 1 else {
                throw ODataError.badRequest(
                    "all requests of atomicity group or change set '\(name)' must be for one channel (OUN header), "
                        + "not \(numbers.sorted().joined(separator: " and "))",
                    target: "OUN"
                )
            }
        }
    }

    /// Runs one request outside any group; a failed dependency answers 424 without running it.
    func runAlone(_ part: BatchPart, ledger: inout BatchLedger) async -> BatchAnswer {
        if let dependency = ledger.firstFailed(part.dependsOn) {
            let answer = await failedDependency(dependency)
            ledger.record(part, answer)
            return answer
        }
        let answer = await run(part, ledger: ledger)
        ledger.record(part, answer)
        return answer
    }

    /// How a group ended.
    enum GroupOutcome: Sendable {
        /// Every request succeeded and the group committed: each request's own answer.
        case committed([BatchAnswer])
        /// Nothing was committed: the answer that stands for the whole group, and the index of
        /// the request that gave it (nil when the group failed as a whole, e.g. at the commit).
        case failed(BatchAnswer, at: Int?)
    }

    /// Runs a group's requests in one transaction of the runtime: it commits when every one of
    /// them answers 2xx, and rolls back at the first that does not, which ends the group.
    func runGroup(_ name: String, _ parts: [BatchPart], ledger: inout BatchLedger) async -> GroupOutcome {
        let members = Set(parts.compactMap(\.id)).union([name])
        let outside = parts.flatMap(\.dependsOn).filter { !members.contains($0) }
        if let dependency = ledger.firstFailed(outside) {
            ledger.recordFailure(of: name, members: parts)
            return .failed(await failedDependency(dependency), at: nil)
        }
        let before = ledger
        do {
            let (answers, after) = try await api.runtime.atomically { [self] in
                var ledger = before
                var answers: [BatchAnswer] = []
                for (index, part) in parts.enumerated() {
                    let answer = await run(part, ledger: ledger)
                    guard answer.succeeded else { throw GroupFailure(answer: answer, index: index) }
                    ledger.record(part, answer)
                    answers.append(answer)
                }
                return (answers, ledger)
            }
            ledger = after
            ledger.recordSuccess(of: name)
            return .committed(answers)
        } catch let failure as GroupFailure {
            ledger.recordFailure(of: name, members: parts)
            return .failed(failure.answer, at: failure.index)
        } catch {
            ledger.recordFailure(of: name, members: parts)
            return .failed(await answer(for: error), at: nil)
        }
    }

    /// Thrown out of a group's transaction to roll it back, carrying the answer that failed it.
    private struct GroupFailure: Error {
        var answer: BatchAnswer
        var index: Int
    }

    /// One request through ``CommerceAPI/dispatch(_:_:gate:)``, its `$<id>` reference resolved;
    /// errors become answers.
    private func run(_ part: BatchPart, ledger: BatchLedger) async -> BatchAnswer {
        let path: String
        switch part.target {
        case .path(let given):
            path = given
        case .reference(let id, _):
            if ledger.succeeded[id] == false { return await failedDependency(id, referenced: true) }
            guard let location = ledger.locations[id], let resolved = part.target.resolved(location: location) else {
                return await answer(for: ODataError.badRequest(
                    "batch request \(part.label) refers to '$\(id)', which created no entity to refer to (its response has no Location)"
                ))
            }
            path = resolved
        }
        var fields = HTTPFields()
        for field in batch.headers where !ownHeaders.contains(field.name) { fields[field.name] = field.value }
        for (name, value) in part.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        if part.body?.isEmpty == false, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        let head = HTTPRequest(method: part.method, scheme: "http", authority: batch.head.authority, path: path, headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: part.body ?? [])))
        guard path.hasPrefix("/Commerce/") || path == "/Commerce" else {
            return await answer(for: ODataError.badRequest("batch request \(part.label) addresses \(path), outside the service"))
        }
        if path.hasPrefix("/Commerce/$batch") { return await answer(for: ODataError.badRequest("a batch cannot contain another batch")) }
        do {
            return await Self.read(try await api.dispatch(request, context))
        } catch {
            return await answer(for: error)
        }
    }

    private func failedDependency(_ name: String, referenced: Bool = false) async -> BatchAnswer {
        await answer(for: ODataError(
            HTTPResponse.Status(code: 424, reasonPhrase: "Failed Dependency"), code: "FailedDependency",
            "request '\(name)', which this one \(referenced ? "refers to" : "depends on"), failed"
        ))
    }

    /// The answer for an error, as a top-level request would get it.
    func answer(for error: any Error) async -> BatchAnswer {
        let odataError: ODataError = switch error {
        case let error as ODataError: error
        case let error as CommerceError: ODataError(error)
        case is CancellationError: ODataError.requestTimedOut(api.options.requestTimeout ?? .zero)
        default: ODataError(.internalServerError, code: "InternalError", "the request failed on the server; nothing was changed")
        }
        guard let response = try? odataError.response(from: batch, context: context) else {
            return BatchAnswer(status: .internalServerError, headers: [:], body: [])
        }
        return await Self.read(response)
    }

    static func read(_ response: Response) async -> BatchAnswer {
        let collector = BodyCollector()
        do {
            try await response.body.write(collector)
        } catch {
            return BatchAnswer(status: .internalServerError, headers: [:], body: [])
        }
        return BatchAnswer(status: response.status, headers: response.headers, body: collector.bytes)
    }
}

/// Collects a response body written through Hummingbird's writer interface.
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    private(set) var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
