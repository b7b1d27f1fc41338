import Backtest
import Expressions
import Foundation
import Logging
import PostgresNIO

/// `start` on a strategy that can trade: a paper-trading replay over its data's latest bars. One
/// bar at a time — every `config.replay.interval_ms` (default 200) over the last
/// `config.replay.bars` (default 250) — a `strategy_status` event carries the bar, its time and
/// close, the position, equity, return, drawdown and trades so far; every tenth bar and at the end
/// the strategy's performance fields follow. What trades:
/// - a rule strategy with a dataset (`config.rule`, `config.dataset_id`), or one written as
///   expressions (`config.entry`/`exit`/… or `config.position`, with `config.dataset_id`): Backtest
///   on the bars seen so far at each bar (never a later one: the run is recomputed on the prefix);
/// - otherwise the trained model of the strategy's latest completed training job, over that
///   job's held-out test split: the greedy policy's decisions (each taken on the window of bars
///   before it, so causal by construction) executed as its evaluations are — at the close, the
///   environment's fee and cash, shorts allowed — and revealed bar by bar.
/// `stop` (or the status leaving `active`) ends it; the last bar ends it with the strategy
/// `stopped`; bad data sets it to `error`, saying why.
public struct PaperTradeHandler: TaskHandler {
    public static let taskName = TaskName.paperTrade.rawValue
    let strategies: any StrategyStoring
    let datasets: any DatasetStoring
    let jobs: any TrainingJobStoring
    /// For the events each bar announces.
    let database: Database

    public init(stores: ServiceStores, database: Database) {
        strategies = stores.strategies
        datasets = stores.datasets
        jobs = stores.trainingJobs
        self.database = database
    }

    /// How long and how fast a replay runs: the last `config.replay.bars` bars (default 250), one
    /// every `config.replay.interval_ms` (default 200).
    struct Pace: Sendable {
        var bars: Int
        var interval: Duration

        init(_ strategy: StrategyRecord) {
            let replay = strategy.config.objectValue?["replay"]?.objectValue ?? [:]
            func number(_ key: String) -> Int? { replay[key]?.numberValue.flatMap { $0.isFinite ? Int($0) : nil } }
            bars = min(100_000, max(2, number("bars") ?? 250))
            interval = .milliseconds(min(60_000, max(0, number("interval_ms") ?? 200)))
        }
    }

    /// What a rule strategy (or one written as expressions) replays, checked at `start`.
    struct Replay: Sendable {
        var strategy: PaperStep.Strategy
        var parameters: [String: Double]
        var datasetID: Int

