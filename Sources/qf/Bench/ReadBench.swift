import ArgumentParser
import Foundation
import Ingest

/// `qf bench read FILE.h5`: throughput of reading one float64 column that is in the page cache.
struct ReadBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Benchmark reading a float64 column from a bar file.")

    @Argument(help: "The bar file.") var file: String
    @Option(help: "Symbol (default: the first).") var symbol: String?
    @Option(help: "Column.") var column = "close"
    @Option(help: "Write the results as JSON to this file.") var json: String?

    struct Result: Codable { var mode: String; var bytes: Int; var gbPerSecond: Double; var timing: Timing }

    func run() throws {
        let bars = try BarFile(path: file)
        guard let symbol = symbol ?? bars.symbols.first else { throw CommandFailure("\(file) has no symbols") }
        let handle = try bars.openColumn(column, of: symbol)
        let bytes = handle.count * 8
        _ = try handle.readAll()  // page cache
        var results: [Result] = []
        var failure: Error?
        let reused = UnsafeMutableBufferPointer<Double>.allocate(capacity: handle.count)
        defer { reused.deallocate() }
        let modes: [(String, () throws -> Void)] = [
            ("libhdf5, new array", { _ = try handle.readAll() }),
            ("libhdf5, reused buffer", { try handle.read(0..<handle.count, into: reused) }),
            ("parallel chunks, reused buffer", { try handle.readAllParallel(into: reused) }),
        ]
        for (mode, read) in modes {
            let t = Timing.measure(repeats: 7, minTime: 0.3, warmup: 2) {
                do { try read() } catch { failure = error }
            }
            if let failure { throw failure }
            results.append(Result(mode: mode, bytes: bytes, gbPerSecond: Double(bytes) / t.medianSeconds / 1e9, timing: t))
            print(String(format: "read %@ %@/%@ (%d values, %@): %.2f GB/s", file, symbol, column, handle.count, mode, Double(bytes) / t.medianSeconds / 1e9))
        }
        if let json { try writeBenchJSON(results, to: json) }
    }
}
