public import ChannelDatabase
public import CommerceRuntime
public import ConsumerAPI
public import Logging
import CCommerceSDK
import Foundation
import Synchronization

/// One extension the configuration asks for.
public struct ExtensionConfiguration: Sendable {
    public var path: String
    public var enabled: Bool
    /// Whether a refusal stops the host (the default) or only skips this extension.
    public var stopOnRefusal: Bool
    /// The extension's own configuration block, handed to its init as JSON.
    public var configJSON: String
    /// The name the configuration gives the extension, when it gives one: the library must
    /// call itself that, so a wrong file in the right place is refused rather than run.
    public var expectedName: String?

    public init(path: String, enabled: Bool = true, stopOnRefusal: Bool = true, configJSON: String = "{}", expectedName: String? = nil) {
        self.path = path
        self.enabled = enabled
        self.stopOnRefusal = stopOnRefusal
        self.configJSON = configJSON
        self.expectedName = expectedName
    }
}

/// A loaded extension and what it registered, for `commerce extensions list` and `/health`.
public struct LoadedExtension: Sendable, Equatable {
    public var name: String
    public var version: String
    public var abi: String
    public var path: String
    public var swiftToolchain: String?
    public var handlers: [String]
    public var preTriggers: [String]
    public var postTriggers: [String]
    public var operations: [String]
    public var entitySets: [String]
    public var migrations: [Int]
    public var readsTables: [String]
}

/// Loads partner extensions at start-up and bridges what they register into the Commerce
/// Runtime, the entity model and the migrations.
///
/// Each extension is loaded and initialised on its own, and its registrations go into copies
/// of the registry and the model; only when all of them fit does the extension join. A
/// refusal therefore never leaves half an extension behind, whether it stops the host or
/// only skips the extension.
public struct ExtensionHost: Sendable {
    public private(set) var loaded: [LoadedExtension] = []
    /// Refusals of extensions configured to be skipped rather than stop the host.
    public private(set) var skipped: [ExtensionRefusal] = []
    /// The migrations of each loaded extension, in its own namespace and under its access policy.
    public private(set) var migrationSets: [MigrationSet] = []

    static let fallbackLogger = Logger(label: "commerce.extension")
    /// The logger of the extension whose init is running: its log lines during init (which has
    /// no call handle) still carry its name. Inits run one at a time, at start-up.
    static let initializingLogger = Mutex<Logger?>(nil)

    /// Loads every enabled extension in configuration order, adding its registrations to
    /// `registry` and `model`. Throws the first refusal of an extension that must not be skipped.
    public static func load(
        _ settings: [ExtensionConfiguration], registry: inout HandlerRegistry, model: inout EntityModel, logger: Logger
    ) throws(ExtensionRefusal) -> ExtensionHost {
        var host = ExtensionHost()
        for setting in settings where setting.enabled {
            do {
                let (summary, migrations) = try host.loadOne(setting, registry: &registry, model: &model, logger: logger)
                host.loaded.append(summary)
                host.migrationSets.append(migrations)
                logger.info(
                    "loaded extension",
                    metadata: ["extension": "\(summary.name)", "version": "\(summary.version)", "abi": "\(summary.abi)", "path": "\(setting.path)"]
                )
            } catch {
                if setting.stopOnRefusal { throw error }
                logger.warning("skipped extension", metadata: ["reason": "\(error.description)"])
                host.skipped.append(error)
            }
        }
        return host
    }

    private func loadOne(
        _ setting: ExtensionConfiguration, registry: inout HandlerRegistry, model: inout EntityModel, logger: Logger
    ) throws(ExtensionRefusal) -> (LoadedExtension, MigrationSet) {
        func refuse(_ problem: String) -> ExtensionRefusal { ExtensionRefusal(path: setting.path, problem: problem) }
        let library = try ExtensionLibrary.open(path: setting.path)
        let info = library.info
        if let expected = setting.expectedName, expected != info.name {
            throw refuse(
                "the configuration names this extension '\(expected)' but the library calls itself '\(info.name)'; "
                    + "check that the path points at the right file, or correct the configured name"
            )
        }
        if let other = loaded.first(where: { $0.name == info.name }) {
            throw refuse("another extension (\(other.path)) is already loaded with the name '\(info.name)'; extension names must be unique")
        }
        let registrar = InitRegistrar(extensionName: info.name)
        var extensionLogger = logger
        extensionLogger[metadataKey: "extension"] = "\(info.name)"
        Self.initializingLogger.withLock { $0 = extensionLogger }
        defer { Self.initializingLogger.withLock { $0 = nil } }
        let status = withExtendedLifetime(registrar) {
            Array(setting.configJSON.utf8).withCommerceStr { config in
                library.initialize(HostFunctions.table, registrar.handle, config)
            }
        }
        guard status == COMMERCE_OK else {
            // An init that gives up because the host refused one of its registrations has the
            // host's reason, which says more than no reason at all.
            let reason = registrar.initError ?? registrar.problems.first.map { "the host refused a registration: \($0)" }
            throw refuse("its init failed with status \(status): \(reason ?? "it gave no reason (call init_set_error)")")
        }
        if let problem = registrar.problems.first {
            throw refuse("it registered bad data: \(problem)")
        }
        let registrations = registrar.registrations
        let policy = TableAccessPolicy(owner: info.name, ownTablePrefix: "ext_\(info.name)_", readableTables: Set(info.readsTables))
        let identity = ExtensionIdentity(name: info.name, policy: policy, logger: extensionLogger)

        // Into copies first: a refusal half-way leaves the host's registry and model untouched.
        var newRegistry = registry
        var newModel = model
        do {
            try Bridge.install(registrations, of: identity, into: &newRegistry, model: &newModel)
        } catch {
            throw refuse("it registered bad data: \(error)")
        }
        registry = newRegistry
        model = newModel

        let migrations = MigrationSet(
            namespace: "ext_\(info.name)",
            migrations: registrations.migrations.map { step in
                Migration(version: step.version, name: step.description) { dialect in dialect == .sqlite ? step.sqlite : step.postgres }
            },
            guestPolicy: policy
        )
        let summary = LoadedExtension(
            name: info.name, version: info.version, abi: "\(info.abiMajor).\(info.abiMinor)", path: setting.path,
            swiftToolchain: info.swiftToolchain.isEmpty ? nil : info.swiftToolchain,
            handlers: registrations.handlers.map(\.requestType),
            preTriggers: registrations.triggers.compactMap { if case .pre = $0.kind { $0.requestType } else { nil } },
            postTriggers: registrations.triggers.compactMap { if case .post = $0.kind { $0.requestType } else { nil } },
            operations: registrations.operations.map { operation in operation.boundTo.map { "\($0)/\(operation.name)" } ?? operation.name },
            entitySets: registrations.entitySets.map(\.name),
            migrations: registrations.migrations.map(\.version),
            readsTables: info.readsTables
        )
        return (summary, migrations)
    }
}

extension LoadedExtension {
    /// A one-line description per registration kind, for people reading a terminal or `/health`.
    public var registrationSummary: [(String, String)] {
        var lines: [(String, String)] = []
        func add(_ label: String, _ items: [String]) { if !items.isEmpty { lines.append((label, items.joined(separator: ", "))) } }
        add("handlers", handlers)
        add("pre-triggers", preTriggers)
        add("post-triggers", postTriggers)
        add("operations", operations)
        add("entity sets", entitySets)
        add("migrations", migrations.map(String.init))
        add("reads tables", readsTables)
        return lines
    }
}
