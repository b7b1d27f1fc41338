import ArgumentParser
import Backtest
import Foundation
import Ingest
import Service

/// What `qf walkforward` prints, from a run in this process or from a walk-forward evaluation
/// that workers ran (`--distributed`, `--slurm`): the same table, lines and JSON either way.
/// Returns and drawdowns are kept in percent, as both sources compute them, so the printed
/// digits are the same bits.
struct WalkForwardSummary {
    /// One window's choice and its out-of-sample figures (returns in percent).
    struct Window {
        var trainFrom: String, trainTo: String, testFrom: String, testTo: String
        var parameters: [Double]
        var inSample: [String: Double]
        var overfitting: OverfittingReport?
        var outOfSample: Figures
    }

    /// The figures shown for a run: returns and drawdown in percent.
    struct Figures {
        var totalReturnPercent: Double, annualReturnPercent: Double, sharpe: Double, sortino: Double
        var maxDrawdownPercent: Double, trades: Int, winRate: Double, equityFinal: Double

        init(_ m: PerformanceMetrics) {
            totalReturnPercent = m.totalReturn * 100
            annualReturnPercent = m.annualReturn * 100
            sharpe = m.sharpe
            sortino = m.sortino
            maxDrawdownPercent = m.maxDrawdown * 100
            trades = m.tradeCount
            winRate = m.winRate
            equityFinal = m.equityFinal
        }

        /// From an evaluation's figures (`EvaluationResults.figures`: percent, drawdown negative).
        init(_ f: [String: JSONValue]) {
            func v(_ key: String) -> Double { f[key]?.numberValue ?? .nan }
            totalReturnPercent = v("total_return")
            annualReturnPercent = v("annual_return")
            sharpe = v("sharpe_ratio")
            sortino = v("sortino_ratio")
            maxDrawdownPercent = -v("max_drawdown")
            trades = Int(f["total_trades"]?.numberValue ?? 0)
            winRate = v("win_rate")
            equityFinal = v("final_equity")
        }

        /// The JSON of `qf walkforward --json` (fractions, as it always printed them).
        var json: [String: Double] {
            ["total_return": totalReturnPercent / 100, "annual_return": annualReturnPercent / 100, "sharpe": sharpe, "sortino": sortino,
             "max_drawdown": maxDrawdownPercent / 100, "trades": Double(trades), "win_rate": winRate, "equity_final": equityFinal]
        }
    }

    var windows: [Window]
    var metrics: Figures
    var efficiency: Double
    var stability: [WalkForwardResult.Stability]

    static func date(_ t: Int64) -> String { String(TimestampParser.format(t).prefix(10)) }

    init(_ result: WalkForwardResult, names: [String]) {
        windows = result.windows.map { w in
            Window(trainFrom: Self.date(w.trainFrom), trainTo: Self.date(w.trainTo), testFrom: Self.date(w.testFrom), testTo: Self.date(w.testTo),
                   parameters: w.parameters, inSample: Dictionary(uniqueKeysWithValues: zip(SweepMetrics.names, w.inSample.values)),
                   overfitting: w.overfitting, outOfSample: Figures(w.outOfSample))
        }
        metrics = Figures(result.metrics)
        efficiency = result.efficiency
        stability = result.stability
    }

    /// From a completed walk-forward evaluation's `results`.
    init(evaluation results: JSONValue, names: [String]) throws {
        guard case .object(let fields) = results, case .object(let walk)? = fields["walk_forward"], case .array(let rows)? = walk["windows"] else {
            throw CommandFailure("the evaluation has no walk-forward results")
        }
        windows = try rows.map { row in
            guard case .object(let w) = row, case .object(let parameters)? = w["parameters"], case .object(let inSample)? = w["in_sample"],
                  case .object(let outOfSample)? = w["out_of_sample"] else { throw CommandFailure("a walk-forward window without its figures") }
            func day(_ key: String) -> String { String((w[key]?.stringValue ?? "").prefix(10)) }
            return Window(trainFrom: day("train_from"), trainTo: day("train_to"), testFrom: day("test_from"), testTo: day("test_to"),
                          parameters: names.map { parameters[$0]?.numberValue ?? .nan },
                          inSample: inSample.mapValues { $0.numberValue ?? .nan }, overfitting: Self.overfitting(w["overfitting"]),
                          outOfSample: Figures(outOfSample))
        }
        metrics = Figures(fields)
        efficiency = walk["efficiency"]?.numberValue ?? .nan
        guard case .array(let stable)? = walk["stability"] else { throw CommandFailure("the evaluation has no parameter stability") }
        stability = stable.compactMap { item in
            guard case .object(let s) = item else { return nil }
            return WalkForwardResult.Stability(name: s["name"]?.stringValue ?? "", mean: s["mean"]?.numberValue ?? .nan, deviation: s["deviation"]?.numberValue ?? .nan,
                                               changes: Int(s["changes"]?.numberValue ?? 0), distinct: Int(s["distinct"]?.numberValue ?? 0))
        }
    }

