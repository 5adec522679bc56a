// swift-tools-version: 6.1
// Renkei's benchmarks (package-benchmark). Run from the repository root with `Tools/dev bench`
// (all suites) or `Tools/dev bench --target StorageBenchmarks` (one suite).
import PackageDescription

let package = Package(
    name: "RenkeiBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Renkei", path: ".."),
        // No interposers: no benchmark here reads allocation counts, and the malloc interposer puts a header and
        // counters on every allocation — measuring that instead of the code (a rebuild makes tens of millions).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "StorageBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RenkeiLog", package: "Renkei"),
                .product(name: "RenkeiStore", package: "Renkei"),
                .product(name: "RenkeiZstd", package: "Renkei"),
                .product(name: "RenkeiCrypto", package: "Renkei"),
                .product(name: "RenkeiModel", package: "Renkei"),
                .product(name: "CarePlanStandard", package: "Renkei"),
            ],
            path: "Benchmarks/StorageBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DomainBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RenkeiCore", package: "Renkei"),
                .product(name: "RenkeiWorkload", package: "Renkei"),
                .product(name: "RenkeiHost", package: "Renkei"),
                .product(name: "RenkeiLog", package: "Renkei"),
                .product(name: "RenkeiStore", package: "Renkei"),
                .product(name: "RenkeiCrypto", package: "Renkei"),
                .product(name: "RenkeiModel", package: "Renkei"),
                .product(name: "CarePlanStandard", package: "Renkei"),
            ],
            path: "Benchmarks/DomainBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "StandardBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), .product(name: "CarePlanStandard", package: "Renkei")],
            path: "Benchmarks/StandardBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
