import Foundation
import Testing

/// A real, generic OData v4 client (python-odata from PyPI, unmodified) reads `$metadata`,
/// queries with filters and ordering, follows paging, calls a function import and, signed in
/// as a customer, reads its cart by key (a filtered listing of carts).
@Suite("Generic OData client", .serialized)
struct ODataClientEndToEndTests {
    @Test("python-odata works against the host unmodified")
    func pythonODataClient() async throws {
        let dataDir = try temporaryDirectory()
        let host = try await HostProcess(["serve", "--demo", "--port", "0", "--data-dir", dataDir], environment: ["COMMERCE_HTTP_MAX_PAGE_SIZE": "25"])
        let token = try await HostProcess.run(["token", "customer", "--subject", "python-odata", "--data-dir", dataDir])
        #expect(token.status == 0, "\(token.stderr)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Python/odata_client.py")
        let client = try await runToCompletion(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", script.path, host.url("/Commerce/").absoluteString, token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)]
        )
        let text = client.stdout + client.stderr
        #expect(client.status == 0, "\(text)")
        #expect(text.contains("all checks passed"), "\(text)")
        #expect(await host.stop() == 0)
    }
}
