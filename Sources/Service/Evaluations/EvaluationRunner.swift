import Agents
import Backtest
import Compute
import Expressions
import Foundation
import Ingest

/// The computing side of an evaluation, free of the database: one subject on one data source
/// (Backtest's engine for a rule, the greedy policy for a trained model), and one slice of a
/// parameter grid (Backtest's fused sweep).
enum EvaluationRunner {
    /// A finished run with everything the tables, charts and report need.
    struct Run {
        var label: String
        var dataset: String
        var metrics: PerformanceMetrics
        var equity: [Double]
        var positions: [Double]
        var trades: [TradeRecord]
        var timestamps: [Int64]
        var benchmark: [Double]
        var openTrade: TradeRecord?

        var statistics: [(String, String)] { StatsTable.rows(metrics, label: label, openTrade: openTrade) }
    }

    /// Runs `subject` on `source` with the plan's range, settings and benchmark.
    /// - Throws: `BacktestError` or `AgentsError` naming the data, symbol or parameter at fault.
    static func run(_ subject: EvaluationPlan.Subject, on source: EvaluationPlan.DataSource, plan: EvaluationPlan) throws -> Run {
        if let directory = subject.modelDirectory { return try policyRun(subject, directory: directory, on: source, plan: plan) }
        if subject.rules != nil || subject.position != nil { return try expressionRun(subject, on: source, plan: plan) }
        guard let rule = subject.rule else { throw BacktestError.invalidParameter("\(subject.label): neither a rule nor a trained model") }
        let bars = try BarSeries.read(path: source.path, symbol: source.symbol).slice(from: plan.start, to: plan.end)
        guard bars.count >= 2 else { throw BacktestError.invalidParameter("\(source.name): fewer than 2 bars of \(bars.symbol) in the time range") }
        let spec = StrategySpec(name: rule, parameters: subject.parameters)
        var settings = plan.settings
        settings.peer = settings.peer ?? plan.convention
        let result = try FusedBacktest.run(spec, open: bars.open, close: bars.close, timestamps: bars.timestamps, settings: settings)
        let benchmark = try benchmarkPrices(plan.benchmark, times: bars.timestamps, close: bars.close, file: plan.benchmarkPath ?? source.path)
        let metrics = PerformanceMetrics(equity: result.equity, timestamps: bars.timestamps, trades: result.trades, convention: plan.convention,
                                         annualization: plan.annualization, benchmark: benchmark,
                                         benchmarkStart: plan.convention == .backtestingPy ? try Strategies.warmupBars(spec) : 0,
                                         initialCash: plan.settings.initialCash, openTrade: result.openTrade)
        return Run(label: subject.label, dataset: source.name, metrics: metrics, equity: result.equity, positions: result.positions, trades: result.trades,
                   timestamps: bars.timestamps, benchmark: benchmark, openTrade: result.openTrade)
    }

