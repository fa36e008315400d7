import ChannelDatabase
import CommerceRuntime
import ConsumerAPI
import Foundation
import ExtensionHost
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Builds and runs one host process: channel database, Commerce Runtime, consumer API.
struct Host {
    static let version = "0.1.0"

    let configuration: HostConfiguration
    let logger: Logger

    /// Loads the configured extensions into the built-in registry and model.
    func loadExtensions() throws -> (ExtensionHost, HandlerRegistry, EntityModel) {
        var registry = HandlerRegistry.builtIn()
        var model = EntityModel.retailServer()
        let settings = configuration.extensions.map {
            ExtensionConfiguration(
                path: $0.path, enabled: $0.enabled, stopOnRefusal: $0.stopOnRefusal, configJSON: $0.configJSON,
                expectedName: $0.nameIsConfigured ? $0.name : nil
            )
        }
        let host = try ExtensionHost.load(settings, registry: &registry, model: &model, logger: logger)
        return (host, registry, model)
    }

    /// Opens the channel database and brings its core schema, then each extension's, up to date.
    func openDatabase(extensionMigrations: [MigrationSet] = []) async throws -> any ChannelDatabase {
        let location = try DatabaseLocation(parsing: configuration.databaseLocation)
        if case .sqlite(let path) = location {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        let database = try await ChannelDatabaseFactory.open(location, logger: logger)
        do {
            try await Migrator.migrate(database, sets: [CoreSchema.migrations] + extensionMigrations, logger: logger)
        } catch {
            await database.close()
            throw error
        }
        return database
    }

    /// Seeds the demo data when the database holds no channel yet; answers whether it did.
    static func seedDemoIfEmpty(_ database: any ChannelDatabase, standaloneProducts: Int = DemoData.standaloneProducts, logger: Logger) async throws -> Bool {
        let seeded = try await database.withTransaction(.write) { transaction in
            guard try await DemoData.isEmpty(transaction) else { return false }
            try await DemoData.seed(transaction, standaloneProducts: standaloneProducts)
            return true
        }
        if seeded {
            let products = DemoData.productCount - DemoData.standaloneProducts + standaloneProducts
            logger.info("seeded demo data", metadata: ["products": "\(products)", "channel": "\(DemoData.onlineStoreNumber)"])
        }
        return seeded
    }

    /// Deletes idle carts once a minute, in small batches so no purge holds the writer long.
    static func purgeExpiredCarts(_ runtime: CommerceRuntime, logger: Logger) async {
        guard runtime.settings.cartIdleSeconds != nil else { return }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(60))
                guard let channel = runtime.channelRecords.first else { continue }
                var purged = 0
                while !Task.isCancelled {
                    let batch = try await runtime.execute(PurgeExpiredCartsRequest(limit: 200), channel: channel, caller: .application(id: "commerce"))
                    purged += batch
                    if batch < 200 { break }
                }
                if purged > 0 { logger.info("purged expired carts", metadata: ["carts": "\(purged)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("purging expired carts failed; retrying in a minute", metadata: ["error": "\(error)"])
            }
        }
    }

    func serve(demo: Bool, demoProducts: Int = DemoData.standaloneProducts) async throws {
        // Extensions first: a refused one stops the host before it touches the database.
        let (extensions, registry, model) = try loadExtensions()
        try configuration.checkApplicationScopes(known: model.applicationScopes)
        let database = try await openDatabase(extensionMigrations: extensions.migrationSets)
        do {
            if demo { _ = try await Self.seedDemoIfEmpty(database, standaloneProducts: demoProducts, logger: logger) }
            let runtime = CommerceRuntime(
                database: database, registry: registry, defaultChannel: configuration.defaultChannel ?? (demo ? DemoData.onlineStoreNumber : nil),
                settings: configuration.commerceSettings, logger: logger
            )
            try await runtime.reloadChannels()
            if runtime.channelRecords.isEmpty {
                logger.warning("the channel database holds no channel: API calls answer 503 until master data is loaded (or start with --demo)")
            }
            var issuers = configuration.issuers
            if demo || configuration.devIssuer {
                issuers.append(try DevIssuer.load(dataDirectory: configuration.dataDirectory).tokenIssuer())
                logger.notice("trusting the development token issuer (commerce token): not for a host that serves real customers")
            }
            let authentication = AuthenticationSettings(
                applicationKeys: configuration.applicationKeys.map { .init(applicationId: $0.id, sha256: $0.sha256, scopes: $0.scopes) },
                issuers: issuers
            )
            let api = CommerceAPI(
                runtime: runtime,
                model: model,
                options: APIOptions(
                    maxPageSize: configuration.maxPageSize, authentication: authentication,
                    rateLimit: configuration.rateLimitPerSecond == 0
                        ? nil : RateLimit(requestsPerSecond: Double(configuration.rateLimitPerSecond), burst: configuration.rateLimitBurst),
                    requestTimeout: configuration.requestTimeoutSeconds == 0 ? nil : .seconds(configuration.requestTimeoutSeconds),
                    catalogCache: configuration.catalogCacheMilliseconds == 0
                        ? nil
                        : CatalogCacheOptions(
                            maxAge: .milliseconds(configuration.catalogCacheMilliseconds), maxBytes: configuration.catalogCacheMegabytes << 20
                        )
                ),
                logger: logger
            )
            let backend = database.dialect.rawValue
            let app = Application(
                responder: api.responder(
                    health: { [("version", Self.version), ("database", backend)] },
                    healthDetail: [("extensions", ExtensionReport.json(extensions))]
                ),
                // The idle timeout also closes a connection whose request head does not arrive
                // in time (a slow-loris client): only complete request parts count as activity.
                server: .http1(
                    configuration: .init(idleTimeout: configuration.idleTimeoutSeconds == 0 ? nil : .seconds(Int64(configuration.idleTimeoutSeconds)))
                ),
                configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "commerce/\(Self.version)"),
                onServerRunning: { channel in
                    // One machine-readable line on stdout, so scripts and tests learn the bound port.
                    if let port = channel.localAddress?.port {
                        FileHandle.standardOutput.write(Data("commerce listening on http://\(configuration.hostname):\(port)\n".utf8))
                    }
                },
                logger: logger
            )
            let purge = Task { await Self.purgeExpiredCarts(runtime, logger: logger) }
            defer { purge.cancel() }
            // runService installs SIGTERM/SIGINT handlers and shuts down gracefully: in-flight
            // requests finish, then the database closes.
            try await app.runService()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
