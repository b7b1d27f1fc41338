import ArgumentParser
import Foundation
import Ingest

/// `qf data …`: inspect and transform bar files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Inspect and transform bar files.",
                                                    subcommands: [DescribeCommand.self, PreprocessCommand.self, SynthCommand.self, ExportCommand.self])
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
            func left(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
            func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "-" }
            print("  " + left("column", 14) + ["count", "mean", "std", "min", "50%", "max"].map { right($0, 12) }.joined())
            for name in summary.statistics.numericalSummary.keys.sorted() {
                let s = summary.statistics.numericalSummary[name]!
                print("  " + left(name, 14) + [String(s.count), f(s.mean), f(s.std), f(s.min), f(s.p50), f(s.max)].map { right($0, 12) }.joined())
            }
            for warning in summary.warnings { print("  note: \(warning)") }
        }
    }
}

/// `qf data export FILE.h5 [--symbol S] --format csv|pandas --out F`: a bar file for other tools —
/// CSV, or the HDF5 layout pandas reads with `pd.read_hdf(F, key=SYMBOL)`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a bar file as CSV or as pandas' HDF5 (pd.read_hdf).")

    @Argument(help: "The HDF5 bar file.") var file: String
    @Option(help: "Only these symbols (repeatable; default: all).") var symbol: [String] = []
    @Option(help: "csv or pandas.") var format: String
    @Option(help: "The file to write.") var out: String

    func run() throws {
        guard let chosen = BarFileExport.Format(rawValue: format) else {
            throw ValidationError("--format must be one of \(BarFileExport.Format.allCases.map(\.rawValue).joined(separator: ", ")), got \(format)")
        }
        let bars = try BarFile(path: file)
        try BarFileExport.export(bars, symbols: symbol.isEmpty ? nil : symbol, format: chosen, to: out)
        let written = symbol.isEmpty ? bars.symbols : symbol
        print("\(out): \(written.count) symbol\(written.count == 1 ? "" : "s") (\(written.joined(separator: ", "))) as \(chosen.rawValue)"
              + (chosen == .pandas ? "; read with pd.read_hdf(\"\(out)\", key=\"\(written[0])\")" : ""))
    }
}
