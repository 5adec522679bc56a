// swift-tools-version: 6.1
// Renkei (連携): the care-plan data exchange. See README.md and ../shared/DESIGN.md for the module map;
// arrows in that map are the `dependencies` below and must keep pointing one way.
import PackageDescription

let package = Package(
    name: "Renkei",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RenkeiModel", targets: ["RenkeiModel"]),
        .library(name: "RenkeiLMDB", targets: ["RenkeiLMDB"]),
        .library(name: "RenkeiZstd", targets: ["RenkeiZstd"]),
        .library(name: "RenkeiCrypto", targets: ["RenkeiCrypto"]),
        .library(name: "RenkeiMerkle", targets: ["RenkeiMerkle"]),
        .library(name: "RenkeiStore", targets: ["RenkeiStore"]),
        .library(name: "RenkeiLog", targets: ["RenkeiLog"]),
        .library(name: "RenkeiPostgres", targets: ["RenkeiPostgres"]),
        .library(name: "CarePlanStandard", targets: ["CarePlanStandard"]),
        .library(name: "RenkeiCore", targets: ["RenkeiCore"]),
        .library(name: "RenkeiWorkload", targets: ["RenkeiWorkload"]),
        .library(name: "RenkeiAPI", targets: ["RenkeiAPI"]),
        .library(name: "RenkeiServer", targets: ["RenkeiServer"]),
        .library(name: "RenkeiClient", targets: ["RenkeiClient"]),
        .library(name: "RenkeiOffice", targets: ["RenkeiOffice"]),
        .library(name: "RenkeiHost", targets: ["RenkeiHost"]),
        .library(name: "RenkeiUI", targets: ["RenkeiUI"]),
        .executable(name: "renkei", targets: ["renkei"]),
        .executable(name: "renkei-server", targets: ["renkei-server"]),
        .executable(name: "renkei-admin", targets: ["renkei-admin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C libraries from Debian: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Value types shared by every layer.
        .target(name: "RenkeiModel"),

        // One Swift module wraps each C library; no C type leaves it.
        .target(name: "RenkeiLMDB", dependencies: ["CLMDB"]),
        .target(name: "RenkeiZstd", dependencies: ["CZstd"]),
        .target(name: "RenkeiCrypto", dependencies: ["COpenSSL"]),

        // The standard files (ケアプランデータ連携標準仕様 v4.1): names, MS932, CSV, layouts, rules, writer, generator.
        .target(name: "CarePlanStandard", dependencies: ["RenkeiModel"]),


        // RFC 9162 Merkle tree arithmetic and proof verification, storage-agnostic (auditors verify offline).
        .target(name: "RenkeiMerkle", dependencies: ["RenkeiCrypto"]),

        // The storage protocol the domain uses (and the in-memory store); no engine inside.
        .target(name: "RenkeiStore", dependencies: ["RenkeiModel", "RenkeiMerkle", "RenkeiCrypto"]),

        // The LMDB store: the event log, blobs, Merkle nodes, key spaces, the group-commit writer, tail.
        .target(
            name: "RenkeiLog",
            dependencies: ["RenkeiStore", "RenkeiLMDB", "RenkeiZstd", "RenkeiModel", "RenkeiMerkle", "RenkeiCrypto",
                           .product(name: "Metrics", package: "swift-metrics")]
        ),

        // The PostgreSQL store (several servers over one database): the same protocol through postgres-nio.
        // The only module that touches PostgreSQL.
        .target(
            name: "RenkeiPostgres",
            dependencies: ["RenkeiStore", "RenkeiZstd", "RenkeiModel", "RenkeiMerkle", "RenkeiCrypto",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),

        // The domain: commands → events (protobuf bodies), projections, rebuild. Reaches storage only through
        // the storage protocol (RenkeiStore); the program that starts the platform picks the engine.
        .target(
            name: "RenkeiCore",
            dependencies: ["RenkeiStore", "RenkeiModel", "RenkeiCrypto", "CarePlanStandard",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Schema"]
        ),

        // Seeded domain traffic in process, for benchmarks and load tools.
        .target(name: "RenkeiWorkload", dependencies: ["RenkeiCore", "RenkeiStore", "RenkeiCrypto", "RenkeiModel", "CarePlanStandard"]),

        // The public API, package renkei.v1: the .proto files, the Swift generated from them (Tools/generate-protos),
        // and the error detail every refusal carries.
        .target(
            name: "RenkeiAPI",
            dependencies: ["CarePlanStandard",
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos", "API.md"]
        ),

        // The platform server: renkei.v1 over gRPC with mutual TLS, thin handlers over RenkeiCore. The engine
        // is handed in by the program that starts it.
        .target(
            name: "RenkeiServer",
            dependencies: ["RenkeiCore", "RenkeiStore", "RenkeiAPI", "RenkeiCrypto", "RenkeiModel", "CarePlanStandard",
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOTLS", package: "swift-nio"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),

        // The client library offices, operators and auditors use; never links LMDB (RenkeiCore only for its
        // one table of error codes, so that a refusal made before sending reads like the server's).
        .target(
            name: "RenkeiClient",
            dependencies: ["RenkeiAPI", "RenkeiCore", "CarePlanStandard", "RenkeiCrypto", "RenkeiModel",
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "AsyncAlgorithms", package: "swift-async-algorithms")]
        ),

        // What the office and auditor programs do beyond one call: profiles, send plans, verified downloads
        // into folders, folder sync, audit files and their offline verification, tables. Never links LMDB.
        .target(
            name: "RenkeiOffice",
            dependencies: ["RenkeiClient", "RenkeiAPI", "RenkeiCore", "RenkeiStore", "RenkeiMerkle", "RenkeiCrypto", "RenkeiModel", "CarePlanStandard",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // The platform's data folder: configuration, the development setup (CA, certificates, demo profiles),
        // starting the server on the embedded store, and the operator's checks on a store (verify, backup, views).
        .target(
            name: "RenkeiHost",
            dependencies: ["RenkeiServer", "RenkeiCore", "RenkeiLog", "RenkeiPostgres", "RenkeiStore", "RenkeiCrypto", "RenkeiModel", "RenkeiOffice",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),

        // The office's screens (`renkei ui`): a local web application (Hummingbird 2, mustache templates,
        // server-sent events) over RenkeiClient with the office's identity.
        .target(
            name: "RenkeiUI",
            dependencies: ["RenkeiClient", "RenkeiAPI", "RenkeiOffice", "RenkeiCrypto", "RenkeiModel", "CarePlanStandard",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Mustache", package: "swift-mustache"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Templates"), .copy("Static")]
        ),

        // The programs: argument parsing, then one call into a library.
        .executableTarget(
            name: "renkei",
            dependencies: ["CarePlanStandard", "RenkeiModel", "RenkeiOffice", "RenkeiClient", "RenkeiAPI", "RenkeiUI",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tools/renkei"
        ),
        .executableTarget(
            name: "renkei-server",
            dependencies: ["RenkeiHost", "RenkeiModel", "RenkeiOffice", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/renkei-server"
        ),
        .executableTarget(
            name: "renkei-admin",
            dependencies: ["RenkeiHost", "RenkeiOffice", "RenkeiClient", "RenkeiAPI", "RenkeiModel",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tools/renkei-admin"
        ),

        // Durable appends through the storage protocol, for the side-by-side comparison (Tools/side-by-side).
        .executableTarget(
            name: "renkei-storebench",
            dependencies: ["RenkeiLog", "RenkeiStore", "RenkeiModel", "RenkeiCrypto", "CarePlanStandard", "RenkeiCore", "RenkeiWorkload", "RenkeiHost",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/renkei-storebench"
        ),

        // Load through the real server and clients over TLS (uploads, catch-up, latency, idle subscribers).
        .executableTarget(
            name: "renkei-load",
            dependencies: ["RenkeiServer", "RenkeiClient", "RenkeiAPI", "RenkeiCore", "RenkeiLog", "RenkeiStore", "RenkeiCrypto",
                           "RenkeiModel", "RenkeiHost", "CarePlanStandard",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Histogram", package: "hdrhistogram-swift"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Tools/renkei-load"
        ),

        // A child process for the crash-safety test: appends in a loop, prints each acknowledged sequence.
        .executableTarget(
            name: "renkei-log-crash-child",
            dependencies: ["RenkeiLog", "RenkeiStore", "RenkeiModel", "RenkeiCrypto"],
            path: "Tests/RenkeiLogCrashChild"
        ),

        .testTarget(name: "RenkeiLMDBTests", dependencies: ["RenkeiLMDB"]),
        .testTarget(name: "RenkeiZstdTests", dependencies: ["RenkeiZstd", "RenkeiModel"]),
        .testTarget(name: "RenkeiCryptoTests", dependencies: ["RenkeiCrypto", "RenkeiModel"]),
        .testTarget(name: "RenkeiMerkleTests", dependencies: ["RenkeiMerkle", "RenkeiCrypto"]),
        .testTarget(
            name: "RenkeiLogTests",
            dependencies: ["RenkeiLog", "RenkeiStore", "RenkeiLMDB", "RenkeiZstd", "RenkeiMerkle", "RenkeiCrypto", "RenkeiModel", "renkei-log-crash-child"]
        ),
        .testTarget(
            name: "RenkeiStoreTests",
            dependencies: ["RenkeiStore", "RenkeiLog", "RenkeiPostgres", "RenkeiZstd", "RenkeiMerkle", "RenkeiCrypto", "RenkeiModel",
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "RenkeiCoreTests",
            dependencies: ["RenkeiCore", "RenkeiStore", "RenkeiLog", "RenkeiPostgres", "RenkeiCrypto", "RenkeiModel", "CarePlanStandard", "RenkeiZstd"]
        ),
        .testTarget(name: "RenkeiModelTests", dependencies: ["RenkeiModel"]),
        .testTarget(
            name: "RenkeiServerTests",
            dependencies: ["RenkeiServer", "RenkeiClient", "RenkeiAPI", "RenkeiCore", "RenkeiLog", "RenkeiStore", "RenkeiCrypto",
                           "RenkeiModel", "RenkeiMerkle", "CarePlanStandard",
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")],
            exclude: ["Python"]
        ),
        // The programs run as child processes, end to end (their binaries are built with the tests).
        .testTarget(name: "ProgramTests", dependencies: ["renkei", "renkei-server", "renkei-admin", "CarePlanStandard", "RenkeiModel"],
                    exclude: ["Browser"]),
        .testTarget(name: "RenkeiUITests", dependencies: [
            "RenkeiUI", "RenkeiAPI", "RenkeiClient", "RenkeiCrypto", "CarePlanStandard",
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "CarePlanStandardTests", dependencies: ["CarePlanStandard", "renkei"], exclude: ["Fixtures"]),
    ]
)
