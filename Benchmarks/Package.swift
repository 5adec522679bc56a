// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "RenkeiBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Renkei", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StandardBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), .product(name: "CarePlanStandard", package: "Renkei")],
            path: "Benchmarks/StandardBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
