import ArgumentParser
import Foundation
import Ingest

/// `qf data …`: inspect and transform bar files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Inspect and transform bar files.",
                                                    subcommands: [DescribeCommand.self, PreprocessCommand.self, SynthCommand.self])
}

/// `qf data describe FILE.h5`: symbols, columns, rows, time ranges and statistics.
struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Describe a bar file.")

    @Argument(help: "The HDF5 bar file.") var file: String
    @Flag(help: "Print the stored dataset summary as JSON.") var json = false

    func run() throws {
        let bars = try BarFile(path: file)
        if json, let summary = bars.metadata.extra["summary"]?.stringValue {
            print(summary)
            return
        }
        let m = bars.metadata
        print("\(file): \(BarFileMetadata.format) v\(m.version), frequency \(m.frequency), created \(m.createdAt)")
        print("  source: \(m.source)")
        for symbol in bars.symbols {
            let t = try bars.timestamps(of: symbol)
            let range = t.isEmpty ? "empty" : "\(TimestampParser.format(t.first!)) … \(TimestampParser.format(t.last!))"
            print("  \(symbol): \(t.count) rows, \(range)")
        }
        guard let first = bars.symbols.first else { return }
        let columns = try bars.columns(of: first)
        print("  columns (\(columns.count)): \(columns.joined(separator: ", "))")
        if let text = bars.metadata.extra["summary"]?.stringValue, let summary = try? JSONDecoder().decode(DatasetSummary.self, from: Data(text.utf8)) {
            print(String(format: "  %-14@ %10@ %12@ %12@ %12@ %12@ %12@", "column", "count", "mean", "std", "min", "50%", "max"))
            for name in summary.statistics.numericalSummary.keys.sorted() {
                let s = summary.statistics.numericalSummary[name]!
                func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "-" }
                print(String(format: "  %-14@ %10d %12@ %12@ %12@ %12@ %12@", name, s.count, f(s.mean), f(s.std), f(s.min), f(s.p50), f(s.max)))
            }
            for warning in summary.warnings { print("  note: \(warning)") }
        }
    }
}
