import Backtest
import Foundation
import Ingest

/// The `results` and `charts` of a finished evaluation, in the seed's units: returns, volatility
/// and drawdowns in percent (a drawdown negative), `win_rate` a fraction, ratios as they are.
/// Every figure Backtest computes is also under `metrics`, in its own units (fractions).
enum EvaluationResults {
    /// A finite number, or null (JSON has no NaN).
    static func number(_ value: Double) -> JSONValue { value.isFinite ? .double(value) : .null }

    static func percent(_ value: Double) -> JSONValue { number(value * 100) }

    /// The headline figures of one run, in the seed's names and units.
    static func summary(_ run: EvaluationRunner.Run) -> [String: JSONValue] {
        ["label": .string(run.label), "dataset": .string(run.dataset)].merging(figures(run.metrics)) { $1 }
    }

    /// The headline figures of a run's metrics alone (a walk-forward window's out-of-sample part).
    static func figures(_ m: PerformanceMetrics) -> [String: JSONValue] {
        ["total_return": percent(m.totalReturn), "annual_return": percent(m.annualReturn), "cagr": percent(m.cagr),
                "volatility": percent(m.annualVolatility), "sharpe_ratio": number(m.sharpe), "sortino_ratio": number(m.sortino),
                "calmar_ratio": number(m.calmar), "max_drawdown": percent(-m.maxDrawdown), "win_rate": number(m.winRate),
                "profit_factor": number(m.profitFactor), "total_trades": .int(Int64(m.tradeCount)), "exposure": percent(m.exposure),
                "buy_and_hold_return": percent(m.buyAndHoldReturn), "alpha": number(m.alpha), "beta": number(m.beta),
                "final_equity": number(m.equityFinal), "returns_per_year": number(m.barsPerYear)]
            .merging(timeAxis(m)) { $1 }
    }

    /// `start` and `end` as dates, or — for a dataset ingested without timestamps, whose axis is
    /// row numbers — as bar numbers, with a note that the figures are per bar.
    static func timeAxis(_ m: PerformanceMetrics) -> [String: JSONValue] {
        guard m.perBar else {
            return ["time_axis": .string("timestamps"),
                    "start": .string(TimestampParser.format(m.startTime)), "end": .string(TimestampParser.format(m.endTime))]
        }
        return ["time_axis": .string("row_number"), "start": .int(m.startTime), "end": .int(m.endTime),
                "note": .string("The dataset has no timestamps: returns are per bar and figures use \(m.barsPerYear.formatted()) returns a year "
                                + "(1 = per bar; set config.annualization to count bars as days). Calendar periods do not apply.")]
    }

