import Foundation
import Testing

/// A real, generic OData v4 client (python-odata from PyPI, unmodified) reads `$metadata`,
/// queries with filters and ordering, follows paging and calls a function import.
@Suite("Generic OData client", .serialized)
struct ODataClientEndToEndTests {
    @Test("python-odata works against the host unmodified")
    func pythonODataClient() async throws {
        let host = try HostProcess(["serve", "--demo", "--port", "0", "--data-dir", try temporaryDirectory()], environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "25"])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Python/odata_client.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, host.url("/Commerce/").absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
        #expect(host.stop() == 0)
    }
}
