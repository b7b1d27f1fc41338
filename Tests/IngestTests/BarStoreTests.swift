import Foundation
@testable import Ingest
import PythonCheck
import Testing

/// The HDF5 bar store: layout, round trips, range reads, panels, atomic writes, h5py.
@Suite struct BarStoreTests {
    /// Writes two symbols with `rows` rows, appended in uneven pieces; returns the path.
    func writeSample(in dir: URL, rows: Int = 1000, chunk: Int = 64) throws -> String {
        let path = dir.appendingPathComponent("bars.h5").path
        let writer = try BarFileWriter(path: path, metadata: BarFileMetadata(frequency: "1min", source: "unit test"), chunkLength: chunk)
        for (k, symbol) in ["AAA", "BRK.B"].enumerated() {
            let w = try writer.addSymbol(symbol, columns: [ColumnSpec("close", units: "USD"), ColumnSpec("volume", units: "shares")],
                                         attributes: ["exchange": .string("TEST")])
            var start = 0
            for piece in [1, 99, 400, rows - 500] {
                let range = start..<(start + piece)
                try w.append(timestamps: range.map { Int64($0) * 60_000_000_000 + Int64(k) },
                             columns: [range.map { 100 + Double($0) / 8 }, range.map { Double($0 % 13) }])
                start += piece
            }
        }
        try writer.setAttribute("lineage", .string("{\"source\":\"test\"}"))
        try writer.commit()
        return path
    }

