import Foundation

/// A bar file's symbols written out for other tools (`qf data export`):
/// - `csv`: one row per bar — `date` (ISO 8601, UTC; `row` numbers for a file without a time
///   axis), then `symbol` when several are written, then every column; NaN as an empty cell;
///   numbers in their shortest exact decimal form;
/// - `pandas`: the HDF5 layout `DataFrame.to_hdf(path, key=SYMBOL, format="fixed")` writes
///   (PyTables' fixed frame: axis0 the column names, axis1 the index, one float64 block), so
///   `pd.read_hdf(path, key=SYMBOL)` opens each symbol as a DataFrame indexed by a
///   `DatetimeIndex` named `date` (an integer index for a file without a time axis).
/// Written to a temporary file and renamed: a failed export leaves nothing behind.
public enum BarFileExport {
    /// The output format.
    public enum Format: String, CaseIterable, Sendable {
        case csv, pandas
    }

    /// Writes `symbols` (nil: all) of `file` to `path` in `format`.
    public static func export(_ file: BarFile, symbols wanted: [String]? = nil, format: Format, to path: String) throws {
        let symbols = wanted ?? file.symbols
        guard !symbols.isEmpty else { throw IngestError.invalidInput("\(file.path) holds no symbols to export") }
        for symbol in symbols where !file.symbols.contains(symbol) {
            throw IngestError.invalidInput("--symbol \(symbol): \(file.path) has no such symbol (it has \(file.symbols.joined(separator: ", ")))")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).part-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        switch format {
        case .csv: try writeCSV(file, symbols: symbols, to: temporary)
        case .pandas: try writePandas(file, symbols: symbols, to: temporary)
        }
        guard rename(temporary, path) == 0 else { throw IngestError.invalidInput("\(path): cannot write the export (errno \(errno))") }
    }

    static func writeCSV(_ file: BarFile, symbols: [String], to path: String) throws {
        let timed = file.metadata.hasTimestamps
        var columns: [String] = []
        for symbol in symbols { for name in try file.columns(of: symbol) where !columns.contains(name) { columns.append(name) } }
        var text = ([timed ? "date" : "row"] + (symbols.count > 1 ? ["symbol"] : []) + columns).joined(separator: ",") + "\n"
        for symbol in symbols {
            let times = try file.timestamps(of: symbol)
            let present = try file.columns(of: symbol)
            let values = try columns.map { present.contains($0) ? try file.column($0, of: symbol) : [Double](repeating: .nan, count: times.count) }
            for row in times.indices {
                var cells = [timed ? TimestampParser.format(times[row]) : String(row)]
                if symbols.count > 1 { cells.append(symbol) }
                for column in values { cells.append(column[row].isNaN ? "" : "\(column[row])") }
                text += cells.joined(separator: ",") + "\n"
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw IngestError.invalidInput("\(path): cannot create the file")
        }
    }

    static func writePandas(_ file: BarFile, symbols: [String], to path: String) throws {
        for symbol in symbols where symbol.contains("/") || symbol.isEmpty {
            throw IngestError.invalidInput("symbol '\(symbol)' cannot be a pandas key (no '/' and not empty); export it as csv")
        }
        let h5 = try HDF5File.create(path)
        defer { h5.close() }
        try tagPyTablesGroup(h5, "/")
        try h5.setFixedStringAttribute("PYTABLES_FORMAT_VERSION", "2.1", on: "/")
        let timed = file.metadata.hasTimestamps
        for symbol in symbols {
            let group = "/\(symbol)"
            try h5.createGroup(group)
            try tagPyTablesGroup(h5, group)
            for (name, value) in [("pandas_type", "frame"), ("pandas_version", "0.15.2"), ("encoding", "UTF-8"), ("errors", "strict"),
                                  ("axis0_variety", "regular"), ("axis1_variety", "regular"), ("block0_items_variety", "regular")] {
                try h5.setFixedStringAttribute(name, value, on: group)
            }
            try h5.setAttribute("ndim", .integer(2), on: group)
            try h5.setAttribute("nblocks", .integer(1), on: group)
            let columns = try file.columns(of: symbol), times = try file.timestamps(of: symbol)
            for items in ["axis0", "block0_items"] {
                try h5.writeFixedStrings("\(group)/\(items)", columns)
                try tagPyTablesArray(h5, "\(group)/\(items)")
                try h5.setFixedStringAttribute("kind", "string", on: "\(group)/\(items)")
            }
            let index = "\(group)/axis1"
            if timed {
                try h5.writeInt64s(index, times)
                try tagPyTablesArray(h5, index)
                try h5.setFixedStringAttribute("kind", "datetime64[ns]", on: index)
                try h5.setFixedStringAttribute("index_class", "datetime", on: index)
                try h5.setFixedStringAttribute("name", "date", on: index)
            } else {
                try h5.writeInt64s(index, times.indices.map(Int64.init))
                try tagPyTablesArray(h5, index)
                try h5.setFixedStringAttribute("kind", "integer", on: index)
            }
            // One block of every column, row-major (rows × columns), marked transposed as pandas
            // stores its column-major blocks.
            let data = try columns.map { try file.column($0, of: symbol) }
            var values = [Double](repeating: .nan, count: times.count * columns.count)
            for (j, column) in data.enumerated() { for i in times.indices { values[i * columns.count + j] = column[i] } }
            try h5.writeDoubles("\(group)/block0_values", rows: times.count, columns: columns.count, values)
            try tagPyTablesArray(h5, "\(group)/block0_values")
        }
        try h5.flush()
    }

    /// PyTables' own attributes on a group (it reads nodes by them).
    static func tagPyTablesGroup(_ h5: HDF5File, _ path: String) throws {
        try h5.setFixedStringAttribute("CLASS", "GROUP", on: path)
        try h5.setFixedStringAttribute("VERSION", "1.0", on: path)
        try h5.setFixedStringAttribute("TITLE", "", on: path)
    }

    /// PyTables' own attributes on an array, and pandas' `transposed` flag.
    static func tagPyTablesArray(_ h5: HDF5File, _ path: String) throws {
        try h5.setFixedStringAttribute("CLASS", "ARRAY", on: path)
        try h5.setFixedStringAttribute("VERSION", "2.4", on: path)
        try h5.setFixedStringAttribute("TITLE", "", on: path)
        try h5.setFixedStringAttribute("FLAVOR", "numpy", on: path)
        try h5.setByteAttribute("transposed", 1, on: path)
    }
}
