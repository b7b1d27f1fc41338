import Foundation

/// Applies preprocessing operations to a bar file and writes the result as new files; the input
/// is never changed. Each output records its lineage (source file, the source's own lineage, the
/// operations with their parameters) in its root `lineage` attribute, and each normalized column
/// keeps its fitted `normalization_center` / `normalization_scale` so `fit_from` can apply the
/// same transform to later data.
///
/// Works one symbol at a time, holding that symbol's columns in memory.
public enum Preprocessor {
    /// Runs `operations` on `input` and writes `output` (or, when the last operation is a split,
    /// `<output stem>_train.h5`, `_valid.h5` and `_test.h5`). Returns the paths written.
    public static func run(input: String, operations: [PreprocessOperation], output: String) throws -> [String] {
        for (i, op) in operations.enumerated() {
            try op.validate(position: i)
            if op.type == .split && i != operations.count - 1 { throw IngestError.invalidInput("operations[\(i)] (split): split must be the last operation") }
        }
        let source = try BarFile(path: input)
        var tables: [SymbolTable] = []
        for symbol in source.symbols {
            var table = try SymbolTable(file: source, symbol: symbol)
            for (i, op) in operations.enumerated() where op.type != .split { try table.apply(op, position: i) }
            tables.append(table)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let opsJSON = String(decoding: try encoder.encode(operations), as: UTF8.self)
        let sourceLineage = source.metadata.extra["lineage"]?.stringValue ?? "null"
        func lineage(_ part: String?) -> String {
            "{\"operation\":\"preprocess\",\"source\":\(jsonQuoted(input)),\"source_lineage\":\(sourceLineage),\"operations\":\(opsJSON)\(part.map { ",\"split\":\"\($0)\"" } ?? "")}"
        }
        guard let split = operations.last, split.type == .split else {
            try write(tables, rows: { _ in nil }, to: output, source: source, lineage: lineage(nil))
            return [output]
        }
        let stem = output.hasSuffix(".h5") ? String(output.dropLast(3)) : output
        var paths: [String] = []
        for (part, name) in ["train", "valid", "test"].enumerated() {
            let path = "\(stem)_\(name).h5"
            try write(tables, rows: { try $0.splitRange(split, part: part) }, to: path, source: source, lineage: lineage(name))
            paths.append(path)
        }
        return paths
    }

    static func write(_ tables: [SymbolTable], rows: (SymbolTable) throws -> Range<Int>?, to path: String, source: BarFile, lineage: String) throws {
        var metadata = BarFileMetadata(frequency: source.metadata.frequency, source: source.path)
        metadata.extra["lineage"] = .string(lineage)
        if let axis = source.metadata.extra["time_axis"] { metadata.extra["time_axis"] = axis }
        let writer = try BarFileWriter(path: path, metadata: metadata)
        for table in tables {
            let range = try rows(table) ?? 0..<table.timestamps.count
            let specs = table.names.map { name -> ColumnSpec in
                var spec = ColumnSpec(name)
                spec.attributes = table.attributes[name] ?? [:]
                return spec
            }
            let symbol = try writer.addSymbol(table.symbol, columns: specs, attributes: table.groupAttributes)
            try symbol.append(timestamps: Array(table.timestamps[range]), columns: table.names.map { Array(table.columns[$0]![range]) })
        }
        try writer.commit()
    }
}

/// One symbol's columns in memory while operations run.
struct SymbolTable {
    let symbol: String
    var timestamps: [Int64]
    var names: [String]
    var columns: [String: [Double]]
    var attributes: [String: [String: HDF5AttributeValue]]
    var groupAttributes: [String: HDF5AttributeValue]

