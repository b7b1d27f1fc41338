import Backtest
import Foundation
import Ingest

/// Turns the finished shards of an evaluation into its results, charts and report: a grid's
/// rows ranked into one table (every row to CSV), the runs of several subjects or data sets
/// side by side, and, for the leading run (the single subject, the first of a comparison, or
/// the best combination of a grid), Backtest's full figures, charts and HTML report plus what the
/// evaluation type asks for (returns by period, the risk table, the comparison).
enum EvaluationMerge {
    struct Output {
        var results: JSONValue
        var charts: JSONValue
    }

    static func merge(_ plan: EvaluationPlan, shards: [Int: JSONValue], title: String, reportPath: String, tablePath: String) throws -> Output {
        if plan.walkForward != nil { return try mergeWalkForward(plan, shards: shards, title: title, reportPath: reportPath) }
        var results: [String: JSONValue] = ["evaluation_type": .string(plan.kind.rawValue)]
        var lead = plan.subjects[0]
        var leadSource = plan.datasets[0]
        if let axes = plan.grid {
            let (grid, best) = try rankGrid(plan, axes: axes, shards: shards, tablePath: tablePath)
            results["grid"] = grid
            if let best { for (axis, value) in zip(axes, best) { lead.parameters[axis.name] = value } }
            lead.label = plan.subjects[0].label + " (best: " + axes.map { "\($0.name)=\(SweepCSVWriter.format(lead.parameters[$0.name] ?? .nan))" }.joined(separator: " ") + ")"
        } else {
            let runs: [JSONValue] = plan.shards.indices.map { index in
                guard case .object(var fields)? = shards[index] else { return .null }
                fields.removeValue(forKey: "metrics")
                return .object(fields)
            }
            results["runs"] = .array(runs)
            leadSource = plan.datasets[plan.shards[0].dataset]
        }
        let primary = try EvaluationRunner.run(lead, on: leadSource, plan: plan)
        for (key, value) in EvaluationResults.summary(primary) { results[key] = value }
        results["metrics"] = EvaluationResults.allMetrics(primary.metrics)
        var charts = try EvaluationResults.charts(primary)
        var statistics = primary.statistics
        if case .object(let grid)? = results["grid"], case .object(let overfitting)? = grid["overfitting"] {
            statistics += EvaluationResults.overfittingLines(overfitting)
        }
        if case .object(let grid)? = results["grid"], case .array(let top)? = grid["top"] {
            // The report lists the leading combinations under the best one's statistics.
            for item in top.prefix(10) {
                guard case .object(let row) = item, case .object(let parameters)? = row["parameters"], case .object(let metrics)? = row["metrics"] else { continue }
                func number(_ value: JSONValue?) -> Double { value?.numberValue ?? .nan }
                let label = "#\(Int(number(row["rank"]))) " + parameters.keys.sorted().map { "\($0)=\(SweepCSVWriter.format(number(parameters[$0])))" }.joined(separator: " ")
                statistics.append((label, String(format: "\(plan.sort) %.3f, return %.2f%%", number(metrics[plan.sort]), number(metrics["total_return"]) * 100)))
            }
        }
        switch plan.kind {
        case .backtest:
            break
        case .performance:
            let periods = EvaluationResults.periods(primary, initialCash: plan.settings.initialCash)
            results["periods"] = periods
            if case .object(let tables) = periods, case .array(let monthly)? = tables["monthly"] {
                charts.append(.object(["type": .string("monthly_returns"), "data": .array(monthly),
                                       "config": .object(["x": .string("period"), "y": .string("return"), "unit": .string("percent")])]))
            }
        case .risk:
            results["risk"] = EvaluationResults.risk(primary)
            let m = primary.metrics
            statistics += [("VaR 95% (daily) [%]", String(format: "%.2f", m.valueAtRisk95 * 100)), ("CVaR 95% (daily) [%]", String(format: "%.2f", m.conditionalValueAtRisk95 * 100)),
                           ("VaR 99% (daily) [%]", String(format: "%.2f", m.valueAtRisk99 * 100)), ("CVaR 99% (daily) [%]", String(format: "%.2f", m.conditionalValueAtRisk99 * 100))]
        case .comparison:
            var runs = [primary]
            for subject in plan.subjects.dropFirst() { runs.append(try EvaluationRunner.run(subject, on: leadSource, plan: plan)) }
            var table = runs.map { JSONValue.object(EvaluationResults.summary($0)) }
            table.append(EvaluationResults.benchmarkSummary(primary, name: "benchmark: " + (plan.benchmark ?? "buy and hold")))
            results["comparison"] = .array(table)
            charts.append(EvaluationResults.comparisonChart(runs))
            for run in runs.dropFirst() {
                statistics.append(("vs " + run.label, String(format: "return %.2f%%, Sharpe %.2f, max drawdown %.2f%%", run.metrics.totalReturn * 100,
                                                             run.metrics.sharpe, -run.metrics.maxDrawdown * 100)))
            }
        }
        let content = HTMLReport.Content(title: "\(plan.kind.rawValue.capitalized) evaluation: \(title)", metrics: primary.metrics, statistics: statistics,
                                         equity: primary.equity, timestamps: primary.timestamps, trades: primary.trades, benchmark: primary.benchmark)
        try FileManager.default.createDirectory(atPath: (reportPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try StagedFile.write(HTMLReport.html(content), to: reportPath)
        return Output(results: .object(results), charts: .array(charts))
    }

    /// Every shard's rows ranked by the plan's figure (NaN last) into `tablePath` as CSV; the
    /// top rows as JSON, and the best row's axis values.
    static func rankGrid(_ plan: EvaluationPlan, axes: [EvaluationPlan.Axis], shards: [Int: JSONValue], tablePath: String) throws -> (JSONValue, [Double]?) {
        var rows: [[JSONValue]] = []
        var evaluated: Int64 = 0, rejected: Int64 = 0
        var firstRejection: JSONValue = .null
        for index in plan.shards.indices {
            guard case .object(let shard)? = shards[index], case .array(let items)? = shard["rows"] else { throw PermanentTaskFailure("shard \(index) has no rows") }
            for item in items { if case .array(let row) = item { rows.append(row) } }
            if case .int(let n)? = shard["evaluated"] { evaluated += n }
            if case .int(let n)? = shard["rejected"] { rejected += n }
            if case .null = firstRejection, let reason = shard["first_rejection"] { firstRejection = reason }
        }
        let names = SweepMetrics.names
        guard let metricIndex = names.firstIndex(of: plan.sort) else { throw PermanentTaskFailure("unknown sort figure \(plan.sort)") }
        let sortColumn = 1 + axes.count + metricIndex
        func value(_ row: [JSONValue], _ column: Int) -> Double { row[column].numberValue ?? .nan }
        rows.sort { a, b in
            let x = value(a, sortColumn), y = value(b, sortColumn)
            if x.isNaN != y.isNaN { return !x.isNaN }
            if x != y && !x.isNaN { return plan.ascending ? x < y : x > y }
            return value(a, 0) < value(b, 0)
        }
        let header = (["rank"] + axes.map(\.name) + names).joined(separator: ",")
        var csv = header + "\n"
        for (rank, row) in rows.enumerated() {
            csv += String(rank + 1)
            for column in 1..<row.count { csv += "," + (value(row, column).isNaN ? "" : SweepCSVWriter.format(value(row, column))) }
            csv += "\n"
        }
        try FileManager.default.createDirectory(atPath: (tablePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try StagedFile.write(csv, to: tablePath)
        let table: [JSONValue] = rows.prefix(plan.top).enumerated().map { rank, row in
            .object(["rank": .int(Int64(rank + 1)),
                     "parameters": .object(Dictionary(uniqueKeysWithValues: axes.enumerated().map { ($1.name, row[1 + $0]) })),
                     "metrics": .object(Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, row[1 + axes.count + $0]) }))])
        }
        let best = rows.first.map { row in axes.indices.map { value(row, 1 + $0) } }
        let overfitting = rows.first.flatMap { Self.overfitting(plan, shards: shards, rows: rows.count, selected: Int(value($0, 0))) }
        return (.object(["combinations": .int(Int64(rows.count) + rejected), "evaluated": .int(evaluated), "rejected": .int(rejected),
                         "first_rejection": firstRejection, "sort": .string(plan.sort), "ascending": .bool(plan.ascending),
                         "shards": .int(Int64(plan.shards.count)), "top": .array(table),
                         "overfitting": overfitting.map(EvaluationResults.overfitting) ?? .null]), best)
    }

    /// The selected cell's deflated Sharpe ratio and the grid's PBO, from every shard's folded
    /// returns; nil when the plan asked for none, the series was too short for its blocks, or a
    /// shard did not carry them for every row.
    static func overfitting(_ plan: EvaluationPlan, shards: [Int: JSONValue], rows: Int, selected: Int) -> OverfittingReport? {
        guard plan.overfittingPartitions != nil else { return nil }
        var collected = SweepOverfitting()
        for index in plan.shards.indices {
            guard case .object(let shard)? = shards[index], case .array(let lengths)? = shard["block_lengths"],
                  case .array(let items)? = shard["return_blocks"] else { return nil }
            let blockLengths = lengths.compactMap { $0.numberValue.map { Int($0) } }
            for item in items {
                guard case .array(let values) = item, let cell = values.first?.numberValue,
                      let folded = ReturnBlocks.Accumulator(blockLengths: blockLengths, folded: values.dropFirst().map { $0.numberValue ?? .nan }) else { return nil }
                collected.add(index: Int(cell), folded)
            }
        }
        guard collected.cells == rows else { return nil }
        return collected.report(selected: selected, threads: 1)
    }

    /// A walk-forward evaluation: every window's in-sample choice (its shard) run out of sample
    /// and stitched (`WalkForward.stitch`); the headline, charts and report are the stitched run's.
    static func mergeWalkForward(_ plan: EvaluationPlan, shards: [Int: JSONValue], title: String, reportPath: String) throws -> Output {
        let (subject, configuration, windows, bars, frame) = try EvaluationRunner.walkForward(plan)
        var choices: [WalkForward.Choice] = []
        var judged: [JSONValue] = []
        for index in plan.shards.indices {
            guard case .object(let shard)? = shards[index], let cell = shard["index"]?.numberValue.flatMap({ Int(exactly: $0) }),
                  (0..<configuration.grid.count).contains(cell), case .array(let parameters)? = shard["parameters"],
                  case .array(let inSample)? = shard["in_sample"], let figures = SweepMetrics(values: inSample.map { $0.numberValue ?? .nan }) else {
                throw PermanentTaskFailure("walk-forward window \(index + 1) has no choice")
            }
            choices.append(.init(index: cell, parameters: parameters.map { $0.numberValue ?? .nan }, inSample: figures, overfitting: nil))
            judged.append(shard["overfitting"] ?? .null)
        }
        let result = try WalkForward.stitch(subject, configuration: configuration, windows: windows, choices: choices, bars: bars, frame: frame)
        let names = configuration.grid.axes.map(\.name)
        let closes = windows.windows.flatMap { bars.close[$0.testStart..<$0.testEnd] }
        let benchmark = try EvaluationRunner.benchmarkPrices(plan.benchmark, times: result.timestamps, close: closes, file: plan.benchmarkPath ?? plan.datasets[0].path)
        let run = EvaluationRunner.Run(label: plan.subjects[0].label + " (walk-forward, out of sample)", dataset: plan.datasets[0].name, metrics: result.metrics,
                                       equity: result.equity, positions: result.positions, trades: result.trades, timestamps: result.timestamps,
                                       benchmark: benchmark, openTrade: nil)
        func date(_ t: Int64) -> JSONValue { .string(TimestampParser.format(t)) }
        let rows: [JSONValue] = zip(result.windows, judged).map { w, overfitting in
            .object(["train_from": date(w.trainFrom), "train_to": date(w.trainTo), "test_from": date(w.testFrom), "test_to": date(w.testTo),
                     "parameters": .object(Dictionary(uniqueKeysWithValues: zip(names, w.parameters.map(EvaluationResults.number)))),
                     "in_sample": .object(Dictionary(uniqueKeysWithValues: zip(SweepMetrics.names, w.inSample.values.map(EvaluationResults.number)))),
                     "out_of_sample": .object(EvaluationResults.figures(w.outOfSample)),
                     "overfitting": overfitting])
        }
        var results: [String: JSONValue] = ["evaluation_type": .string(plan.kind.rawValue)]
        for (key, value) in EvaluationResults.summary(run) { results[key] = value }
        results["metrics"] = EvaluationResults.allMetrics(run.metrics)
        results["walk_forward"] = .object([
            "train": .string(plan.walkForward!.train), "test": .string(plan.walkForward!.test), "anchored": .bool(plan.walkForward!.anchored),
            "select": .string(plan.sort), "windows": .array(rows), "efficiency": EvaluationResults.number(result.efficiency),
            "stability": .array(result.stability.map { s in
                .object(["name": .string(s.name), "mean": EvaluationResults.number(s.mean), "deviation": EvaluationResults.number(s.deviation),
                         "changes": .int(Int64(s.changes)), "distinct": .int(Int64(s.distinct))])
            }),
        ])
        var statistics = run.statistics
        statistics.append(("Walk-forward efficiency", String(format: "%.3f", result.efficiency)))
        for (k, w) in result.windows.enumerated() {
            statistics.append(("Window \(k + 1) from \(TimestampParser.format(w.testFrom).prefix(10))",
                               zip(names, w.parameters).map { "\($0)=\(SweepCSVWriter.format($1))" }.joined(separator: " ")
                               + String(format: ", out-of-sample return %.2f%%", w.outOfSample.totalReturn * 100)))
        }
        try FileManager.default.createDirectory(atPath: (reportPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try StagedFile.write(result.report(title: "Walk-forward evaluation: \(title)", statistics: statistics, names: names, benchmark: run.benchmark), to: reportPath)
        return Output(results: .object(results), charts: .array(try EvaluationResults.charts(run)))
    }
}
