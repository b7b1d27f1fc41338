import ArgumentParser
import Foundation
import Ingest

/// `qf data preprocess FILE.h5 --op … --out NEW.h5`: the seed's preprocessing operations.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess", abstract: "Apply preprocessing operations and write a new bar file.",
        discussion: """
        Each --op is the seed's JSON ({"type":"fill_missing","method":"forward_fill","columns":["close"]})
        or a short form: fill_missing:forward_fill[:col,col], normalize:z_score[:cols], drop_missing[:cols],
        trademaster_features, split:dates=2020-01-01,2021-01-01, split:fractions=0.7,0.15,0.15.
        """)

    @Argument(help: "The input bar file.") var file: String
    @Option(name: .customLong("op"), help: "An operation (JSON or short form); repeat in order.") var operations: [String] = []
    @Option(help: "Output file (split writes <stem>_train/_valid/_test.h5).") var out: String

    func run() throws {
        guard !operations.isEmpty else { throw ValidationError("give at least one --op") }
        let parsed = try operations.enumerated().map { try Self.parse($0.element, position: $0.offset) }
        let written = try Preprocessor.run(input: file, operations: parsed, output: out)
        for path in written {
            let bars = try BarFile(path: path)
            let rows = try bars.symbols.reduce(0) { $0 + (try bars.rowCount(of: $1)) }
            print("Wrote \(path): \(rows) rows, \(bars.symbols.count) symbol\(bars.symbols.count == 1 ? "" : "s")")
        }
    }

    static func parse(_ text: String, position: Int) throws -> PreprocessOperation {
        if text.hasPrefix("{") {
            do { return try JSONDecoder().decode(PreprocessOperation.self, from: Data(text.utf8)) } catch {
                throw ValidationError("--op \(position + 1): not a valid operation: \(error)")
            }
        }
        let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
        guard let type = PreprocessOperation.Kind(rawValue: parts[0]) else {
            throw ValidationError("--op \(position + 1): unknown operation '\(parts[0])' (fill_missing, normalize, drop_missing, trademaster_features, split)")
        }
        var op = PreprocessOperation(type: type)
        switch type {
        case .fillMissing, .normalize:
            op.method = parts.count > 1 ? parts[1] : nil
            op.columns = parts.count > 2 ? parts[2].split(separator: ",").map(String.init) : nil
        case .dropMissing:
            op.columns = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : nil
        case .split:
            guard parts.count > 1 else { throw ValidationError("--op \(position + 1): split needs dates=… or fractions=…") }
            let spec = parts[1...].joined(separator: ":")
            if spec.hasPrefix("dates=") { op.boundaries = spec.dropFirst(6).split(separator: ",").map(String.init) }
            else if spec.hasPrefix("fractions=") { op.fractions = try spec.dropFirst(10).split(separator: ",").map { guard let v = Double($0) else { throw ValidationError("--op \(position + 1): '\($0)' is not a number") }; return v } }
            else { throw ValidationError("--op \(position + 1): split needs dates=… or fractions=…") }
        case .tradeMasterFeatures:
            break
        }
        return op
    }
}

/// `qf data synth`: a deterministic synthetic dataset for demos and benchmarks.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth", abstract: "Generate synthetic OHLCV bars (seeded random walk with regimes).")

    @Option(help: "Output file (.h5, or .csv for a CSV file).") var out = "data/synthetic.h5"
    @Option(help: "Number of symbols.") var symbols = 1
    @Option(help: "Bars per symbol.") var bars = 2_000
    @Option(help: "Seed.") var seed: UInt64 = 42
    @Option(help: "Bar spacing in seconds (86400 = daily).") var spacing: Int64 = 86_400
    @Option(help: "First bar (ISO 8601).") var start = "2015-01-01"

    func run() throws {
        guard let first = Array(start.utf8).withUnsafeBufferPointer({ TimestampParser.parse($0) }) else { throw ValidationError("--start: '\(start)' is not a date") }
        guard symbols >= 1, bars >= 1 else { throw ValidationError("--symbols and --bars must be positive") }
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let generator = SyntheticBars(seed: seed)
        let names = (0..<symbols).map { symbols == 1 ? "SYN" : "SYN\($0)" }
        let times = (0..<bars).map { first + Int64($0) * spacing * 1_000_000_000 }
        if out.hasSuffix(".csv") {
            try writeCSV(generator, names: names, times: times)
        } else {
            var metadata = BarFileMetadata(frequency: spacing == 86_400 ? "1D" : "\(spacing)s", source: "qf data synth --seed \(seed)")
            metadata.extra["lineage"] = .string("{\"operation\":\"synth\",\"seed\":\(seed),\"bars\":\(bars),\"symbols\":\(symbols)}")
            let writer = try BarFileWriter(path: out, metadata: metadata)
            for (k, name) in names.enumerated() {
                let b = generator.generate(count: bars, symbolIndex: k)
                let columns = [ColumnSpec("open", units: "USD"), ColumnSpec("high", units: "USD"), ColumnSpec("low", units: "USD"),
                               ColumnSpec("close", units: "USD"), ColumnSpec("volume", units: "shares"),
                               ColumnSpec("regime", description: "0 bull, 1 bear, 2 sideways")]
                try writer.addSymbol(name, columns: columns).append(timestamps: times, columns: [b.open, b.high, b.low, b.close, b.volume, b.regime])
            }
            try writer.commit()
        }
        print("Wrote \(out): \(symbols) symbol\(symbols == 1 ? "" : "s") × \(bars) bars, seed \(seed)")
    }

    func writeCSV(_ generator: SyntheticBars, names: [String], times: [Int64]) throws {
        guard FileManager.default.createFile(atPath: out, contents: nil) else { throw CommandFailure("cannot create \(out)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        defer { try? handle.close() }
        var text = names.count > 1 ? "date,tic,open,high,low,close,volume\n" : "date,open,high,low,close,volume\n"
        for (k, name) in names.enumerated() {
            let b = generator.generate(count: times.count, symbolIndex: k)
            for i in times.indices {
                let date = TimestampParser.format(times[i]).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
                text += names.count > 1 ? "\(date),\(name)," : "\(date),"
                text += String(format: "%.6f,%.6f,%.6f,%.6f,%.0f\n", b.open[i], b.high[i], b.low[i], b.close[i], b.volume[i])
                if text.utf8.count > 1 << 20 { try handle.write(contentsOf: Data(text.utf8)); text = "" }
            }
        }
        try handle.write(contentsOf: Data(text.utf8))
    }
}
