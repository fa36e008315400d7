// Many keep-alive connections driven by a few threads with epoll, for load clients whose
// requests depend on the answer before (CheckoutBench). One blocking thread per connection
// costs a thread switch on each side of every request; on a two-core machine that shares its
// cores with the server, those switches were a fifth of the CPU the whole benchmark used.
import Foundation

#if canImport(Glibc)
import CBenchPoll
import Glibc

/// One client's conversation: it names each request and takes each answer. A session runs on
/// one thread only, so it may keep its state in plain stored properties.
public protocol LoadSession: SendableMetatype {
    /// The next request, complete (request line, headers, body).
    mutating func nextRequest() -> [UInt8]
    /// The answer to the request `nextRequest()` returned last, `elapsed` after it was sent.
    /// Throwing counts a failure; the session is then asked for its next request as usual, so
    /// it should start its flow over.
    mutating func received(status: Int, body: ArraySlice<UInt8>, elapsed: Duration) throws
}

/// Runs `sessions` sessions on `threads` threads for `seconds`, each on its own connection to
/// 127.0.0.1:`port`; each thread polls its connections with epoll. A request in flight when the
/// time is up is answered and then the connection is closed. `made(i)` builds session `i` on the
/// thread that runs it; `finished` gets each thread's sessions at the end (to collect what they
/// recorded). Answers the seconds the run took.
public func runMultiplexed<Session: LoadSession>(
    port: UInt16, sessions: Int, threads: Int, seconds: Double,
    failed: @escaping @Sendable (any Error) -> Void,
    made: @escaping @Sendable (Int) -> Session,
    finished: @escaping @Sendable ([Session]) -> Void
) -> Double {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    let started = ContinuousClock.now
    let group = DispatchGroup()
    let threadCount = max(1, min(threads, sessions))
    for thread in 0..<threadCount {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            let indices = Array(stride(from: thread, to: sessions, by: threadCount))
            do {
                var loop = try PollLoop<Session>(port: port, sessions: indices.map(made))
                loop.run(until: deadline, failed: failed)
                finished(loop.sessions)
            } catch {
                failed(error)
            }
        }
    }
    group.wait()
    return inSeconds(ContinuousClock.now - started)
}

/// One thread's connections and sessions, index for index.
private struct PollLoop<Session: LoadSession> {
    var sessions: [Session]
    private var connections: [PolledConnection]
    private let poll: Int32
    private let port: UInt16

    init(port: UInt16, sessions: [Session]) throws {
        self.port = port
        self.sessions = sessions
        poll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard poll >= 0 else { throw BenchFailure("epoll_create1() failed: \(errno)") }
        connections = []
        for index in sessions.indices {
            connections.append(try PolledConnection(port: port))
            try watch(index)
        }
    }

    private func watch(_ index: Int) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = UInt64(index)
        guard epoll_ctl(poll, EPOLL_CTL_ADD, connections[index].descriptor, &event) == 0 else {
            throw BenchFailure("epoll_ctl() failed: \(errno)")
        }
    }

    mutating func run(until deadline: ContinuousClock.Instant, failed: (any Error) -> Void) {
        defer { close(poll) }
        var open = 0
        for index in sessions.indices {
            do {
                try send(index)
                open += 1
            } catch {
                failed(error)
            }
        }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while open > 0 {
            let ready = events.withUnsafeMutableBufferPointer { epoll_wait(poll, $0.baseAddress, Int32($0.count), 1000) }
            if ready < 0 {
                if errno == EINTR { continue }
                failed(BenchFailure("epoll_wait() failed: \(errno)"))
                return
            }
            for event in events[0..<Int(ready)] {
                let index = Int(event.data.u64)
                do {
                    guard let (status, body, elapsed) = try connections[index].receive() else { continue }
                    do {
                        try sessions[index].received(status: status, body: body, elapsed: elapsed)
                    } catch {
                        failed(error)
                    }
                    connections[index].consumeAnswer()
                    if ContinuousClock.now < deadline {
                        try send(index)
                    } else {
                        connections[index].close()
                        open -= 1
                    }
                } catch {
                    // A broken connection: report it, open a new one and send the session's
                    // pending request again on it.
                    failed(error)
                    connections[index].close()
                    do {
                        connections[index] = try PolledConnection(port: port)
                        try watch(index)
                        if ContinuousClock.now < deadline { try send(index) } else { open -= 1 }
                    } catch {
                        failed(error)
                        open -= 1
                    }
                }
            }
        }
    }

    private mutating func send(_ index: Int) throws {
        try connections[index].send(sessions[index].nextRequest())
    }
}

/// A non-blocking keep-alive connection with one request in flight at a time.
private struct PolledConnection {
    let descriptor: Int32
    /// Read buffer, allocated once: `filled` bytes of it hold what has arrived.
    private var storage = [UInt8](repeating: 0, count: 65_536)
    private var filled = 0
    private var sentAt = ContinuousClock.now
    /// Where the current answer's body starts and ends in `storage`, once its head is complete.
    private var bodyRange: Range<Int>?

    init(port: UInt16) throws {
        descriptor = try connectLoopback(port: port)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    func close() { Glibc.close(descriptor) }

    mutating func send(_ request: [UInt8]) throws {
        sentAt = ContinuousClock.now
        try writeAll(descriptor, request)
    }

    /// Reads once (epoll is level-triggered: what is left wakes the loop again); answers the
    /// status, body and latency once the answer is complete, nil while it is not. The engine
    /// answers with Content-Length, never chunked.
    mutating func receive() throws -> (Int, ArraySlice<UInt8>, Duration)? {
        if filled == storage.count { storage.append(contentsOf: repeatElement(0, count: storage.count)) }
        let (descriptor, start) = (self.descriptor, filled)
        let count = storage.withUnsafeMutableBytes { bytes in
            read(descriptor, bytes.baseAddress.map { $0 + start }, bytes.count - start)
        }
        if count == 0 { throw BenchFailure("connection closed by the server") }
        if count < 0 {
            if errno == EAGAIN { return nil }
            throw BenchFailure("read() failed: \(errno)")
        }
        filled += count
        if bodyRange == nil, let headEnd = find([13, 10, 13, 10], in: storage[..<filled]) {
            let length = contentLength(storage[..<headEnd])
            bodyRange = (headEnd + 4)..<(headEnd + 4 + length)
        }
        guard let range = bodyRange, filled >= range.upperBound else { return nil }
        return (responseStatus(storage[..<filled]), storage[range], ContinuousClock.now - sentAt)
    }

    /// Drops the answer `receive()` returned; a keep-alive server sends nothing unasked, so
    /// nothing normally follows it.
    mutating func consumeAnswer() {
        guard let range = bodyRange else { return }
        let rest = filled - range.upperBound
        if rest > 0 {
            storage.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                memmove(base, base + range.upperBound, rest)
            }
        }
        filled = max(rest, 0)
        bodyRange = nil
    }
}
#endif
