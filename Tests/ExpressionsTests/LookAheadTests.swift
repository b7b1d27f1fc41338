@testable import Expressions
@testable import Ingest
import Testing

/// Nothing can read a later bar: changing every bar after bar i leaves every value up to bar i
/// unchanged, bit for bit, for every function.
@Suite struct LookAheadTests {
    static let expressions = PandasAgreementTests.cases.map(\.0) + [
        "cs_rank(close)", "cs_zscore(diff(close, 1))", "cs_demean(volume)", "corr(rank(close, 5), volume, 10)", "zscore(ema(close, 5), 30)",
    ]

    @Test func perturbingLaterBarsChangesNothingBefore() throws {
        let real = try RealData.frame("dji")
        // Two symbols (DJI and a scaled copy), so the cross-sectional functions have company.
        let bars = 1_500
        var columns: [String: [Double]] = [:]
        for (name, values) in real.columns {
            let head = Array(values.prefix(bars))
            columns[name] = head + head.map { $0 * 1.1 + 1 }
        }
        let frame = Frame(symbols: ["DJI", "COPY"], bars: bars, columns: columns)
        var graph = ExpressionGraph()
        let compiler = Compiler(columns: frame.columnNames)
        var roots: [Int] = []
        for text in Self.expressions {
            if let root = try? compiler.compile(text, expecting: .number, into: &graph) { roots.append(root); continue }
            roots.append(try compiler.compile(text, expecting: .condition, into: &graph))
        }
        let evaluator = Evaluator(graph: graph)
        let whole = evaluator.evaluate(roots, on: frame)
        var rng = SplitMix64(seed: 5)
        for cut in [0, 1, 13, 29, 60, 500, 1_021, 1_024, 1_300, bars - 2] {
            var perturbed = frame
            for name in frame.columnNames {
                for s in 0..<2 {
                    for i in (cut + 1)..<bars {
                        let factor = 0.5 + Double(rng.next() % 1_000) / 1_000
                        perturbed.columns[name]![s * bars + i] *= (i % 7 == 0 ? -factor : factor)
                    }
                }
            }
            let changed = evaluator.evaluate(roots, on: perturbed)
            for (k, text) in Self.expressions.enumerated() {
                for s in 0..<2 {
                    for i in 0...cut {
                        let a = whole[k][s * bars + i], b = changed[k][s * bars + i]
                        #expect(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN), "\(text): bar \(i) changed when bars after \(cut) did (\(a) → \(b))")
                        if !(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)) { break }
                    }
                }
            }
        }
    }
}