    /// Every figure of `PerformanceMetrics`, snake_case, NaN as null.
    static func allMetrics(_ m: PerformanceMetrics) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(m), case .object(let fields)? = try? JSONValue.parse(bytes: Array(data)) else { return .null }
        return .object(fields.mapValues { value in
            if case .string(let s) = value, ["nan", "inf", "-inf"].contains(s) { return .null }
            return value
        })
    }

    /// Returns per calendar month and year (percent).
    static func periods(_ run: EvaluationRunner.Run, initialCash: Double) -> JSONValue {
        // Row numbers are no calendar: there are no months or years to report.
        if run.metrics.perBar { return .object(["monthly": .array([]), "yearly": .array([])]) }
        func table(_ period: ReturnSeries.Period) -> JSONValue {
            .array(PeriodReturns.table(equity: run.equity, timestamps: run.timestamps, initialValue: initialCash, period: period).map { row in
                .object(["period": .string(row.label), "return": percent(row.value),
                         "start": .string(TimestampParser.format(run.timestamps[row.firstBar])),
                         "end": .string(TimestampParser.format(run.timestamps[row.lastBar]))])
            })
        }
        return .object(["monthly": table(.month), "yearly": table(.year)])
    }

    /// Value at risk, expected shortfall, volatility, beta, higher moments, and the deepest
    /// drawdowns with their start, trough and recovery.
    static func risk(_ run: EvaluationRunner.Run, deepest: Int = 5) -> JSONValue {
        let m = run.metrics
        let drawdown = run.equity.withUnsafeBufferPointer { Drawdown(equity: $0) }
        let spells = drawdown.spells.sorted { $0.depth > $1.depth }.prefix(deepest)
        let table: [JSONValue] = spells.map { spell in
            var trough = spell.start
            for i in spell.start...min(spell.end, run.equity.count - 1) where run.equity[i] < run.equity[trough] { trough = i }
            return .object(["start": .string(TimestampParser.format(run.timestamps[spell.start])),
                            "trough": .string(TimestampParser.format(run.timestamps[trough])),
                            "end": spell.recovered ? .string(TimestampParser.format(run.timestamps[min(spell.end, run.timestamps.count - 1)])) : .null,
                            "depth": percent(-spell.depth), "bars": .int(Int64(spell.bars)), "recovered": .bool(spell.recovered)])
        }
        return .object(["var_95": percent(m.valueAtRisk95), "var_99": percent(m.valueAtRisk99),
                        "cvar_95": percent(m.conditionalValueAtRisk95), "cvar_99": percent(m.conditionalValueAtRisk99),
                        "volatility": percent(m.annualVolatility), "beta": number(m.beta), "alpha": number(m.alpha),
                        "skew": number(m.skew), "kurtosis": number(m.kurtosis), "max_drawdown": percent(-m.maxDrawdown),
                        "max_drawdown_duration_bars": .int(Int64(m.maxDrawdownDuration)), "drawdowns": .array(table)])
    }

    /// The buy-and-hold benchmark as a run of its own, for the comparison table.
    static func benchmarkSummary(_ run: EvaluationRunner.Run, name: String) -> JSONValue {
        guard let first = run.benchmark.first, first > 0 else { return .null }
        let cash = run.equity.first ?? 1
        let equity = run.benchmark.map { $0 / first * cash }
        let metrics = PerformanceMetrics(equity: equity, timestamps: run.timestamps, trades: [], convention: run.metrics.convention,
                                         benchmark: run.benchmark, initialCash: cash)
        var benchmark = run
        benchmark.label = name
        benchmark.metrics = metrics
        benchmark.equity = equity
        var fields = summary(benchmark)
        fields["total_trades"] = .null
        fields["win_rate"] = .null
        fields["profit_factor"] = .null
        return .object(fields)
    }

    /// One chart of every subject's equity, each scaled to start at 1.
    static func comparisonChart(_ runs: [EvaluationRunner.Run], maxPoints: Int = 1_000) -> JSONValue {
        .object(["type": .string("comparison"), "config": .object(["x": .string("time"), "y": .string("growth of 1")]),
                 "data": .array(runs.map { run in
                     let base = run.equity.first.flatMap { $0 != 0 ? $0 : nil } ?? 1
                     return .object(["label": .string(run.label), "points": .array(ChartData.decimate(run.equity, maxPoints: maxPoints).map { i in
                         .object(["time": .string(TimestampParser.format(run.timestamps[i])), "value": number(run.equity[i] / base)])
                     })])
                 })])
    }

    /// Backtest's charts of a run (equity with the benchmark, drawdown, positions, trades).
    static func charts(_ run: EvaluationRunner.Run) throws -> [JSONValue] {
        let charts = ChartData.charts(equity: run.equity, positions: run.positions, timestamps: run.timestamps, trades: run.trades, benchmark: run.benchmark)
        guard case .array(let items) = try JSONValue.parse(try ChartData.json(charts)) else { return [] }
        return items
    }

    /// The overfitting statistics in the results' JSON (NaN as null), keyed as `qf sweep --json` keys them.
    static func overfitting(_ r: OverfittingReport) -> JSONValue {
        let d = r.deflatedSharpe
        var fields: [String: JSONValue] = [
            "selected_index": .int(Int64(r.selectedIndex)), "trials": .int(Int64(r.trials)),
            "deflated_sharpe": .object(["sharpe": number(d.sharpe), "trials": .int(Int64(d.trials)), "observations": .int(Int64(d.observations)),
                                        "skewness": number(d.skewness), "kurtosis": number(d.kurtosis), "trial_sharpe_variance": number(d.trialSharpeVariance),
                                        "expected_maximum": number(d.expectedMaximum), "probability": number(d.probability)]),
            "probability_of_backtest_overfitting": .null,
        ]
        if let p = r.overfittingProbability {
            fields["probability_of_backtest_overfitting"] = .object([
                "partitions": .int(Int64(p.partitions)), "splits": .int(Int64(p.splits)), "strategies": .int(Int64(p.strategies)),
                "probability": number(p.probability), "median_logit": number(p.medianLogit), "probability_of_loss": number(p.probabilityOfLoss),
                "degradation_slope": number(p.degradationSlope),
            ])
        }
        return .object(fields)
    }

    /// The report's lines for the overfitting statistics of `overfitting` (results' JSON).
    static func overfittingLines(_ overfitting: [String: JSONValue]) -> [(String, String)] {
        func value(_ object: JSONValue?, _ key: String) -> Double {
            guard case .object(let fields)? = object else { return .nan }
            return fields[key]?.numberValue ?? .nan
        }
        let deflated = overfitting["deflated_sharpe"], pbo = overfitting["probability_of_backtest_overfitting"]
        var lines = [("Deflated Sharpe ratio", String(format: "%.3f (best of %d cells; expected max Sharpe %.4f/period)", value(deflated, "probability"),
                                                       Int(value(deflated, "trials").isNaN ? 0 : value(deflated, "trials")), value(deflated, "expected_maximum")))]
        if case .object = pbo {
            lines.append(("Probability of backtest overfitting", String(format: "%.3f (%d CSCV splits of %d blocks)", value(pbo, "probability"),
                                                                          Int(value(pbo, "splits")), Int(value(pbo, "partitions")))))
        }
        return lines
    }
}