    /// A strategy written as expressions: signals through the same executor as a built-in rule,
    /// or a target position rebalanced as `qf portfolio` does one asset.
    static func expressionRun(_ subject: EvaluationPlan.Subject, on source: EvaluationPlan.DataSource, plan: EvaluationPlan) throws -> Run {
        let (bars, frame) = try BarSeries.frame(path: source.path, symbol: source.symbol, from: plan.start, to: plan.end)
        guard bars.count >= 2 else { throw BacktestError.invalidParameter("\(source.name): fewer than 2 bars of \(bars.symbol) in the time range") }
        var settings = plan.settings
        settings.peer = settings.peer ?? plan.convention
        let arithmetic = plan.convention.meanArithmetic
        let benchmark = try benchmarkPrices(plan.benchmark, times: bars.timestamps, close: bars.close, file: plan.benchmarkPath ?? source.path)
        do {
            if let rules = subject.rules {
                if rules.tradesShort { settings.allowShort = true }
                let signals = try RuleSignals.signals(rules, frame: frame, parameters: subject.parameters, arithmetic: arithmetic)
                let result = SignalBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, signals: signals, settings: settings)
                let metrics = PerformanceMetrics(equity: result.equity, timestamps: bars.timestamps, trades: result.trades, convention: plan.convention,
                                                 annualization: plan.annualization, benchmark: benchmark, benchmarkStart: 0,
                                                 initialCash: plan.settings.initialCash, openTrade: result.openTrade)
                return Run(label: subject.label, dataset: source.name, metrics: metrics, equity: result.equity, positions: result.positions,
                           trades: result.trades, timestamps: bars.timestamps, benchmark: benchmark, openTrade: result.openTrade)
            }
            settings.allowShort = true
            let targets = try RuleSignals.positions(subject.position ?? "", frame: frame, parameters: subject.parameters, arithmetic: arithmetic)
            let result = PortfolioBacktest.run(open: bars.open, close: bars.close, timestamps: bars.timestamps, targets: targets, kind: .fraction, settings: settings)
            let trades = result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
            let metrics = PerformanceMetrics(equity: result.equity, timestamps: bars.timestamps, trades: trades, convention: plan.convention,
                                             annualization: plan.annualization, benchmark: benchmark, benchmarkStart: 0,
                                             initialCash: plan.settings.initialCash, openTrade: nil)
            return Run(label: subject.label, dataset: source.name, metrics: metrics, equity: result.equity, positions: result.units[0], trades: trades,
                       timestamps: bars.timestamps, benchmark: benchmark, openTrade: nil)
        } catch let error as RuleError {
            // The data decides some names (columns) and the grid some values: said as the run's fault.
            throw BacktestError.invalidParameter("\(subject.label) on \(source.name): config.\(error.field): \(error.error.oneLine)")
        }
    }

    /// A trained algorithmic-trading agent over its job's held-out test split (the bars it was
    /// never trained or selected on) — the part of it inside the plan's time range — executed
    /// with the plan's settings.
    static func policyRun(_ subject: EvaluationPlan.Subject, directory: String, on source: EvaluationPlan.DataSource, plan: EvaluationPlan) throws -> Run {
        ComputeConfiguration(blasThreads: 1).apply()
        let training = try TrainingRun(directory: directory)
        guard training.resolved.task == "algorithmic_trading" else {
            throw AgentsError.invalidData("\(subject.label): a \(training.resolved.task) agent; evaluations run algorithmic-trading agents")
        }
        _ = try training.resumeIfPossible()
        let agent = try training.bestAgent()
        var file = try BarFile(path: source.path)
        // The symbol asked for, else the one the agent trained on when the file has it, else the first.
        let trained = training.resolved.symbol.flatMap { file.symbols.contains($0) ? $0 : nil }
        guard let symbol = source.symbol ?? trained ?? file.symbols.first else { throw AgentsError.invalidData("\(source.name) has no symbols") }
        // A dataset other than the job's test split may lack the features the agent observes:
        // computed here as training computed them, in a scratch file removed afterwards.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("qf-features-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let features = training.resolved.features
        if features == nil, try !file.columns(of: symbol).contains("zopen") {
            _ = try Preprocessor.run(input: source.path, operations: [PreprocessOperation(type: .tradeMasterFeatures)], output: scratch)
            file = try BarFile(path: scratch)
        }
        var data = try features.map { try AlgorithmicTradingData(file: file, symbol: symbol, features: $0) } ?? AlgorithmicTradingData(file: file, symbol: symbol)
        if plan.start != nil || plan.end != nil {
            let times = data.timestamps
            let lower = plan.start.map { s in times.firstIndex { $0 >= s } ?? times.count } ?? 0
            let upper = plan.end.map { e in times.lastIndex { $0 <= e }.map { $0 + 1 } ?? 0 } ?? times.count
            let environment = training.resolved.environment
            let needed = environment.backwardDays + environment.forwardDays + 2
            guard upper - lower >= needed else {
                throw AgentsError.invalidData("\(source.name) has \(max(0, upper - lower)) bars in the time range; the agent needs at least \(needed) "
                                              + "(its test split runs from \(times.first.map(TimestampParser.format) ?? "?") to \(times.last.map(TimestampParser.format) ?? "?"))")
            }
            data = data.days(lower..<upper)
        }
        let report = PolicyStrategy.backtest(agent: agent, data: data, environment: training.resolved.environment, settings: plan.settings,
                                             convention: plan.convention, annualization: plan.annualization)
        let trades = report.result.trades.map(\.trade).sorted { ($0.exitBar, $0.entryBar) < ($1.exitBar, $1.entryBar) }
        return Run(label: subject.label, dataset: source.name, metrics: report.metrics, equity: report.result.equity, positions: report.result.units[0],
                   trades: trades, timestamps: data.timestamps,
                   benchmark: try benchmarkPrices(plan.benchmark, times: data.timestamps, close: data.close, file: plan.benchmarkPath ?? source.path),
                   openTrade: report.openTrade)
    }

    /// The benchmark's price at each of `times`: `close` (the traded symbol's) when there is none, or another
    /// symbol's last close at or before each time (from `path`, another dataset, or the same
    /// file), as a price chart of two markets with different calendars reads; the benchmark must
    /// have a bar at or before the first time.
    static func benchmarkPrices(_ symbol: String?, times: [Int64], close: [Double], file: String) throws -> [Double] {
        guard let symbol else { return close }
        // Only its closes are needed: a benchmark file of dates and closes is enough.
        let bars = try BarFile(path: file)
        let otherTimes = try bars.timestamps(of: symbol), otherClose = try bars.column("close", of: symbol)
        var k = -1
        return try times.map { t in
            while k + 1 < otherTimes.count && otherTimes[k + 1] <= t { k += 1 }
            guard k >= 0 else {
                throw BacktestError.invalidParameter("benchmark \(symbol) has no bar at or before \(TimestampParser.format(t))")
            }
            return otherClose[k]
        }
    }

    /// One slice of the grid: its rows, as `[index, parameters…, figures…]` (NaN as null).
    static func gridSlice(_ plan: EvaluationPlan, shard: EvaluationPlan.Shard) throws -> JSONValue {
        let subject = plan.subjects[shard.subject], source = plan.datasets[shard.dataset]
        if let rules = subject.rules { return try expressionGridSlice(rules, plan, shard: shard) }
        guard let rule = subject.rule, let grid = plan.parameterGrid(for: subject), let from = shard.from, let to = shard.to else {
            throw BacktestError.invalidParameter("grid shard without a rule or a grid")
        }
        let bars = try BarSeries.read(path: source.path, symbol: source.symbol).slice(from: plan.start, to: plan.end)
        guard bars.count >= 2 else { throw BacktestError.invalidParameter("\(source.name): fewer than 2 bars of \(bars.symbol) in the time range") }
        var config = SweepConfiguration(strategy: rule, grid: grid, settings: plan.settings, convention: plan.convention, annualization: plan.annualization)
        config.combinations = from..<to
        config.overfittingPartitions = plan.overfittingPartitions
        var slice = GridSlice(capacity: to - from)
        let summary = try Sweep.run(config, open: bars.open, close: bars.close, timestamps: bars.timestamps, onRows: { slice.add($0) })
        return slice.json(summary)
    }

    /// A shard's rows as `[index, parameters…, figures…]` (NaN as null) and, when the sweep
    /// keeps them, each row's returns folded by time block (for the merge's overfitting statistics).
    struct GridSlice {
        var rows: [JSONValue] = []
        var blocks: [JSONValue] = []
        var blockLengths: [Int]?

        init(capacity: Int) { rows.reserveCapacity(capacity) }

        mutating func add(_ batch: [SweepRow]) {
            for row in batch {
                rows.append(.array([.int(Int64(row.index))] + row.parameters.map(EvaluationResults.number) + row.metrics.values.map(EvaluationResults.number)))
                if let folded = row.returnBlocks {
                    blockLengths = folded.lengths
                    blocks.append(.array([.int(Int64(row.index))] + folded.folded.map { .double($0) }))
                }
            }
        }

        func json(_ summary: SweepSummary) -> JSONValue {
            var fields: [String: JSONValue] = ["rows": .array(rows), "evaluated": .int(Int64(summary.evaluated)), "rejected": .int(Int64(summary.rejected)),
                                               "first_rejection": summary.firstRejection.map { .string($0) } ?? .null]
            if let blockLengths {
                fields["block_lengths"] = .array(blockLengths.map { .int(Int64($0)) })
                fields["return_blocks"] = .array(blocks)
            }
            return .object(fields)
        }
    }

    /// One slice of a grid over the `{parameters}` of signal expressions (`RuleSweep`).
    static func expressionGridSlice(_ rules: SignalRules, _ plan: EvaluationPlan, shard: EvaluationPlan.Shard) throws -> JSONValue {
        let subject = plan.subjects[shard.subject], source = plan.datasets[shard.dataset]
        guard let grid = plan.parameterGrid(for: subject), let from = shard.from, let to = shard.to else {
            throw BacktestError.invalidParameter("grid shard without a grid")
        }
        let (bars, frame) = try BarSeries.frame(path: source.path, symbol: source.symbol, from: plan.start, to: plan.end)
        guard bars.count >= 2 else { throw BacktestError.invalidParameter("\(source.name): fewer than 2 bars of \(bars.symbol) in the time range") }
        var slice = GridSlice(capacity: to - from)
        let summary: SweepSummary
        do {
            summary = try RuleSweep.run(rules, grid: grid, bars: bars, frame: frame, settings: plan.settings, convention: plan.convention,
                                        annualization: plan.annualization, threads: 1, combinations: from..<to,
                                        overfittingPartitions: plan.overfittingPartitions, onRows: { slice.add($0) })
        } catch let error as RuleError {
            throw BacktestError.invalidParameter("\(subject.label) on \(source.name): config.\(error.field): \(error.error.oneLine)")
        }
        return slice.json(summary)
    }

    /// A walk-forward evaluation's subject, configuration, windows, bars and (for expressions)
    /// columns, as the plan resolved them.
    static func walkForward(_ plan: EvaluationPlan) throws -> (WalkForwardSubject, WalkForwardConfiguration, WalkForwardWindows, BarSeries, Frame?) {
        let subject = plan.subjects[0], source = plan.datasets[0]
        guard let spec = plan.walkForward, let grid = plan.parameterGrid(for: subject) else {
            throw BacktestError.invalidParameter("walk-forward shard without windows or a grid")
        }
        var settings = plan.settings
        settings.peer = settings.peer ?? plan.convention
        var configuration = WalkForwardConfiguration(grid: grid, settings: settings, convention: plan.convention, annualization: plan.annualization,
                                                     select: plan.sort, ascending: plan.ascending, threads: 1)
        configuration.overfittingPartitions = plan.overfittingPartitions
        let windows = WalkForwardWindows(windows: spec.windows)
        let walkSubject: WalkForwardSubject, bars: BarSeries, frame: Frame?
        if let rules = subject.rules {
            walkSubject = .rules(rules)
            (bars, frame) = try BarSeries.frame(path: source.path, symbol: source.symbol, from: plan.start, to: plan.end)
        } else if let rule = subject.rule {
            walkSubject = .strategy(rule)
            bars = try BarSeries.read(path: source.path, symbol: source.symbol).slice(from: plan.start, to: plan.end)
            frame = nil
        } else {
            throw BacktestError.invalidParameter("walk-forward needs a rule or signal expressions")
        }
        // The windows index these bars (for each window's shard and for the merge's stitching).
        guard let last = spec.windows.last, last.testEnd <= bars.count else {
            throw BacktestError.invalidParameter("walk-forward: \(source.name) no longer has the \(spec.windows.last?.testEnd ?? 0) bars the windows were planned on")
        }
        return (walkSubject, configuration, windows, bars, frame)
    }

    /// One walk-forward window's in-sample choice, for the merge to stitch.
    static func walkForwardWindow(_ plan: EvaluationPlan, window: Int) throws -> JSONValue {
        let (subject, configuration, windows, bars, frame) = try walkForward(plan)
        guard windows.windows.indices.contains(window) else { throw BacktestError.invalidParameter("walk-forward window \(window + 1) is not planned") }
        let choice = try WalkForward.choose(subject, configuration: configuration, window: windows.windows[window], number: window + 1, bars: bars, frame: frame)
        return .object(["index": .int(Int64(choice.index)), "parameters": .array(choice.parameters.map(EvaluationResults.number)),
                        "in_sample": .array(choice.inSample.values.map(EvaluationResults.number)),
                        "overfitting": choice.overfitting.map(EvaluationResults.overfitting) ?? .null])
    }
}