    @Test func roundTripKeepsValuesAndAttributes() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeSample(in: dir)
        let file = try BarFile(path: path)
        #expect(file.symbols == ["AAA", "BRK.B"])
        #expect(file.metadata.frequency == "1min" && file.metadata.source == "unit test" && file.metadata.version == 1)
        #expect(file.metadata.extra["lineage"] == .string("{\"source\":\"test\"}"))
        #expect(try file.columns(of: "AAA") == ["close", "volume"])
        #expect(try file.rowCount(of: "BRK.B") == 1000)
        #expect(try file.timestamps(of: "BRK.B") == (0..<1000).map { Int64($0) * 60_000_000_000 + 1 })
        #expect(try file.column("close", of: "AAA") == (0..<1000).map { 100 + Double($0) / 8 })
        #expect(try file.attributes(of: "AAA", column: "close")["units"] == .string("USD"))
        #expect(try file.attributes(of: "AAA")["exchange"] == .string("TEST"))
        #expect(try file.openColumn("close", of: "AAA").chunkLength == 64)
        // Chunks that libhdf5's own zlib filter wrote decode through the parallel reader too.
        #expect(try file.openColumn("close", of: "AAA").readAllParallel() == (0..<1000).map { 100 + Double($0) / 8 })
        #expect(throws: IngestError.self) { try file.column("open", of: "AAA") }
        #expect(throws: IngestError.self) { try file.column("close", of: "ZZZ") }
    }

    @Test func rangeReadsReturnExactlyTheRowsInside() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try BarFile(path: try writeSample(in: dir))
        let minute: Int64 = 60_000_000_000
        #expect(try file.rows(of: "AAA", in: (10 * minute)...(20 * minute)) == 10..<21)
        #expect(try file.rows(of: "AAA", in: (10 * minute + 1)...(20 * minute - 1)) == 11..<20)
        #expect(try file.rows(of: "AAA", in: (-5 * minute)...(-1)) == 0..<0)
        #expect(try file.rows(of: "AAA", in: (2000 * minute)...(3000 * minute)).isEmpty)
        let slice = try file.read(["volume", "close"], of: "AAA", in: (500 * minute)...(700 * minute))
        #expect(slice.timestamps == (500...700).map { Int64($0) * minute })
        #expect(slice.columns[1] == (500...700).map { 100 + Double($0) / 8 })
        #expect(slice.columns[0] == (500...700).map { Double($0 % 13) })
    }

    @Test func panelsAlignInnerAndForwardFill() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("panel.h5").path
        let writer = try BarFileWriter(path: path, metadata: BarFileMetadata(frequency: "1D", source: "test"))
        try writer.addSymbol("A", columns: [ColumnSpec("close")]).append(timestamps: [1, 2, 3, 5], columns: [[10, 20, 30, 50]])
        try writer.addSymbol("B", columns: [ColumnSpec("close")]).append(timestamps: [2, 3, 4, 5, 6], columns: [[2, 3, 4, 5, 6]])
        try writer.commit()
        let file = try BarFile(path: path)
        let inner = try Panel(file: file, symbols: ["A", "B"], columns: ["close"], alignment: .inner)
        #expect(inner.timestamps == [2, 3, 5])
        #expect(inner.values[0][0] == [20, 30, 50])
        #expect(inner.values[0][1] == [2, 3, 5])
        let ffill = try Panel(file: file, symbols: ["A", "B"], columns: ["close"], alignment: .forwardFill)
        #expect(ffill.timestamps == [2, 3, 4, 5, 6])   // starts where every symbol has begun
        #expect(ffill.values[0][0] == [20, 30, 30, 50, 50])
        #expect(ffill.filled[0] == [false, false, true, false, true])
        #expect(ffill.values[0][1] == [2, 3, 4, 5, 6] && ffill.filled[1].allSatisfy { !$0 })
    }

    @Test func failedWriteLeavesNothingAndKeepsTheOldFile() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeSample(in: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let writer = try BarFileWriter(path: path, metadata: BarFileMetadata(frequency: "1D", source: "broken"))
            _ = try writer.addSymbol("X", columns: [ColumnSpec("close")])
            _ = try writer.addSymbol("X", columns: [ColumnSpec("close")])  // throws: added twice
            try writer.commit()
            Issue.record("adding a symbol twice must fail")
        } catch IngestError.invalidInput(let message) {
            #expect(message.contains("symbol X added twice"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the existing file is untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["bars.h5"], "no temporary file is left")
        #expect(throws: IngestError.self) { try BarFileWriter(path: path, metadata: BarFileMetadata(frequency: "1D", source: "x")).addSymbol("bad/name", columns: []) }
    }

    @Test func notABarFileIsRejected() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("x.h5")
        try Data("not hdf5".utf8).write(to: text)
        #expect { try BarFile(path: text.path) } throws: { "\($0)".contains("is not an HDF5 file") }
        #expect { try BarFile(path: dir.appendingPathComponent("missing.h5").path) } throws: { "\($0)".contains("no such file") }
        let plain = dir.appendingPathComponent("plain.h5").path
        _ = try HDF5File.create(plain)
        #expect { try BarFile(path: plain) } throws: { "\($0)".contains("not a QuantForge bar file") }
    }

    /// h5py (from the venv `make test` prepares) sees every column and attribute.
    @Test(.enabled(if: PythonCheck.isAvailable))
    func h5pyReadsEverything() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try writeSample(in: dir)
        let script = """
        import sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r")
        assert f.attrs["format"] == "quantforge.bars", f.attrs["format"]
        assert f.attrs["version"] == 1 and f.attrs["frequency"] == "1min" and f.attrs["source"] == "unit test"
        assert "created_at" in f.attrs and f.attrs["lineage"] == '{"source":"test"}'
        assert sorted(f["symbols"].keys()) == ["AAA", "BRK.B"]
        g = f["symbols/AAA"]
        assert g.attrs["exchange"] == "TEST"
        assert sorted(g.keys()) == ["close", "timestamp", "volume"]
        t = g["timestamp"][:]
        assert t.dtype == np.int64 and len(t) == 1000 and t[1] == 60_000_000_000
        c = g["close"]
        assert c.dtype == np.float64 and c.chunks == (64,) and c.compression == "gzip" and c.shuffle
        assert np.array_equal(c[:], 100 + np.arange(1000) / 8)
        assert c.attrs["units"] == "USD" and g["timestamp"].attrs["units"].startswith("ns since")
        assert np.array_equal(np.asarray(t, dtype="datetime64[ns]")[:2], np.array(["1970-01-01T00:00", "1970-01-01T00:01"], dtype="datetime64[ns]"))
        print("ok")
        """
        let (status, output) = try PythonCheck.run(script, arguments: [path])
        #expect(status == 0, "h5py: \(output)")
    }
}
