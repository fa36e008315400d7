// swift-tools-version: 6.2

import PackageDescription

// Same upcoming features as Hummingbird: explicit `any`, imports that do not leak, internal by default.
// NonisolatedNonsendingByDefault: a nonisolated async function runs on its caller's executor. A
// write transaction's statements and handlers then stay on the SQLite writer thread without a
// `swift_task_switch` that asks the task for its executor preference at every `await` (~8% of
// the writer thread's CPU in a checkout profile).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "commerce",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "commerce", targets: ["commerce"]),
        .library(name: "CommerceRuntime", targets: ["CommerceRuntime"]),
        .library(name: "ChannelDatabase", targets: ["ChannelDatabase"]),
        .library(name: "ConsumerAPI", targets: ["ConsumerAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // The system libsqlite3 (Debian: libsqlite3-dev); our own wrapper lives in ChannelDatabase.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The engine's query language (OData-shaped filters, ordering, search) as a typed AST.
        // No SQL and no HTTP: the API parses into it, the CRT carries it, the database translates it.
        .target(name: "CommerceQuery", swiftSettings: swiftSettings),
        .target(
            name: "ChannelDatabase",
            dependencies: [
                "CSQLite",
                "CommerceQuery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CommerceRuntime",
            dependencies: [
                "ChannelDatabase",
                "CommerceQuery",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsumerAPI",
            dependencies: [
                "CommerceQuery",
                "CommerceRuntime",
                "ChannelDatabase",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The C header of the extension ABI (SDK/include/commerce_sdk.h), as partners compile against it.
        .systemLibrary(name: "CCommerceSDK", path: "Sources/CCommerceSDK"),
        .target(
            name: "ExtensionHost",
            dependencies: [
                "CCommerceSDK",
                "CommerceRuntime",
                "ChannelDatabase",
                "ConsumerAPI",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataExchange",
            dependencies: ["CommerceRuntime", "ChannelDatabase"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "commerce",
            dependencies: [
                "ChannelDatabase",
                "CommerceRuntime",
                "ConsumerAPI",
                "ExtensionHost",
                "DataExchange",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // The HTTP/1 server's idle timeout is configured on its channel.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The bare Hummingbird server the benchmark compares the engine against (bench/).
        .executableTarget(
            name: "HelloBench",
            dependencies: ["CSQLite", .product(name: "Hummingbird", package: "hummingbird")],
            path: "bench/HelloBench",
            swiftSettings: swiftSettings
        ),
        // The cost of one extension trigger call through the ABI (bench/extensions.sh).
        .executableTarget(
            name: "ExtensionBench",
            dependencies: [
                "ChannelDatabase",
                "CommerceRuntime",
                "ConsumerAPI",
                "ExtensionHost",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/ExtensionBench",
            exclude: ["bench_trigger.c"],
            swiftSettings: swiftSettings
        ),
        // The full checkout flow under load (bench/checkout.sh).
        .executableTarget(
            name: "CheckoutBench",
            dependencies: ["BenchHTTP", "ChannelDatabase", .product(name: "Logging", package: "swift-log")],
            path: "bench/CheckoutBench",
            swiftSettings: swiftSettings
        ),
        // CPU per cart request inside the runtime, without HTTP (bench/cart.sh).
        .executableTarget(
            name: "CartBench",
            dependencies: ["BenchHTTP", "BenchSupport", "ChannelDatabase", "CommerceRuntime"],
            path: "bench/CartBench",
            swiftSettings: swiftSettings
        ),
        // Product search on a catalog of 100k products and 1M attribute values (bench/search.sh).
        .executableTarget(
            name: "SearchBench",
            dependencies: ["BenchHTTP", "ChannelDatabase", .product(name: "Logging", package: "swift-log")],
            path: "bench/SearchBench",
            swiftSettings: swiftSettings
        ),
        // What the HTTP load clients share: a blocking keep-alive connection per client thread,
        // or many connections multiplexed on a few threads with epoll; and the process CPU clock
        // every benchmark reads.
        .target(
            name: "BenchHTTP",
            dependencies: ["CBenchPoll"],
            path: "bench/BenchHTTP",
            swiftSettings: swiftSettings
        ),
        .target(name: "CBenchPoll", path: "bench/CBenchPoll"),
        // What the in-process benchmarks share: the runtime over the demo data.
        .target(
            name: "BenchSupport",
            dependencies: ["ChannelDatabase", "CommerceRuntime", .product(name: "Logging", package: "swift-log")],
            path: "bench/BenchSupport",
            swiftSettings: swiftSettings
        ),
        // CPU of the consumer API's read path without the network (bench/read-path.sh).
        .executableTarget(
            name: "ReadPathBench",
            dependencies: [
                "BenchHTTP", "BenchSupport", "ChannelDatabase", "CommerceRuntime", "ConsumerAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/ReadPathBench",
            swiftSettings: swiftSettings
        ),
        // Price, discount and tax calculation of a 20-line cart (bench/pricing.sh).
        .executableTarget(
            name: "PricingBench",
            dependencies: ["BenchSupport", "ChannelDatabase", "CommerceRuntime"],
            path: "bench/PricingBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CommerceQueryTests",
            dependencies: ["CommerceQuery"],
            swiftSettings: swiftSettings
        ),
        // Helpers that more than one test target needs (signed test tokens).
        .target(
            name: "CommerceTestSupport",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsumerAPITests",
            dependencies: [
                "ConsumerAPI", "CommerceQuery", "CommerceTestSupport", "ChannelDatabase", "CommerceRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                // The API's responder answering requests built in memory (ReadDeadlineTests).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChannelDatabaseTests",
            dependencies: ["ChannelDatabase", "CommerceQuery", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CommerceRuntimeTests",
            dependencies: ["CommerceRuntime", "ChannelDatabase", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "commerce", "ChannelDatabase", "ConsumerAPI", "CommerceTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
