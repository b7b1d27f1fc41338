@testable import Expressions
import Foundation
import Testing

/// `std` (and so `zscore`) slides in O(n); every window must still equal the exact two-pass value (a
/// slow loop here, in 80-bit arithmetic) to 1e-12 relative, NaN for NaN,
/// on series made to break sliding sums: a large offset with tiny noise, jumps followed by
/// near-constant stretches, constant runs, NaN and infinity gaps, and real DJI closes.
@Suite struct RollingStdTests {
    /// Each window in two passes in 80-bit arithmetic around the last bar, the mean corrected by its
    /// residuals: the true standard deviation of the stored doubles to far below 1e-12 (checked
    /// with exact fractions; a float64 two-pass loop is off by whole ulps of the mean on an offset
    /// of 1e10 with 1e-3 noise, and even 80 bits are off by 5e-10 without the shift).
    static func twoPass(_ x: [Double], window w: Int) -> [Double] {
        x.indices.map { i in
            guard i >= w - 1 else { return .nan }
            // Shifted by the last bar first, exactly for values within 2^11 of it, so the mean's
            // rounding is relative to the deviations, not to the level.
            let slice = x[(i - w + 1)...i].map { Float80($0) - Float80(x[i]) }
            if slice.allSatisfy({ $0 == 0 }) && x[i].isFinite { return 0 }
            guard slice.allSatisfy(\.isFinite) else { return .nan }
            let count = Float80(w)
            var m = slice.reduce(0, +) / count
            m += slice.reduce(0) { $0 + ($1 - m) } / count
            return Double((slice.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (count - 1)).squareRoot())
        }
    }

    static func adversarial(seed: UInt64) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var x: [Double] = []
        var level = 1e6
        for i in 0..<6_000 {
            switch (i / 500) % 6 {
            case 0: x.append(level + uniform() * 1e-3)                          // offset 1e6, noise 1e-3
            case 1: x.append(uniform() < 0.01 ? level * 1e3 : level + uniform()) // rare huge spikes
            case 2: x.append(i % 50 < 30 ? 42 : 42 + uniform() * 1e-9)           // constant runs, then 1e-9 noise
            case 3: x.append(uniform() < 0.005 ? .nan : uniform() * 100)        // NaN gaps
            case 4: x.append(uniform() < 0.002 ? .infinity : -level + uniform()) // infinities, negative offset
            default:
                if i % 97 == 0 { level *= uniform() < 0.5 ? 1e-4 : 1e4 }        // jumps, then near-constant
                x.append(level * (1 + uniform() * 1e-8))
            }
        }
        return x
    }

    static func evaluate(_ expression: String, on x: [Double]) throws -> [Double] {
        let frame = Frame(symbols: ["X"], bars: x.count, columns: ["close": x])
        var graph = ExpressionGraph()
        let root = try Compiler(columns: frame.columnNames).compile(expression, expecting: .number, into: &graph)
        return Evaluator(graph: graph).evaluate([root], on: frame)[0]
    }

    static func expectClose(_ got: [Double], _ want: [Double], _ label: String) {
        #expect(got.count == want.count)
        var worst = 0.0, worstBar = -1
        for i in want.indices {
            if want[i].isNaN || got[i].isNaN {
                #expect(want[i].isNaN == got[i].isNaN, "\(label): bar \(i) got \(got[i]), want \(want[i])")
                continue
            }
            let error = abs(got[i] - want[i]) / Swift.max(abs(want[i]), .leastNormalMagnitude)
            if want[i] == 0 { #expect(got[i] == 0, "\(label): bar \(i) got \(got[i]) for a constant window") }
            if error > worst { worst = error; worstBar = i }
        }
        #expect(worst <= 1e-12, "\(label): worst relative error \(worst) at bar \(worstBar)")
    }

    @Test(arguments: [2, 3, 20, 100, 777])
    func stdEqualsTheTwoPassValueOfEveryWindow(window: Int) throws {
        for seed: UInt64 in [1, 2, 3] {
            let x = Self.adversarial(seed: seed)
            Self.expectClose(try Self.evaluate("std(close, \(window))", on: x), Self.twoPass(x, window: window), "std w=\(window) seed \(seed)")
        }
    }

    /// (`zscore` on real data is checked against exact windows in `PandasAgreementTests`.)
    @Test func stdOnRealCloses() throws {
        let close = try RealData.frame("dji").columns["close"]!
        for window in [5, 20, 250, 2_000] {
            Self.expectClose(try Self.evaluate("std(close, \(window))", on: close), Self.twoPass(close, window: window), "DJI std w=\(window)")
        }
    }

    /// A sweep computes the `std`s (or `zscore`s) of one series over several windows together, a
    /// window a vector lane, up to four a pass; each must have exactly the bits of its window
    /// computed alone, on real closes, on the adversarial series, after a stretch of leading NaNs
    /// (as `pct_change` gives), and over a start of identical values.
    @Test(arguments: ["std", "zscore"])
    func windowsComputedTogetherHaveTheBitsOfEachAlone(function: String) throws {
        let close = try RealData.frame("dji").columns["close"]!
        let series: [(String, [Double])] = [
            ("DJI", close),
            ("adversarial", Self.adversarial(seed: 4)),
            ("leading NaNs", [Double](repeating: .nan, count: 37) + close.prefix(1_500)),
            ("constant start", [Double](repeating: 42, count: 120) + close.prefix(1_500)),
        ]
        for windows in [[20, 50], [5, 10, 20, 40], [2, 3, 5, 10, 20, 30, 50, 100, 250]] {
            for (label, x) in series {
                let frame = Frame(symbols: ["X"], bars: x.count, columns: ["close": x])
                var graph = ExpressionGraph()
                let compiler = Compiler(columns: frame.columnNames)
                let roots = try windows.map { try compiler.compile("\(function)(close, \($0))", expecting: .number, into: &graph) }
                let evaluator = Evaluator(graph: graph)
                // They are computed together: units of two to four windows, none alone.
                let units = evaluator.workUnits(roots, frame: frame, known: [:])
                #expect(units.allSatisfy { (2...4).contains($0.count) } && units.map(\.count).reduce(0, +) == windows.count, "\(units)")
                let together = evaluator.evaluate(shared: roots, on: frame, threads: 2)
                for (w, root) in zip(windows, roots) {
                    let alone = try Self.evaluate("\(function)(close, \(w))", on: x)
                    let differing = alone.indices.filter { alone[$0].bitPattern != together[root]![$0].bitPattern && !(alone[$0].isNaN && together[root]![$0].isNaN) }
                    #expect(differing.isEmpty, "\(label) \(function)(close, \(w)) among \(windows): \(differing.count) bars differ, the first \(differing.first.map { "\($0): \(together[root]![$0]) vs \(alone[$0])" } ?? "")")
                }
            }
        }
    }
}
