import Hummingbird

// The bare server the engine is measured against: the same Hummingbird, one static route,
// no database. Usage: HelloBench <port>
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8081
let router = Router()
router.get("/hello") { _, _ in "Hello, world!" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
