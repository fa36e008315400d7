import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `commerce` binary, started as a child process.
final class HostProcess: @unchecked Sendable {
    let process = Process()
    let baseURL: URL
    private let output: Pipe
    private let errors: Pipe
    private let logged = LogBuffer()

    /// What the host wrote to stderr, filled by the pipe's reader thread.
    private final class LogBuffer: Sendable {
        struct State {
            var bytes = Data()
            var finished = false
        }

        let state = Mutex(State())
    }

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["COMMERCE_BINARY"] { return URL(fileURLWithPath: path) }
        // Next to the test bundle in SwiftPM's build folder.
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("commerce")
    }

    /// Starts `commerce <arguments>` and waits for its "listening" line.
    init(_ arguments: [String], environment: [String: String] = [:]) async throws {
        process.executableURL = Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COMMERCE_") || $0.key == "COMMERCE_BINARY" }
        env.merge(environment) { $1 }
        process.environment = env
        let output = Pipe()
        let errors = Pipe()
        self.output = output
        self.errors = errors
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let process = self.process
        // Generous: a host seeding the demo into PostgreSQL while a dozen other end-to-end tests
        // do the same on two cores can take a minute; a hung host still fails the test.
        let line = try await onOwnThread {
            var line = Data()
            let deadline = Date().addingTimeInterval(180)
            while !String(decoding: line, as: UTF8.self).contains("\n") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty {
                    process.waitUntilExit()
                    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    throw HostError("the host exited with \(process.terminationStatus) before listening: \(stderr)")
                }
                line.append(chunk)
                if Date() > deadline { process.terminate(); throw HostError("the host did not start listening within 180 s") }
            }
            return line
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "http://"), let url = URL(string: String(text[range.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HostError("unexpected first line: \(text)")
        }
        baseURL = url
        // From here on stderr is drained into `logged`, so a chatty host never blocks on a full pipe
        // and tests can read what it logged. A blocking read on a thread of its own, not a
        // `readabilityHandler`: tearing those down races inside libdispatch on Linux and crashed
        // the test process (swift-corelibs-libdispatch issue 949).
        let reader = errors.fileHandleForReading
        Thread { [logged] in
            while true {
                let chunk = reader.availableData
                let done = logged.state.withLock { state in
                    if chunk.isEmpty { state.finished = true } else { state.bytes.append(chunk) }
                    return chunk.isEmpty
                }
                if done { return }
            }
        }.start()
    }

    /// Sends SIGTERM and answers the exit status.
    func stop() async -> Int32 {
        let process = self.process
        if process.isRunning { process.terminate() }
        // A graceful stop drains requests first: wait on a thread of its own (see `onOwnThread`).
        return await onOwnThread {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Stops the host and answers its exit status and everything it wrote to stderr.
    func stopAndReadLog() async -> (status: Int32, log: String) {
        let status = await stop()
        // The reader sees end-of-file shortly after the process exits; 5 s is far more than it needs.
        var waited = 0
        while !logged.state.withLock({ $0.finished }), waited < 100 {
            try? await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        return (status, logged.state.withLock { String(decoding: $0.bytes, as: UTF8.self) })
    }

    deinit { if process.isRunning { process.terminate() } }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await send("GET", path, headers: headers)
    }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> HTTPResult {
        try await HTTPResult.send(method, url(path), headers: headers, body: body)
    }

    func url(_ path: String) -> URL {
        URL(string: baseURL.absoluteString + path) ?? baseURL
    }

    /// Runs `commerce <arguments>` to completion: exit status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COMMERCE_") }
        env.merge(environment) { $1 }
        let result = try await runToCompletion(binary, arguments, environment: env)
        return (result.status, result.stdout, result.stderr)
    }
}

struct HTTPResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    static func send(_ method: String, _ url: URL, headers: [String: String], body: String?) async throws -> HTTPResult {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body.utf8) }
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error); return }
                guard let http = response as? HTTPURLResponse else { continuation.resume(throwing: HostError("no HTTP response")); return }
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
                continuation.resume(returning: HTTPResult(status: http.statusCode, headers: fields, body: data ?? Data()))
            }.resume()
        }
    }
}

struct HostError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func temporaryDirectory() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.path
}

/// A plain TCP connection to the host, for what URLSession cannot do: send half a request.
final class RawConnection {
    private let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HostError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(socket); throw HostError("connect() failed") }
    }

    deinit { close(socket) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(socket, bytes, bytes.count, 0) == bytes.count else { throw HostError("send() failed") }
    }

    /// Reads until the host closes the connection; false when it is still open after `timeout`.
    func readUntilClosed(timeout: Duration) async -> Bool {
        await read(timeout: timeout).closed
    }

    /// Everything the host sends until it closes the connection or `timeout` passes.
    func readAll(timeout: Duration) async -> String {
        String(decoding: await read(timeout: timeout).bytes, as: UTF8.self)
    }

    private func read(timeout: Duration) async -> (bytes: [UInt8], closed: Bool) {
        let socket = self.socket
        return await onOwnThread { Self.read(socket, timeout: timeout) }
    }

    private static func read(_ socket: Int32, timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { return (received, true) }
            received.append(contentsOf: buffer[0..<count])
        }
        return (received, false)
    }
}

/// Runs `work`, which blocks (waiting on a child process, a pipe or a socket), on a thread of
/// its own and resumes the caller when it is done.
///
/// Why: the whole suite shares Swift's cooperative pool, one thread per core. A test that
/// blocks one of those threads for seconds (a host seeding its demo data, the sample
/// extensions compiling) holds back every other test queued there; with all of them blocked,
/// in-process tests would see PostgreSQL connects and request deadlines time out without cause.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// Runs a program to completion (off the cooperative pool): exit status, stdout and stderr.
func runToCompletion(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await onOwnThread {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // stderr is drained by a second thread: a child that fills one pipe while this thread
        // waits for the end of the other would never finish (compiler warnings can be long).
        let err = ReadToEnd(errors.fileHandleForReading)
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err.wait(), as: UTF8.self))
    }
}

/// Reads a file handle to its end on a thread of its own.
private final class ReadToEnd: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    /// Everything read; the semaphore orders the reader's write before this read.
    func wait() -> Data {
        done.wait()
        return data
    }
}
