import Foundation
@testable import Ingest
import Testing

/// Preprocessing operations: each transform against hand-worked values, lineage, splits,
/// fitted parameters reused on later data, and precise errors.
@Suite struct PreprocessTests {
    @Test func fillMethodsByHand() {
        let x: [Double] = [.nan, 1, .nan, .nan, 4, .nan]
        func same(_ a: [Double], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { ($0.isNaN && $1.isNaN) || $0 == $1 } && a.count == b.count }
        #expect(same(ColumnTransforms.fill(x, method: .forwardFill), [.nan, 1, 1, 1, 4, 4]))
        #expect(same(ColumnTransforms.fill(x, method: .backwardFill), [1, 1, 4, 4, 4, .nan]))
        #expect(same(ColumnTransforms.fill(x, method: .mean), [2.5, 1, 2.5, 2.5, 4, 2.5]))
        #expect(same(ColumnTransforms.fill(x, method: .zero), [0, 1, 0, 0, 4, 0]))
        #expect(same(ColumnTransforms.fill(x, method: .linear), [.nan, 1, 2, 3, 4, 4]))
    }

    @Test func normalizationParameters() {
        let x: [Double] = [2, 4, .nan, 6, 8]
        let mm = ColumnTransforms.fitNormalization(x, method: .minMax)
        #expect(mm.center == 2 && mm.scale == 6)
        let z = ColumnTransforms.fitNormalization(x, method: .zScore)
        #expect(z.center == 5 && abs(z.scale - 5.0.squareRoot()) < 1e-15)  // population std of 2,4,6,8
        #expect(ColumnTransforms.fitNormalization([3, 3], method: .zScore).scale == 1, "a constant column maps to 0, not NaN")
    }

    func sample(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("in.h5").path
        let writer = try BarFileWriter(path: path, metadata: BarFileMetadata(frequency: "1D", source: "test"))
        let day: Int64 = 86_400_000_000_000
        let t0: Int64 = 1_577_836_800_000_000_000  // 2020-01-01
        try writer.addSymbol("A", columns: [ColumnSpec("close", units: "USD"), ColumnSpec("volume")])
            .append(timestamps: (0..<10).map { t0 + Int64($0) * day },
                    columns: [[1, 2, .nan, 4, 5, 6, 7, 8, 9, 10], [5, 5, 5, .nan, 5, 5, 5, 5, 5, 5]])
        try writer.commit()
        return path
    }

    @Test func operationsRunInOrderAndRecordLineage() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try sample(in: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let out = dir.appendingPathComponent("out.h5").path
        let ops = [PreprocessOperation(type: .fillMissing, method: "linear", columns: ["close"]),
                   PreprocessOperation(type: .dropMissing),
                   PreprocessOperation(type: .normalize, method: "min_max", columns: ["close"])]
        #expect(try Preprocessor.run(input: input, operations: ops, output: out) == [out])
        let file = try BarFile(path: out)
        #expect(try file.rowCount(of: "A") == 9)  // the row with missing volume is dropped
        #expect(try file.column("close", of: "A") == [0, 1, 2, 4, 5, 6, 7, 8, 9].map { Double($0) / 9 })
        let attributes = try file.attributes(of: "A", column: "close")
        #expect(attributes["normalization"] == .string("min_max") && attributes["normalization_center"] == .double(1) && attributes["normalization_scale"] == .double(9))
        #expect(attributes["units"] == .string("USD"), "column attributes carry over")
        let lineage = try #require(file.metadata.extra["lineage"]?.stringValue)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(lineage.utf8)) as? [String: Any])
        #expect(json["source"] as? String == input && (json["operations"] as? [[String: Any]])?.count == 3)
        #expect((json["operations"] as? [[String: Any]])?.first?["method"] as? String == "linear")
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before, "the input is never changed")
    }

    @Test func splitsByFractionAndDateAndReusesFittedParameters() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try sample(in: dir)
        let out = dir.appendingPathComponent("s.h5").path
        let paths = try Preprocessor.run(input: input, operations: [
            PreprocessOperation(type: .fillMissing, method: "forward_fill"),
            PreprocessOperation(type: .normalize, method: "z_score", columns: ["close"]),
            PreprocessOperation(type: .split, fractions: [0.6, 0.2, 0.2]),
        ], output: out)
        #expect(paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["s_train.h5", "s_valid.h5", "s_test.h5"])
        #expect(try paths.map { try BarFile(path: $0).rowCount(of: "A") } == [6, 2, 2])
        let byDate = try Preprocessor.run(input: input, operations: [PreprocessOperation(type: .split, boundaries: ["2020-01-04", "2020-01-09"])],
                                          output: dir.appendingPathComponent("d.h5").path)
        #expect(try byDate.map { try BarFile(path: $0).rowCount(of: "A") } == [3, 5, 2])
        // Parameters fitted on train applied to the raw file reproduce train's values.
        let train = try BarFile(path: paths[0])
        let again = dir.appendingPathComponent("again.h5").path
        _ = try Preprocessor.run(input: input, operations: [
            PreprocessOperation(type: .fillMissing, method: "forward_fill"),
            PreprocessOperation(type: .normalize, method: "z_score", columns: ["close"], fitFrom: paths[0]),
        ], output: again)
        #expect(Array(try BarFile(path: again).column("close", of: "A").prefix(6)) == (try train.column("close", of: "A")))
    }

    @Test func badOperationsAreNamed() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try sample(in: dir)
        let out = dir.appendingPathComponent("x.h5").path
        func message(_ ops: [PreprocessOperation]) -> String {
            do { _ = try Preprocessor.run(input: input, operations: ops, output: out); return "ok" } catch { return "\(error)" }
        }
        #expect(message([PreprocessOperation(type: .fillMissing, method: "nearest")]).contains("operations[0] (fill_missing): method must be one of"))
        #expect(message([PreprocessOperation(type: .dropMissing), PreprocessOperation(type: .normalize, method: "z_score", columns: ["price"])])
            .contains("operations[1] (normalize): symbol A has no column 'price' (it has close, volume)"))
        #expect(message([PreprocessOperation(type: .split, fractions: [0.5, 0.25, 0.25]), PreprocessOperation(type: .dropMissing)]).contains("operations[0] (split): split must be the last operation"))
        #expect(message([PreprocessOperation(type: .tradeMasterFeatures)]).contains("has no 'open' column"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func operationsDecodeFromTheSeedsJSON() throws {
        let json = #"[{"type":"fill_missing","method":"forward_fill","columns":["price","volume"]},{"type":"normalize","method":"min_max","columns":["price"]}]"#
        let ops = try JSONDecoder().decode([PreprocessOperation].self, from: Data(json.utf8))
        #expect(ops == [PreprocessOperation(type: .fillMissing, method: "forward_fill", columns: ["price", "volume"]),
                        PreprocessOperation(type: .normalize, method: "min_max", columns: ["price"])])
    }

    @Test func syntheticBarsAreDeterministicAndConsistent() {
        let a = SyntheticBars(seed: 7).generate(count: 5000), b = SyntheticBars(seed: 7).generate(count: 5000)
        #expect(a.close == b.close && a.volume == b.volume)
        #expect(SyntheticBars(seed: 8).generate(count: 5000).close != a.close)
        #expect(SyntheticBars(seed: 7).generate(count: 5000, symbolIndex: 1).close != a.close)
        for i in 0..<5000 {
            #expect(a.high[i] >= max(a.open[i], a.close[i]) && a.low[i] <= min(a.open[i], a.close[i]) && a.low[i] > 0)
        }
        #expect(Set(a.regime).count == 3, "all three regimes occur")
    }
}
