import CSQLite
import Hummingbird
import Synchronization

// The bare servers the engine is measured against, on the same Hummingbird:
// - `GET /hello`: one static route, no database;
// - `GET /point/<id>`: one SQLite point read of a product row, answered as a little JSON; the
//   floor for a read by key ("a bare route doing one SQLite point read"), when a database is
//   given. It opens the file read-only; the engine keeps writing it in WAL mode meanwhile.
// Usage: HelloBench <port> [SQLite file]
let arguments = CommandLine.arguments.dropFirst()
let port = arguments.first.flatMap(Int.init) ?? 8081
let router = Router()
router.get("/hello") { _, _ in "Hello, world!" }
if let path = arguments.dropFirst().first {
    let reader = PointReader(path: path)
    router.get("/point/{id}") { _, context -> Response in
        guard let id = context.parameters.get("id", as: Int64.self) else { return Response(status: .badRequest) }
        guard let json = reader.product(id) else { return Response(status: .notFound) }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json))
        )
    }
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()

/// Read-only connections with the statement prepared, one per concurrent request, opened on
/// first need (the file may not exist yet when the server starts).
final class PointReader: Sendable {
    private let path: String
    private let idle = Mutex<[Connection]>([])

    init(path: String) { self.path = path }

    func product(_ id: Int64) -> String? {
        guard let connection = idle.withLock({ $0.popLast() }) ?? Connection(path: path) else { return nil }
        defer { idle.withLock { $0.append(connection) } }
        return connection.product(id)
    }

    final class Connection: @unchecked Sendable {
        let handle: OpaquePointer
        let statement: OpaquePointer

        init?(path: String) {
            var handle: OpaquePointer?
            guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else { return nil }
            var statement: OpaquePointer?
            let sql = "SELECT record_id, item_id, name, base_price FROM products WHERE record_id = ?"
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                sqlite3_close_v2(handle)
                return nil
            }
            self.handle = handle
            self.statement = statement
        }

        func product(_ id: Int64) -> String? {
            defer { sqlite3_reset(statement) }
            sqlite3_bind_int64(statement, 1, id)
            guard sqlite3_step(statement) == SQLITE_ROW else { return nil }
            let itemId = sqlite3_column_text(statement, 1).map { String(cString: $0) } ?? ""
            let name = sqlite3_column_text(statement, 2).map { String(cString: $0) } ?? ""
            // Amounts are stored in millionths (the engine's fixed point).
            let millionths = sqlite3_column_int64(statement, 3)
            let fraction = String(millionths % 1_000_000)
            let price = "\(millionths / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
            return #"{"RecordId":\#(sqlite3_column_int64(statement, 0)),"ItemId":"\#(itemId)","Name":"\#(name)","BasePrice":\#(price)}"#
        }
    }
}