        /// The replay a strategy asks for; nil when it names no rule or expressions, or no dataset
        /// (then a trained model replays, if it has one, or `start` only changes the status).
        init?(_ strategy: StrategyRecord) {
            let config = strategy.config.objectValue ?? [:]
            guard case .int(let dataset)? = config["dataset_id"], dataset > 0, dataset <= Int64(Int32.max) else { return nil }
            let text = { (key: String) in config[key]?.stringValue }
            var known: Set<String>?
            if text("entry") != nil || text("short_entry") != nil {
                self.strategy = .rules(SignalRules(entry: text("entry"), exit: text("exit"), shortEntry: text("short_entry"), shortExit: text("short_exit")))
            } else if let position = text("position") {
                self.strategy = .position(position)
            } else if let rule = (config["rule"] ?? config["strategy"])?.stringValue, let parameters = StrategySpec.catalog[rule] {
                self.strategy = .rule(rule)
                known = Set(parameters.keys)
            } else {
                return nil
            }
            var values: [String: Double] = [:]
            for (key, value) in strategy.parameters.objectValue ?? [:] where known?.contains(key) ?? true {
                if let number = value.numberValue, number.isFinite { values[key] = number }
            }
            parameters = values
            datasetID = Int(dataset)
        }
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        guard case .int(let rawID)? = task.kwargs.objectValue?["strategy_id"] else { throw PermanentTaskFailure("paper_trade: kwargs.strategy_id is required") }
        let id = Int(rawID), logger = context.logger
        guard let strategy = try await strategies.find(id, logger: logger), strategy.status == .active else {
            return .object(["skipped": .string("not active")])
        }
        guard let replay = Replay(strategy) else {
            guard let model = try await jobs.latestModelPath(ofStrategy: id, logger: logger) else {
                return .object(["skipped": .string("no rule, dataset or trained model")])
            }
            return try await replayModel(strategy, model: model, context: context)
        }
        let pace = Pace(strategy)
        let bars: BarSeries, frame: Frame
        var settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 100_000)
        settings.peer = .backtestingPy
        do {
            guard let dataset = try await datasets.find(replay.datasetID, logger: logger),
                  dataset.status == .ready, dataset.ownerID == strategy.ownerID else {
                throw BacktestError.io("dataset \(replay.datasetID) is not a ready dataset of the strategy's owner")
            }
            let (all, allColumns) = try BarSeries.frame(path: dataset.filePath, symbol: nil)
            let from = max(0, all.count - pace.bars)
            bars = BarSeries(symbol: all.symbol, open: Array(all.open[from...]), close: Array(all.close[from...]), timestamps: Array(all.timestamps[from...]))
            frame = Frame(symbol: all.symbol, columns: allColumns.columns.mapValues { Array($0[from...]) })
            // Whatever would fail at every bar fails now, once, saying why.
            _ = try PaperStep(replay.strategy, parameters: replay.parameters, bars: bars, frame: frame, through: bars.count - 1, settings: settings)
        } catch let error as BacktestError {
            try await strategies.endPaperTrade(strategy, status: .error, reason: error.description, logger: logger)
            throw PermanentTaskFailure(error.description)
        } catch let error as RuleError {
            let reason = "config.\(error.field): \(error.error.oneLine)"
            try await strategies.endPaperTrade(strategy, status: .error, reason: reason, logger: logger)
            throw PermanentTaskFailure(reason)
        }
        let (bar, finished) = try await reveal(strategy, bars: bars.count, pace: pace, context: context) { i in
            try PaperStep(replay.strategy, parameters: replay.parameters, bars: bars, frame: frame, through: i, settings: settings)
        }
        return .object(["strategy_id": .int(rawID), "bars": .int(Int64(bar + 1)), "finished": .bool(finished)])
    }

    /// The replay itself, shared by rules and models: bar 1, 2, … of `bars` (bar 0 is the start)
    /// while the strategy stays active, each step's event out and, every tenth bar, its
    /// performance fields; then the last step's fields, and `stopped` if it reached the end.
    /// Returns the last bar replayed and whether that was the end.
    func reveal(_ strategy: StrategyRecord, bars: Int, pace: Pace, context: TaskContext,
                step: (Int) throws -> PaperStep) async throws -> (bar: Int, finished: Bool) {
        let id = strategy.id, logger = context.logger
        var last = PaperStep.empty
        for i in 1..<bars {
            if Task.isCancelled { break }
            guard try await strategies.find(id, logger: logger)?.status == .active else { break }
            let current = try step(i)
            last = current
            try await Events.notify(Events.payload(channel: "strategy_status", id: id, userID: strategy.ownerID, type: "paper_trade",
                                                   data: current.json(strategyID: id, of: bars)), database: database, logger: logger)
            if i % 10 == 0 { try await strategies.recordPerformance(current.metrics, strategyID: id, logger: logger) }
            context.report(progress: .object(["bar": .int(Int64(i + 1)), "bars": .int(Int64(bars))]))
            if i < bars - 1 { try? await Task.sleep(for: pace.interval) }
        }
        // Written outside this task, which may be cancelled (a stop), so its queries would be too.
        let finished = last.bar == bars - 1
        let strategies = self.strategies
        try await Task {
            if last.bar > 0 { try await strategies.recordPerformance(last.metrics, strategyID: id, logger: logger) }
            if finished { try await strategies.endPaperTrade(strategy, status: .stopped, reason: "replay finished", logger: logger) }
        }.value
        if Task.isCancelled { throw CancellationError() }
        return (last.bar, finished)
    }

    /// The trained model's replay: its whole test-split run computed once (the policy is causal),
    /// then revealed one bar at a time like a rule's.
    func replayModel(_ strategy: StrategyRecord, model: String, context: TaskContext) async throws -> JSONValue {
        let logger = context.logger
        let pace = Pace(strategy)
        let runDirectory = (model as NSString).deletingLastPathComponent
        let testSplit = DataSettings.testSplit(ofRunDirectory: runDirectory)
        let run: EvaluationRunner.Run
        let settings = ExecutionSettings(fill: .close, commission: 0.001, initialCash: 100_000, allowShort: true)
        do {
            let source = EvaluationPlan.DataSource(datasetID: nil, name: "test split", path: testSplit, symbol: nil)
            let subject = EvaluationPlan.Subject(label: strategy.name, rule: nil, parameters: [:], modelDirectory: runDirectory)
            let plan = EvaluationPlan(kind: .backtest, subjects: [subject], datasets: [source], grid: nil, benchmark: nil, start: nil, end: nil,
                                      settings: settings, convention: .backtestingPy, annualization: .inferred, sort: "sharpe", ascending: false, top: 1,
                                      shards: [])
            run = try await TaskThread.run { try EvaluationFailure.wrapping { try EvaluationRunner.run(subject, on: source, plan: plan) } }
        } catch let error as EvaluationFailure {
            try await strategies.endPaperTrade(strategy, status: .error, reason: error.message, logger: logger)
            throw PermanentTaskFailure(error.message)
        }
        let from = max(0, run.equity.count - pace.bars)
        let base = from == 0 ? settings.initialCash : run.equity[from - 1]
        let (bar, finished) = try await reveal(strategy, bars: run.equity.count - from, pace: pace, context: context) { i in
            PaperStep(revealing: run, from: from, through: from + i, startingEquity: base)
        }
        return .object(["strategy_id": .int(Int64(strategy.id)), "bars": .int(Int64(bar + 1)), "finished": .bool(finished), "model": .string(runDirectory)])
    }
}
