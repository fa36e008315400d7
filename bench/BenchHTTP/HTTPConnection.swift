// What the HTTP load clients (CheckoutBench, SearchBench) share.
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct BenchFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One keep-alive HTTP/1.1 connection on a blocking socket, for one client thread. The load
/// client shares the two cores with the server, so it must cost little per request: URLSession
/// (libcurl underneath) took more CPU per checkout than the server itself.
public final class HTTPConnection {
    private let descriptor: Int32
    private let host: String
    private var buffer: [UInt8] = []

    /// Connects to `base`'s port on 127.0.0.1 (the benchmarks run the server on this machine).
    public convenience init(_ base: URL) throws {
        guard let port = base.port.flatMap(UInt16.init(exactly:)) else { throw BenchFailure("\(base) names no port") }
        try self.init(port: port, host: "\(base.host ?? "127.0.0.1"):\(port)")
    }

    /// `host` is the Host header's value.
    public init(port: UInt16, host: String) throws {
        self.host = host
        descriptor = try connectLoopback(port: port)
    }

    deinit { close(descriptor) }

    /// Sends a request and returns the status code and the body.
    public func send(_ method: String, _ path: String, _ body: String, headers: String = "") throws -> (status: Int, body: [UInt8]) {
        try writeAll(descriptor, httpRequest(method, path, host: host, body: body, headers: headers))
        // Headers, then Content-Length bytes of body (the engine does not chunk these answers).
        var headerEnd: Int?
        while headerEnd == nil {
            if let end = find([13, 10, 13, 10], in: buffer) { headerEnd = end; break }
            try fill()
        }
        guard let end = headerEnd else { throw BenchFailure("no header end") }
        let status = responseStatus(buffer[..<end])
        let total = end + 4 + contentLength(buffer[..<end])
        while buffer.count < total { try fill() }
        let responseBody = Array(buffer[(end + 4)..<total])
        buffer.removeFirst(total)
        return (status, responseBody)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { throw BenchFailure("connection closed: \(errno)") }
        buffer += chunk[..<count]
    }
}

/// A connected TCP socket to 127.0.0.1:`port`, with Nagle's delay off (each request is one
/// write, and the next waits for its answer).
func connectLoopback(port: UInt16) throws -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw BenchFailure("socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(descriptor)
        throw BenchFailure("connect() failed: \(errno)")
    }
    var one: Int32 = 1
    setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    return descriptor
}

/// Runs `clients` threads for `seconds`, each calling `step` over and over on its own
/// connection (opened again after a failure, which goes to `failed`); answers the seconds the
/// run took. Threads with blocking calls keep the client's own scheduling cost to a minimum.
public func runClients(
    _ base: URL, clients: Int, seconds: Double, failed: @escaping @Sendable (any Error) -> Void,
    _ step: @escaping @Sendable (_ client: Int, _ iteration: Int, HTTPConnection) throws -> Void
) -> Double {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    let started = ContinuousClock.now
    let finished = DispatchGroup()
    for client in 0..<clients {
        finished.enter()
        Thread.detachNewThread {
            defer { finished.leave() }
            var connection: HTTPConnection?
            var iteration = 0
            while ContinuousClock.now < deadline {
                do {
                    let open = try connection ?? HTTPConnection(base)
                    connection = open
                    try step(client, iteration, open)
                } catch {
                    failed(error)
                    connection = nil
                }
                iteration += 1
            }
        }
    }
    finished.wait()
    return inSeconds(ContinuousClock.now - started)
}

/// `duration` in seconds, as a `Double` for rates and percentiles.
public func inSeconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A request with a JSON body, complete: request line, headers (`headers` ends each of its
/// lines with CRLF), body.
public func httpRequest(_ method: String, _ path: String, host: String, body: String, headers: String = "") -> [UInt8] {
    let bodyBytes = body.utf8
    var request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: \(bodyBytes.count)\r\n\(headers)\r\n".utf8)
    request += bodyBytes
    return request
}

/// Writes all of `bytes`, waiting for room when a non-blocking socket's buffer is full (a
/// request is far smaller than a socket's send buffer, so that wait is for completeness).
func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
        let written = bytes[sent...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written > 0 {
            sent += written
        } else if written < 0 && errno == EAGAIN {
            var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&ready, 1, 1000)
        } else {
            throw BenchFailure("write() failed: \(errno)")
        }
    }
}

/// The three digits after "HTTP/1.1 " in an answer's head.
func responseStatus(_ head: ArraySlice<UInt8>) -> Int {
    guard head.count >= 12 else { return 0 }
    return head[(head.startIndex + 9)...(head.startIndex + 11)].reduce(0) { $0 * 10 + Int($1) - 48 }
}

/// The Content-Length of an answer's head, 0 without one.
func contentLength(_ head: ArraySlice<UInt8>) -> Int {
    let name = Array("content-length:".utf8)
    var lineStart = head.startIndex
    while lineStart < head.endIndex {
        let lineEnd = head[lineStart...].firstIndex(of: 13) ?? head.endIndex
        let line = head[lineStart..<lineEnd]
        if line.count > name.count, zip(line, name).allSatisfy({ ($0 | 0x20) == $1 }) {
            return line.dropFirst(name.count).reduce(0) { $1 >= 48 && $1 <= 57 ? $0 * 10 + Int($1) - 48 : $0 }
        }
        lineStart = lineEnd + 2
    }
    return 0
}

/// Where `needle` first starts in `haystack` (an index of `haystack`). The load clients look for
/// header ends and JSON members in every answer, so this scans with memchr and memcmp.
public func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
    guard let first = needle.first, haystack.count >= needle.count else { return nil }
    return haystack.withUnsafeBytes { hay in
        needle.withUnsafeBytes { pattern -> Int? in
            guard let base = hay.baseAddress, let patternBase = pattern.baseAddress else { return nil }
            var offset = 0
            let last = hay.count - pattern.count
            while offset <= last {
                guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
                let position = UnsafeRawPointer(hit) - base
                if memcmp(base + position, patternBase, pattern.count) == 0 { return haystack.startIndex + position }
                offset = position + 1
            }
            return nil
        }
    }
}

public func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? { find(needle, in: haystack[...]) }

/// The value below which `p` of the sorted `values` lie.
public func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
