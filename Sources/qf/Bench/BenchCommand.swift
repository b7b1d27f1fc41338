import ArgumentParser
import Compute
import Foundation

/// `qf bench <suite>`: throughput benchmarks whose JSON output Benchmarks/ scripts set beside the
/// peers' figures. Timings belong here, never in unit tests.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Run throughput benchmarks.",
                                                    subcommands: [ComputeBench.self, ReadBench.self, BacktestBench.self, RulesBench.self, AgentsBench.self, QueueBench.self, JSONBench.self])
}

/// Writes benchmark results as the JSON the Benchmarks/ scripts read (snake_case keys, sorted),
/// through a temporary file so a reader never sees half a report.
func writeBenchJSON<T: Encodable>(_ results: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    try AtomicFile.write(Array(try encoder.encode(results)), to: path)
}

/// `qf bench compute`: sgemm, MLP training steps and batch-1 latency.
struct ComputeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compute", abstract: "Benchmark sgemm, training steps and batch-1 forward latency.")

    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "OpenBLAS threads.") var threads = 1
    @Option(help: "Minimum seconds per timing sample.") var minTime = 0.3
    @Option(help: "Samples per measurement (the median is reported).") var repeats = 7

    func run() throws {
        ComputeConfiguration(blasThreads: threads).apply()
        print("OpenBLAS kernel \(BLAS.coreName), \(BLAS.threadCount) thread(s); products on \(GemmKernels.active.rawValue) (\(GemmKernels.reason))")
        let report = ComputeBenchmarks.run(minTime: minTime, repeats: repeats) { print($0) }
        if let json { try writeBenchJSON(report, to: json) }
    }
}
