// swift-tools-version: 6.1
// QuantForge: a Swift training and backtest engine for quantitative trading with a slim job
// service in front of it. Module layering (imports point down only) is described in README.md.
import Foundation
import PackageDescription

// Numeric kernels are compiled for AVX2 + FMA (`-target-cpu skylake`: the feature set of every
// x86-64 server CPU since 2015, AMD Zen included), without which Swift emits SSE2 only. Set
// QF_TARGET_CPU to another LLVM CPU name, or to "generic" for baseline x86-64.
// `-fno-math-errno` lets `squareRoot()` (a C shim around sqrtf) become one vector instruction
// instead of a call guarded by an errno branch, which blocks vectorisation; nothing reads errno.
let numericFlags: [SwiftSetting] = {
    var flags = ["-Xcc", "-fno-math-errno"]
    #if arch(x86_64)
    let cpu = ProcessInfo.processInfo.environment["QF_TARGET_CPU"] ?? "skylake"
    if cpu != "generic" { flags += ["-target-cpu", cpu] }
    #endif
    return [.unsafeFlags(flags)]
}()

/// Release builds without the run-time exclusivity checks (see Compute and Agents below).
let releaseWithoutExclusivityChecks: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "QuantForge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "qf", targets: ["qf"]),
        .library(name: "Compute", targets: ["Compute"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "Expressions", targets: ["Expressions"]),
        .library(name: "Backtest", targets: ["Backtest"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Service", targets: ["Service"]),
        .library(name: "QuantForgeClient", targets: ["QuantForgeClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        // The typed API client, generated at build time from the checked-in OpenAPI document.
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession", from: "1.4.0"),
        // Named because Service imports their modules directly (the HTTP head guard works below
        // Hummingbird, on NIO's pipeline); the versions are the ones the packages above resolve to.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // C libraries, shims only.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
        .systemLibrary(name: "CMemoryHints", path: "Sources/CMemoryHints"),
        .systemLibrary(name: "CVectorBits", path: "Sources/CVectorBits"),
        .systemLibrary(name: "CKernels", path: "Sources/CKernels"),
        // The one C target with code of its own: a fatal-signal handler must be async-signal-safe,
        // which Swift code cannot promise (see Service's CrashJournal).
        .target(name: "CCrashJournal", path: "Sources/CCrashJournal"),
        // QuantForge's own small float32 products, AVX2 and AVX-512 families chosen at run time
        // (Compute's `GemmKernels`). Always optimised: at -O0 the intrinsics spill every register,
        // and debug builds run the tests' training.
        .target(name: "CGemm", path: "Sources/CGemm", cSettings: [.unsafeFlags(["-O2"])]),

        // Libraries, lowest first.
        // Compute's and Agents' training loops go through class properties (layers, buffers,
        // rollouts) on every step; the run-time exclusivity checks on those accesses cost PPO
        // ~5% and DQN ~2% of their steps per second, so release builds leave them out. Debug
        // builds, which run the tests, keep them, so a conflicting access still traps there.
        .target(name: "Compute", dependencies: ["CBLAS", "CKernels", "CGemm"], swiftSettings: numericFlags + releaseWithoutExclusivityChecks),
        // Ingest's per-row loops mutate buffers held by classes; Swift checks exclusive access to
        // class properties at run time on every such access (18% of an ingest in callgrind), so
        // the checks are compiled out here, as for the numeric kernels.
        .target(name: "Ingest", dependencies: ["CHDF5"], swiftSettings: numericFlags + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // Pure: text → typed graph → values over columns; no files, no HTTP (DESIGN.md).
        .target(name: "Expressions", dependencies: ["CVectorBits"], swiftSettings: numericFlags),
        .target(name: "Backtest", dependencies: ["Ingest", "Expressions", "CMemoryHints", "CVectorBits"], swiftSettings: numericFlags),
        .target(name: "Agents", dependencies: ["Compute", "Ingest", "Expressions", "Backtest", "CMemoryHints"], swiftSettings: numericFlags + releaseWithoutExclusivityChecks),
        // A small RESP2 client on SwiftNIO (no Swift Redis package is available here; README says
        // why this rather than hiredis). Knows nothing of the service.
        .target(name: "RedisClient", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Service", dependencies: [
            "Compute", "Agents", "Backtest", "Expressions", "Ingest", "CCrashJournal", "RedisClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        ]),

        // The API's typed client, generated from Sources/QuantForgeClient/openapi.json (what the
        // server serves; a test keeps them equal). Imports nothing of ours.
        .target(
            name: "QuantForgeClient",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIURLSession", package: "swift-openapi-urlsession"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // The generated files import Foundation's types and OpenAPIRuntime `public`ly and warn where a
            // file does not use them publicly; generator 1.14.3 silences that itself only from Swift
            // 6.4 on (`@diagnose(UnusedImportAccess, as: ignored)`), so it is silenced here meanwhile.
            swiftSettings: [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        // The one command-line tool.
        .executableTarget(
            name: "qf",
            dependencies: [
                "Compute", "Ingest", "Expressions", "Backtest", "Agents", "Service", "QuantForgeClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),

        // Test support: counts heap allocations so a test can prove a training step makes none.
        .target(name: "MallocCounter", path: "Tests/Support/MallocCounter"),
        // Test support: runs the Python reference readers (safetensors, h5py) on our files.
        .target(name: "PythonCheck", path: "Tests/Support/PythonCheck"),
        .testTarget(name: "ComputeTests", dependencies: ["Compute", "CGemm", "MallocCounter", "PythonCheck"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "PythonCheck"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "Ingest", "PythonCheck"]),
        .testTarget(name: "BacktestTests", dependencies: ["Backtest", "Expressions", "Ingest", "PythonCheck"], exclude: ["Fixtures"]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "Compute", "Ingest", "Backtest", "Expressions", "MallocCounter", "PythonCheck"]),
        // Test support: a real redis-server of a test's own, which a fault test can stop and start.
        .target(name: "RedisServer", path: "Tests/Support/RedisServer"),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "RedisServer", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "ServiceTests", dependencies: [
            "Service", "Agents", "Compute", "Ingest", "Backtest", "Expressions", "RedisClient", "RedisServer", "QuantForgeClient",
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], exclude: ["Schemathesis"]),
    ],
    swiftLanguageModes: [.v6]
)
