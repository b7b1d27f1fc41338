import Backtest
import Foundation
@testable import Ingest
import PythonCheck
import Testing

/// The deflated Sharpe ratio and the probability of backtest overfitting against a reference
/// written from the papers' formulas in numpy (every CSCV split computed from the full return
/// matrix, not from block sums), on random strategies with and without skill and on a real
/// sweep's cells; and the known answers: pure noise is overfit about half the time and not
/// significant, one real edge among noise is neither.
@Suite struct OverfittingTests {
    /// T returns of N strategies (time-major): noise of 1% a period, plus `drift` for those listed.
    static func returns(periods: Int, strategies: Int, seed: UInt64, drift: [Int: Double] = [:]) -> [[Double]] {
        var noise = SplitMix64(seed: seed)   // Ingest's seeded generator: the same matrix for the same seed
        return (0..<periods).map { _ in (0..<strategies).map { j in 0.01 * noise.normal() + (drift[j] ?? 0) } }
    }

    static func fold(_ matrix: [[Double]], partitions: Int) throws -> ReturnBlocks {
        var blocks = try ReturnBlocks(partitions: partitions, observations: matrix.count)
        for j in matrix[0].indices {
            var strategy = blocks.accumulator()
            for row in matrix { strategy.add(row[j]) }
            blocks.append(strategy)
        }
        return blocks
    }

    static func bestSharpe(_ blocks: ReturnBlocks) -> Int {
        (0..<blocks.strategies).max { blocks.sharpe(of: $0) < blocks.sharpe(of: $1) }!
    }

    static let reference = """
        import sys, json, itertools, math, statistics
        import numpy as np
        path, T, N, S, sel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        M = np.fromfile(path, dtype='<f8').reshape(T, N)
        def sharpe(X):
            mu, sd = X.mean(axis=0), X.std(axis=0, ddof=1)
            out = np.zeros(X.shape[1]); ok = sd > 0; out[ok] = mu[ok] / sd[ok]
            return out
        blocks = np.array_split(np.arange(T), S)
        lam, best_is, best_oos = [], [], []
        for combo in itertools.combinations(range(S), S // 2):
            ins = np.concatenate([blocks[b] for b in combo])
            outs = np.concatenate([blocks[b] for b in range(S) if b not in combo])
            a, o = sharpe(M[ins]), sharpe(M[outs])
            w = int(np.argmax(a))
            rank = np.sum(o < o[w]) + (np.sum(o == o[w]) + 1) / 2
            omega = rank / (N + 1)
            lam.append(math.log(omega / (1 - omega))); best_is.append(a[w]); best_oos.append(o[w])
        lam = np.array(lam)
        srs = sharpe(M); r = M[:, sel]; sr = srs[sel]; V = np.var(srs, ddof=1)
        g = 0.5772156649015329; nd = statistics.NormalDist()
        sr0 = math.sqrt(V) * ((1 - g) * nd.inv_cdf(1 - 1 / N) + g * nd.inv_cdf(1 - 1 / (N * math.e)))
        d = r - r.mean(); m2 = np.mean(d ** 2)
        skew, kurt = np.mean(d ** 3) / m2 ** 1.5, np.mean(d ** 4) / m2 ** 2
        dsr = nd.cdf((sr - sr0) * math.sqrt(T - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr ** 2))
        print(json.dumps({"pbo": float(np.mean(lam <= 0)), "median_logit": float(np.median(lam)), "splits": len(lam),
                          "loss": float(np.mean(np.array(best_oos) < 0)), "slope": float(np.polyfit(best_is, best_oos, 1)[0]),
                          "sharpe": float(sr), "variance": float(V), "expected_max": sr0, "skew": float(skew), "kurt": float(kurt), "dsr": dsr}))
        """

