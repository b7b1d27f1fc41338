import ArgumentParser
import Foundation
import Ingest

/// `qf ingest FILE.csv`: CSV → HDF5 bar file with validation, statistics and a progress bar.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Ingest a CSV file of bars into an HDF5 bar file.")

    @Argument(help: "The CSV file.") var file: String
    @Option(help: "Symbol for files without a tic/symbol/ticker column (default: the file name).") var symbol: String?
    @Option(help: "Output file (default: data/<file name>.h5).") var out: String?
    @Option(help: "What to do with invalid rows: reject (write nothing) or skip.") var onError: IngestOptions.ErrorPolicy = .reject
    @Option(help: "Name of the timestamp column.") var timestampColumn: String?
    @Option(help: "Name of the symbol column.") var symbolColumn: String?
    @Option(help: "Unit of integer timestamps: seconds, milliseconds, microseconds, nanoseconds (default: guessed).") var epochUnit: TimestampParser.EpochUnit?
    @Option(help: "Slash dates (01/04/2024): month-first, day-first, or auto (decided by the values; month first, as pandas, when nothing tells).") var dateOrder = DateOrder.auto
    @Option(help: "Deflate level 0–9, or 'none' for uncompressed columns.") var compression = "4"
    @Flag(help: "Do not check prices for negatives and high ≥ low (for files whose OHLC columns are features).") var noPriceChecks = false
    @Flag(help: "Print the dataset summary as JSON.") var json = false

    func run() throws {
        var options = IngestOptions()
        options.symbol = symbol
        options.onError = onError
        options.timestampColumn = timestampColumn
        options.symbolColumn = symbolColumn
        options.epochUnit = epochUnit
        options.dayFirst = dateOrder.dayFirst
        options.priceChecks = !noPriceChecks
        if compression == "none" { options.compressionLevel = nil } else {
            guard let level = Int(compression), (0...9).contains(level) else { throw ValidationError("--compression must be 0–9 or none, got \(compression)") }
            options.compressionLevel = level
        }
        let output = out ?? "data/\(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent).h5"
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var bar = ProgressBar(total: 1000, label: "ingest")
        let start = monotonicNanoseconds()
        let result: IngestResult
        do {
            result = try CSVIngestor.ingest(csv: file, to: output, options: options) { read, total in
                bar.update(total > 0 ? read * 1000 / total : 0, status: "\(read >> 20) MiB")
            }
        } catch let failure as IngestFailure {
            throw CommandFailure(failure.description)
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result.summary), as: UTF8.self))
            return
        }
        let s = result.summary
        print("Wrote \(result.outputPath): \(s.rowCount) rows, \(s.symbols.count) symbol\(s.symbols.count == 1 ? "" : "s"), \(s.timeRange.joined(separator: " … "))")
        print(String(format: "  %.2f s, %.0f rows/s, %.1f MB/s", seconds, Double(s.rowCount) / seconds, Double(bytes) / seconds / 1e6))
        let shown = s.columns.prefix(12).map { "\($0.name) (\($0.type))" }.joined(separator: ", ")
        print("  \(s.columnCount) columns: \(shown)\(s.columnCount > 12 ? ", …" : "")")
        if result.rowsSkipped > 0 {
            print("  skipped \(result.rowsSkipped) invalid rows (\(result.totalProblems) problems); first ones:")
            for p in result.problems { print("    \(p)") }
        }
        for warning in s.warnings { print("  note: \(warning)") }
    }
}

extension IngestOptions.ErrorPolicy: ExpressibleByArgument {}

/// `--date-order`: how slash dates read.
enum DateOrder: String, ExpressibleByArgument, CaseIterable {
    case auto, monthFirst = "month-first", dayFirst = "day-first"

    /// IngestOptions' `dayFirst`: nil lets the values decide.
    var dayFirst: Bool? {
        switch self {
        case .auto: nil
        case .monthFirst: false
        case .dayFirst: true
        }
    }
}
extension TimestampParser.EpochUnit: ExpressibleByArgument {}
