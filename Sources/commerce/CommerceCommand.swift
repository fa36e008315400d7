import ArgumentParser
import ChannelDatabase
import ConsumerAPI
import ExtensionHost
import Foundation
import Logging

@main
struct CommerceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commerce",
        abstract: "A headless commerce engine: OData consumer API, Commerce Runtime, channel database.",
        subcommands: [Serve.self, Demo.self, Migrate.self, Version.self, APIKey.self, Token.self, Extensions.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that opens the channel database shares.
struct HostOptions: ParsableArguments {
    @Option(name: .long, help: "A JSON configuration file (also COMMERCE_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Directory for the SQLite channel database (default ./data).")
    var dataDir: String?

    @Option(name: .long, help: "A SQLite file path or a postgres:// URL (default <data-dir>/channel.sqlite).")
    var database: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func load(extraFlags: [String: String] = [:]) throws -> HostConfiguration {
        var flags = extraFlags
        if let dataDir { flags["dataDirectory"] = dataDir }
        if let database { flags["database.url"] = database }
        if let logLevel { flags["log.level"] = logLevel }
        let environment = ProcessInfo.processInfo.environment
        return try HostConfiguration.load(file: config ?? environment["COMMERCE_CONFIG"], environment: environment, flags: flags)
    }
}

/// Turns start-up failures into one clear line on stderr and a non-zero exit code.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ConfigurationError {
        FileHandle.standardError.write(Data("commerce: \(error)\n".utf8))
        throw ExitCode(2)
    } catch let error as ExtensionRefusal {
        FileHandle.standardError.write(Data("commerce: \(error)\n".utf8))
        throw ExitCode(3)
    } catch let error as DatabaseError {
        FileHandle.standardError.write(Data("commerce: database error: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

func makeLogger(_ level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level) }
    var logger = Logger(label: "commerce")
    logger.logLevel = level
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the host: migrate the channel database and serve the consumer API.")

    @OptionGroup var options: HostOptions

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var hostname: String?

    @Option(name: .long, help: "Port to listen on (default 8080; 0 picks a free port).")
    var port: String?

    @Flag(name: .long, help: "Seed the demo channel and catalog when the database is empty.")
    var demo = false

    @Option(name: .long, help: "With --demo: how many standalone products to seed (default 1000; benchmarks use 100000).")
    var demoProducts: Int?

    func validate() throws {
        if let demoProducts, !(1...1_000_000).contains(demoProducts) {
            throw ValidationError("--demo-products must be between 1 and 1000000")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            var flags: [String: String] = [:]
            if let hostname { flags["http.hostname"] = hostname }
            if let port { flags["http.port"] = port }
            let configuration = try options.load(extraFlags: flags)
            let logger = makeLogger(configuration.logLevel)
            try await Host(configuration: configuration, logger: logger).serve(demo: demo, demoProducts: demoProducts ?? DemoData.standaloneProducts)
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Same as `serve --demo`.")

    @OptionGroup var options: HostOptions

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var hostname: String?

    @Option(name: .long, help: "Port to listen on (default 8080; 0 picks a free port).")
    var port: String?

    @Option(name: .long, help: "How many standalone products to seed (default 1000).")
    var demoProducts: Int?

    func run() async throws {
        var serve = Serve()
        serve.options = options
        serve.hostname = hostname
        serve.port = port
        serve.demo = true
        serve.demoProducts = demoProducts
        try serve.validate()
        try await serve.run()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the channel database's schema up to date, then exit.")

    @OptionGroup var options: HostOptions

    func run() async throws {
        try await runReportingErrors {
            let configuration = try options.load()
            let logger = makeLogger(configuration.logLevel)
            let location = try DatabaseLocation(parsing: configuration.databaseLocation)
            let host = Host(configuration: configuration, logger: logger)
            let (extensions, _, _) = try host.loadExtensions()
            let database = try await host.openDatabase(extensionMigrations: extensions.migrationSets)
            let version = try await Migrator.version(of: CoreSchema.namespace, in: database)
            var extensionVersions: [String] = []
            for set in extensions.migrationSets {
                extensionVersions.append("\(set.namespace) at version \(try await Migrator.version(of: set.namespace, in: database))")
            }
            await database.close()
            print("core schema at version \(version) (\(location.summary))")
            for line in extensionVersions { print(line) }
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version of the host and its schema.")

    func run() {
        print("commerce \(Host.version) (core schema \(CoreSchema.migrations.latestVersion))")
    }
}

extension DatabaseLocation {
    var summary: String {
        switch self {
        case .sqlite(let path): "SQLite \(path)"
        case .postgres(let configuration): "PostgreSQL \(configuration)"
        }
    }
}

struct APIKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key",
        abstract: "Make a new API key for an application and print it with the configuration entry that accepts it."
    )

    @Argument(help: "The application's id, e.g. erp-sync.")
    var applicationId: String

    @Option(name: .long, help: "A scope the application is granted, e.g. orders (repeatable; see README, Scopes).")
    var scope: [String] = []

    func validate() throws {
        if let bad = scope.first(where: { !ApplicationScope.isValid($0) }) {
            throw ValidationError("'\(bad)' is not a scope name (printable ASCII without spaces or quotes)")
        }
    }

    func run() throws {
        var random = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        let digest = AuthenticationSettings.digest(ofKey: key).map { String(format: "%02x", $0) }.joined()
        print("API key for \(applicationId) (shown once; send it as `Authorization: ApiKey <key>`):")
        print(key)
        print("")
        print("Add to the configuration file under auth.applications:")
        let scopes = scope.isEmpty ? "" : #", "scopes": ["# + scope.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        print(#"{ "id": "\#(applicationId)", "keySha256": "\#(digest)"\#(scopes) }"#)
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a token of the local development issuer, which `serve --demo` trusts, and print it.",
        discussion: """
            The issuer's ES256 key is made in the data directory on first use (dev-issuer-key.pem). \
            Send the token as `Authorization: Bearer <token>`. Customers get an account on first use; \
            employees act only for the stores given with --store.
            """
    )

    @Argument(help: "The role: customer, application or employee.")
    var role: String

    @Option(name: .long, help: "The subject (sub): a customer's or employee's id at the issuer, or the application's client id.")
    var subject: String

    @Option(name: .long, help: "For employees: an operating unit number they may act for (repeatable).")
    var store: [String] = []

    @Option(name: .long, help: "The name a new customer account gets.")
    var name: String?

    @Option(name: .long, help: "The e-mail address a new customer account gets.")
    var email: String?

    @Option(name: .long, help: "For applications: a scope the token grants, e.g. orders (repeatable).")
    var scope: [String] = []

    @Option(name: .long, help: "Minutes until the token expires.")
    var minutes = 60

    /// The same data directory as `serve`, where the issuer's key lives.
    @OptionGroup var options: HostOptions

    func validate() throws {
        guard TokenIssuer.Role.allCases.contains(where: { $0.rawValue.lowercased() == role.lowercased() }) else {
            throw ValidationError("the role must be customer, application or employee")
        }
        guard !subject.isEmpty, subject.utf8.count <= 255 else { throw ValidationError("--subject must be 1 to 255 bytes") }
        guard (1...7 * 24 * 60).contains(minutes) else { throw ValidationError("--minutes must be between 1 and 10080") }
        if role.lowercased() == "employee", store.isEmpty { throw ValidationError("an employee token needs at least one --store") }
        if !scope.isEmpty, role.lowercased() != "application" { throw ValidationError("--scope is for application tokens only") }
        if let bad = scope.first(where: { !ApplicationScope.isValid($0) }) {
            throw ValidationError("'\(bad)' is not a scope name (printable ASCII without spaces or quotes)")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let configuration = try options.load()
            guard let tokenRole = TokenIssuer.Role.allCases.first(where: { $0.rawValue.lowercased() == role.lowercased() }) else { return }
            let issuer = try DevIssuer.load(dataDirectory: configuration.dataDirectory)
            let token = try await issuer.sign(
                role: tokenRole, subject: subject, stores: store, scopes: scope, name: name, email: email, lifetime: minutes * 60
            )
            print(token)
        }
    }
}