    init(file: BarFile, symbol: String) throws {
        self.symbol = symbol
        timestamps = try file.timestamps(of: symbol)
        names = try file.columns(of: symbol)
        var columns: [String: [Double]] = [:], attributes: [String: [String: HDF5AttributeValue]] = [:]
        for name in names {
            columns[name] = try file.column(name, of: symbol)
            attributes[name] = try file.attributes(of: symbol, column: name)
        }
        self.columns = columns
        self.attributes = attributes
        groupAttributes = try file.attributes(of: symbol)
    }

    func targets(_ op: PreprocessOperation, position: Int) throws -> [String] {
        guard let wanted = op.columns else { return names }
        for name in wanted where columns[name] == nil {
            throw IngestError.invalidInput("operations[\(position)] (\(op.type.rawValue)): symbol \(symbol) has no column '\(name)' (it has \(names.joined(separator: ", ")))")
        }
        return wanted
    }

    mutating func apply(_ op: PreprocessOperation, position: Int) throws {
        switch op.type {
        case .fillMissing:
            let method = FillMethod(rawValue: op.method!)!
            for name in try targets(op, position: position) { columns[name] = ColumnTransforms.fill(columns[name]!, method: method) }
        case .normalize:
            let method = NormalizeMethod(rawValue: op.method!)!
            let fitted = try op.fitFrom.map { try BarFile(path: $0) }
            for name in try targets(op, position: position) {
                var center: Double, scale: Double
                if let fitted {
                    let stored = try fitted.attributes(of: symbol, column: name)
                    guard case .double(let c)? = stored["normalization_center"], case .double(let s)? = stored["normalization_scale"],
                          stored["normalization"]?.stringValue == method.rawValue else {
                        throw IngestError.invalidInput("operations[\(position)] (normalize): \(fitted.path) holds no \(method.rawValue) parameters for \(symbol)/\(name)")
                    }
                    (center, scale) = (c, s)
                } else {
                    (center, scale) = ColumnTransforms.fitNormalization(columns[name]!, method: method)
                }
                columns[name] = ColumnTransforms.normalize(columns[name]!, center: center, scale: scale)
                attributes[name, default: [:]]["normalization"] = .string(method.rawValue)
                attributes[name, default: [:]]["normalization_center"] = .double(center)
                attributes[name, default: [:]]["normalization_scale"] = .double(scale)
            }
        case .dropMissing:
            let checked = try targets(op, position: position)
            let keep = timestamps.indices.filter { row in checked.allSatisfy { !columns[$0]![row].isNaN } }
            timestamps = keep.map { timestamps[$0] }
            for name in names { columns[name] = keep.map { [column = columns[name]!] in column[$0] } }
        case .tradeMasterFeatures:
            for required in ["open", "high", "low", "close"] where columns[required] == nil {
                throw IngestError.invalidInput("operations[\(position)] (trademaster_features): symbol \(symbol) has no '\(required)' column")
            }
            let features = TradeMasterFeatures.compute(open: columns["open"]!, high: columns["high"]!, low: columns["low"]!,
                                                       close: columns["close"]!, adjcp: columns["adjcp"])
            for name in TradeMasterFeatures.names {
                if columns[name] == nil { names.append(name) }
                columns[name] = features[name]
                attributes[name] = ["description": .string("TradeMaster feature \(name)")]
            }
        case .split:
            break
        }
    }

    /// Rows of part 0 (train), 1 (valid) or 2 (test).
    func splitRange(_ op: PreprocessOperation, part: Int) throws -> Range<Int> {
        let n = timestamps.count
        var cuts: [Int]
        if let boundaries = op.boundaries {
            cuts = boundaries.map { b in
                let t = PreprocessOperation.parseDate(b)!
                return timestamps.firstIndex { $0 >= t } ?? n
            }
        } else {
            let f = op.fractions!
            cuts = [Int((Double(n) * f[0]).rounded(.down)), Int((Double(n) * (f[0] + f[1])).rounded(.down))]
        }
        let bounds = [0, cuts[0], max(cuts[0], cuts[1]), n]
        return bounds[part]..<bounds[part + 1]
    }
}
