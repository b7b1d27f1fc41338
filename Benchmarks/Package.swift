// swift-tools-version: 6.1
// QuantForge's ordo-one/benchmark suites: wall clock, throughput and malloc counts of the hot
// paths. Run with `make bench-malloc` (or `swift package --disable-sandbox benchmark` here).
// The side-by-side comparisons with Python peers are in compute.sh and peers/.
import PackageDescription

let package = Package(
    name: "QuantForgeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ComputeBenchmarks",
            dependencies: [
                .product(name: "Compute", package: "main"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ComputeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