    /// The reference's figures for `matrix` (time-major) and the selected strategy.
    static func referenceFigures(_ matrix: [[Double]], partitions: Int, selected: Int) throws -> [String: Double] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qf-overfit-\(UUID().uuidString).f64")
        defer { try? FileManager.default.removeItem(at: file) }
        var flat = matrix.flatMap { $0 }
        try Data(bytes: &flat, count: flat.count * 8).write(to: file)
        let (status, output) = try PythonCheck.run(reference, arguments: [file.path, String(matrix.count), String(matrix[0].count), String(partitions), String(selected)])
        try #require(status == 0, "\(output)")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    static func close(_ a: Double, _ b: Double?, _ tolerance: Double) -> Bool {
        guard let b else { return false }
        return abs(a - b) <= tolerance * max(1, abs(b))
    }

    /// Both statistics equal the reference's for `matrix`.
    /// `selectedColumn`: the selected strategy's column in `matrix`.
    static func checkAgainstReference(_ matrix: [[Double]], report: OverfittingReport, selectedColumn: Int, partitions: Int) throws {
        let ref = try referenceFigures(matrix, partitions: partitions, selected: selectedColumn)
        let p = try #require(report.overfittingProbability)
        #expect(Double(p.splits) == ref["splits"] && p.probability == ref["pbo"], "PBO \(p.probability) vs \(ref["pbo"] ?? .nan)")
        #expect(close(p.medianLogit, ref["median_logit"], 1e-9) && close(p.probabilityOfLoss, ref["loss"], 1e-15), "\(p) vs \(ref)")
        #expect(close(p.degradationSlope, ref["slope"], 1e-8), "\(p.degradationSlope) vs \(ref["slope"] ?? .nan)")
        let d = report.deflatedSharpe
        #expect(close(d.sharpe, ref["sharpe"], 1e-10) && close(d.trialSharpeVariance, ref["variance"], 1e-9), "\(d) vs \(ref)")
        #expect(close(d.expectedMaximum, ref["expected_max"], 1e-9), "SR₀ \(d.expectedMaximum) vs \(ref["expected_max"] ?? .nan)")
        #expect(close(d.skewness, ref["skew"], 1e-7) && close(d.kurtosis, ref["kurt"], 1e-7), "moments \(d.skewness), \(d.kurtosis) vs \(ref)")
        #expect(close(d.probability, ref["dsr"], 1e-8), "DSR \(d.probability) vs \(ref["dsr"] ?? .nan)")
    }

    @Test func theNormalQuantileInvertsTheCDF() {
        // Φ⁻¹ at textbook points, and Φ(Φ⁻¹(p)) = p from the far tails to the centre.
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(NormalDistribution.quantile(0.5)) == 0)
        for p in [1e-300, 1e-12, 1e-6, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9] {
            let x = NormalDistribution.quantile(p)
            #expect(abs(NormalDistribution.cdf(x) - p) <= 1e-13 * max(p, 1e-3), "p = \(p): Φ(\(x)) = \(NormalDistribution.cdf(x))")
        }
    }

    @Test(.enabled(if: PythonCheck.isAvailable, "needs QF_PYTHON with numpy"))
    func randomStrategiesAgreeWithTheReference() throws {
        // 40 strategies over 757 periods (blocks of unequal length), a few with a small edge.
        let matrix = Self.returns(periods: 757, strategies: 40, seed: 11, drift: [3: 0.001, 17: 0.0015, 29: -0.001])
        let blocks = try Self.fold(matrix, partitions: 12)
        var sweep = SweepOverfitting()
        sweep.add((0..<40).map { j in
            var strategy = blocks.accumulator()
            for row in matrix { strategy.add(row[j]) }
            return SweepRow(index: j, parameters: [Double(j)], metrics: SweepMetrics(.init(equity: [1, 1], timestamps: [0, 1], trades: [], convention: .vectorbt, initialCash: 1)),
                            returnBlocks: strategy)
        })
        let report = try #require(sweep.report(selected: Self.bestSharpe(blocks), threads: 2))
        try Self.checkAgainstReference(matrix, report: report, selectedColumn: report.selectedIndex, partitions: 12)
    }

    @Test func pureNoiseIsOverfitAndNotSignificant() throws {
        let matrix = Self.returns(periods: 1_000, strategies: 100, seed: 5)
        var sweep = SweepOverfitting()
        let blocks = try Self.fold(matrix, partitions: 16)
        sweep.add(Self.rows(matrix, blocks: blocks))
        let report = try #require(sweep.report(selected: Self.bestSharpe(blocks)))
        let pbo = try #require(report.overfittingProbability).probability
        #expect(pbo > 0.35, "selecting among noise overfits about half the time: \(pbo)")
        #expect(report.deflatedSharpe.probability < 0.95, "the best of 100 noise strategies is not significant: \(report.deflatedSharpe)")
        #expect(report.deflatedSharpe.sharpe > report.deflatedSharpe.expectedMaximum * 0.5, "yet its raw Sharpe ratio is the best of 100")
    }

    @Test func oneRealEdgeAmongNoiseIsNotOverfit() throws {
        let matrix = Self.returns(periods: 1_000, strategies: 100, seed: 5, drift: [42: 0.003])
        var sweep = SweepOverfitting()
        let blocks = try Self.fold(matrix, partitions: 16)
        sweep.add(Self.rows(matrix, blocks: blocks))
        #expect(Self.bestSharpe(blocks) == 42)
        let report = try #require(sweep.report(selected: 42))
        #expect(try #require(report.overfittingProbability).probability < 0.05)
        #expect(report.deflatedSharpe.probability > 0.95, "\(report.deflatedSharpe)")
    }

    static func rows(_ matrix: [[Double]], blocks: ReturnBlocks) -> [SweepRow] {
        let empty = SweepMetrics(.init(equity: [1, 1], timestamps: [0, 1], trades: [], convention: .vectorbt, initialCash: 1))
        return matrix[0].indices.map { j in
            var strategy = blocks.accumulator()
            for row in matrix { strategy.add(row[j]) }
            return SweepRow(index: j, parameters: [Double(j)], metrics: empty, returnBlocks: strategy)
        }
    }

    /// A real sweep (BTC daily bars, an SMA grid, vectorbt's convention): each row's folded
    /// returns equal those of the single run of its cell, and the statistics equal the
    /// reference's over those runs' return series.
    @Test(.enabled(if: PythonCheck.isAvailable, "needs QF_PYTHON with numpy"))
    func aRealSweepAgreesWithTheReferenceOverItsRuns() throws {
        let (open, close, times) = try PeerAgreementTests().bars("btc")
        let settings = ExecutionSettings(fill: .close, commission: 0.001, initialCash: 10_000)
        let grid = ParameterGrid(axes: try ["fast=2:20:3", "slow=10:60:10"].map { try ParameterGrid.Axis(parsing: $0) })
        var config = SweepConfiguration(strategy: "sma_cross", grid: grid, settings: settings, convention: .vectorbt, threads: 2, batchSize: 7)
        config.overfittingPartitions = 10
        var rows: [SweepRow] = []
        var sweep = SweepOverfitting()
        _ = try Sweep.run(config, open: open, close: close, timestamps: times, onRows: { rows += $0; sweep.add($0) })
        // Each cell's returns from the readable single run, folded the same way.
        var columns: [[Double]] = []
        let direct = try ReturnBlocks(partitions: 10, observations: close.count)
        for row in rows {
            let spec = StrategySpec(name: "sma_cross", parameters: grid.parameters(at: row.index))
            let single = SignalBacktest.run(open: open, close: close, timestamps: times, signals: try Strategies.signals(spec, close: close, peer: .vectorbt),
                                            settings: settings)
            let returns = ReturnSeries.barReturns(equity: single.equity, initialValue: settings.initialCash)
            columns.append(returns)
            var strategy = direct.accumulator()
            for r in returns { strategy.add(r) }
            var folded = try #require(row.returnBlocks)
            folded.finish()
            strategy.finish()
            #expect(zip(folded.sums, strategy.sums).allSatisfy { Self.close($0, $1, 1e-12) }, "cell \(row.index): folded in the sweep as in its single run")
        }
        let matrix = close.indices.map { t in columns.map { $0[t] } }
        let selected = rows.max { ($0.metrics.sharpe, -$0.index) < ($1.metrics.sharpe, -$1.index) }!.index
        let report = try #require(sweep.report(selected: selected))
        try Self.checkAgainstReference(matrix, report: report, selectedColumn: rows.firstIndex { $0.index == selected }!, partitions: 10)
    }
}
