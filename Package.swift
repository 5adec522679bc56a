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
        .library(name: "CarePlanStandard", targets: ["CarePlanStandard"]),
        .library(name: "RenkeiCore", targets: ["RenkeiCore"]),
        .library(name: "RenkeiWorkload", targets: ["RenkeiWorkload"]),
        .executable(name: "renkei", targets: ["renkei"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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

        // The office client's command line: argument parsing, then one call into a library.
        .executableTarget(
            name: "renkei",
            dependencies: ["CarePlanStandard", "RenkeiModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/renkei"
        ),

        // RFC 9162 Merkle tree arithmetic and proof verification, storage-agnostic (auditors verify offline).
        .target(name: "RenkeiMerkle", dependencies: ["RenkeiCrypto"]),

        // The storage protocol the domain uses (and the in-memory store); no engine inside.
        .target(name: "RenkeiStore", dependencies: ["RenkeiModel", "RenkeiMerkle", "RenkeiCrypto"]),

        // The LMDB store: the event log, blobs, Merkle nodes, key spaces, the group-commit writer, tail.
        .target(
            name: "RenkeiLog",
            dependencies: ["RenkeiStore", "RenkeiLMDB", "RenkeiZstd", "RenkeiModel", "RenkeiMerkle", "RenkeiCrypto"]
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

        // Durable appends through the storage protocol, for the side-by-side comparison (Tools/side-by-side).
        .executableTarget(
            name: "renkei-storebench",
            dependencies: ["RenkeiLog", "RenkeiStore", "RenkeiModel", "RenkeiCrypto", "CarePlanStandard", "RenkeiCore", "RenkeiWorkload",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/renkei-storebench"
        ),

        // A child process for the crash-safety test: appends in a loop, prints each acknowledged sequence.
        .executableTarget(
            name: "renkei-log-crash-child",
            dependencies: ["RenkeiLog", "RenkeiStore", "RenkeiModel", "RenkeiCrypto"],
            path: "Tests/RenkeiLogCrashChild"
        ),

        .testTarget(name: "RenkeiLMDBTests", dependencies: ["RenkeiLMDB"]),
        .testTarget(name: "RenkeiZstdTests", dependencies: ["RenkeiZstd"]),
        .testTarget(name: "RenkeiCryptoTests", dependencies: ["RenkeiCrypto", "RenkeiModel"]),
        .testTarget(name: "RenkeiMerkleTests", dependencies: ["RenkeiMerkle", "RenkeiCrypto"]),
        .testTarget(
            name: "RenkeiLogTests",
            dependencies: ["RenkeiLog", "RenkeiStore", "RenkeiLMDB", "RenkeiZstd", "RenkeiMerkle", "RenkeiCrypto", "RenkeiModel", "renkei-log-crash-child"]
        ),
        .testTarget(
            name: "RenkeiStoreTests",
            dependencies: ["RenkeiStore", "RenkeiLog", "RenkeiZstd", "RenkeiMerkle", "RenkeiCrypto", "RenkeiModel"]
        ),
        .testTarget(
            name: "RenkeiCoreTests",
            dependencies: ["RenkeiCore", "RenkeiStore", "RenkeiLog", "RenkeiCrypto", "RenkeiModel", "CarePlanStandard", "RenkeiZstd"]
        ),
        .testTarget(name: "RenkeiModelTests", dependencies: ["RenkeiModel"]),
        .testTarget(name: "CarePlanStandardTests", dependencies: ["CarePlanStandard", "renkei"], exclude: ["Fixtures"]),
    ]
)