    /// The evaluation's overfitting statistics (its JSON has the report's own keys; a figure that
    /// was not finite is null there).
    static func overfitting(_ value: JSONValue?) -> OverfittingReport? {
        guard let value, case .object = value else { return nil }
        func finite(_ v: JSONValue, top: Bool) -> JSONValue {
            switch v {
            case .object(let o): return .object(Dictionary(uniqueKeysWithValues: o.map { key, inner in
                (key, top && key == "probability_of_backtest_overfitting" && inner == .null ? JSONValue.null : finite(inner, top: false))
            }))
            case .null: return .string("nan")
            default: return v
            }
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? decoder.decode(OverfittingReport.self, from: Data(finite(value, top: true).jsonText.utf8))
    }

    /// The table and lines `qf walkforward` prints, or its JSON.
    func print(symbol: String, names: [String], cells: Int, select: String, json: Bool) throws {
        if json {
            struct WindowJSON: Encodable {
                var trainFrom: String, trainTo: String, testFrom: String, testTo: String
                var parameters: [String: Double]
                var inSample: [String: Double]
                var outOfSample: [String: Double]
                var overfitting: OverfittingReport?
            }
            struct Output: Encodable {
                var windows: [WindowJSON]
                var metrics: [String: Double]
                var walkForwardEfficiency: Double
                var stability: [WalkForwardResult.Stability]
            }
            try printJSON(Output(windows: windows.map { w in
                WindowJSON(trainFrom: w.trainFrom, trainTo: w.trainTo, testFrom: w.testFrom, testTo: w.testTo,
                           parameters: Dictionary(uniqueKeysWithValues: zip(names, w.parameters)), inSample: w.inSample,
                           outOfSample: w.outOfSample.json, overfitting: w.overfitting)
            }, metrics: metrics.json, walkForwardEfficiency: efficiency, stability: stability))
            return
        }
        func pct(_ percent: Double) -> String { percent.isNaN ? "NaN" : String(format: "%.2f%%", percent) }
        func num(_ v: Double) -> String { v.isNaN ? "NaN" : String(format: "%.3f", v) }
        let header = ["window", "in sample", "out of sample"] + names + ["IS \(select)", "IS DSR", "IS PBO", "OOS return", "OOS Sharpe", "OOS trades"]
        var lines = [header]
        for (k, w) in windows.enumerated() {
            lines.append(["\(k + 1)", "\(w.trainFrom)…\(w.trainTo)", "\(w.testFrom)…\(w.testTo)"]
                         + w.parameters.map { SweepCSVWriter.format($0) }
                         + [num(w.inSample[select] ?? .nan), num(w.overfitting?.deflatedSharpe.probability ?? .nan),
                            num(w.overfitting?.overfittingProbability?.probability ?? .nan),
                            pct(w.outOfSample.totalReturnPercent), num(w.outOfSample.sharpe), "\(w.outOfSample.trades)"])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max()! }
        Swift.print("\(symbol): \(windows.count) windows, \(cells) cells each")
        for line in lines { Swift.print(line.indices.map { c in String(repeating: " ", count: widths[c] - line[c].count) + line[c] }.joined(separator: "  ")) }
        let m = metrics
        Swift.print("stitched out of sample: total return \(pct(m.totalReturnPercent)), annual \(pct(m.annualReturnPercent)), Sharpe \(num(m.sharpe)), "
                    + "max drawdown \(pct(m.maxDrawdownPercent)), \(m.trades) trades")
        Swift.print("walk-forward efficiency (OOS annual return / mean IS annual return): \(num(efficiency))")
        for s in stability {
            Swift.print("\(s.name): mean \(num(s.mean)), sd \(num(s.deviation)), \(s.distinct) distinct values, changed in \(s.changes) of \(max(0, windows.count - 1)) steps")
        }
    }
}
