import Foundation
import Ingest
import PythonCheck
import Testing

/// `qf data export` (issue 15): real TradeMaster files ingested, exported as pandas' HDF5 and as
/// CSV, and read back by pandas and PyTables from the venv `make test` prepares — every value,
/// date and column against pandas' own reading of the source CSV; one key per symbol of a
/// 29-symbol DJ30 file; an integer index for a file without a time axis.
@Suite struct BarFileExportTests {
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(.enabled(if: PythonCheck.isAvailable))
    func pandasReadsTheExportAsTheSourceCSV() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dji = "\(CSVIngestTests.data)/portfolio_management/dj30/DJI.csv", dj30 = "\(CSVIngestTests.data)/portfolio_management/dj30/valid.csv"
        var written: [String] = []
        for (source, name) in [(dji, "dji"), (dj30, "dj30")] {
            let bars = dir.appendingPathComponent("\(name).h5").path
            _ = try CSVIngestor.ingest(csv: source, to: bars)
            let file = try BarFile(path: bars)
            for format in BarFileExport.Format.allCases {
                let out = dir.appendingPathComponent("\(name).\(format == .csv ? "csv" : "pd.h5")").path
                try BarFileExport.export(file, format: format, to: out)
                written.append(out)
            }
        }
        let rows = dir.appendingPathComponent("rows.csv").path, rowBars = dir.appendingPathComponent("rows.h5").path
        try Data("a,close\n1,10.5\n2,11.25\n3,9.75\n".utf8).write(to: URL(fileURLWithPath: rows))
        _ = try CSVIngestor.ingest(csv: rows, to: rowBars)
        let rowExport = dir.appendingPathComponent("rows.pd.h5").path
        try BarFileExport.export(try BarFile(path: rowBars), format: .pandas, to: rowExport)
        let script = """
        import sys, warnings
        import numpy as np, pandas as pd
        warnings.filterwarnings("ignore")
        dji_src, dj30_src, dji_csv, dji_pd, dj30_csv, dj30_pd, rows_pd = sys.argv[1:]  # formats in Format.allCases order
        src = pd.read_csv(dji_src)
        df = pd.read_hdf(dji_pd, key="DJI")
        assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "date", df.index
        assert (df.index == pd.to_datetime(src["date"])).all()
        for column in ["open", "high", "low", "close", "adjcp"]:
            assert np.array_equal(df[column].to_numpy(), src[column].to_numpy()), column
        assert np.array_equal(df["volume"].to_numpy(), src["Volume"].to_numpy(dtype=float))
        csv = pd.read_csv(dji_csv, index_col="date", parse_dates=True)
        assert np.array_equal(csv[df.columns].to_numpy(), df.to_numpy()) and (csv.index.tz_localize(None) == df.index).all()
        src = pd.read_csv(dj30_src)
        with pd.HDFStore(dj30_pd, "r") as store:
            keys = sorted(k.strip("/") for k in store.keys())
        assert keys == sorted(src["tic"].unique()) and len(keys) == 29, keys
        for tic in ["AAPL", "AMGN", "WMT"]:
            frame = pd.read_hdf(dj30_pd, key=tic)
            mine = src[src["tic"] == tic]
            assert (frame.index == pd.to_datetime(mine["date"]).to_numpy()).all(), tic
            assert np.array_equal(frame["close"].to_numpy(), mine["close"].to_numpy()), tic
            assert np.array_equal(frame["zclose"].to_numpy(), mine["zclose"].to_numpy()), tic
        long = pd.read_csv(dj30_csv)
        assert len(long) == len(src) and set(long["symbol"]) == set(keys)
        numbered = pd.read_hdf(rows_pd, key=pd.HDFStore(rows_pd, "r").keys()[0].strip("/"))
        assert list(numbered.index) == [0, 1, 2] and list(numbered["close"]) == [10.5, 11.25, 9.75], numbered
        print("ok")
        """
        let (status, output) = try PythonCheck.run(script, arguments: [dji, dj30] + written + [rowExport])
        #expect(status == 0 && output.contains("ok"), "pandas: \(output)")
    }

    @Test func badRequestsNameWhatIsWrongAndLeaveNothing() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("x.csv").path, bars = dir.appendingPathComponent("x.h5").path
        try Data("date,close\n2021-01-01,1\n2021-01-02,2\n".utf8).write(to: URL(fileURLWithPath: csv))
        _ = try CSVIngestor.ingest(csv: csv, to: bars)
        let out = dir.appendingPathComponent("out.h5").path
        #expect { try BarFileExport.export(try BarFile(path: bars), symbols: ["NOPE"], format: .pandas, to: out) } throws: { "\($0)".contains("NOPE") }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains(".part-") }, "no temporary file left")
    }
}
