import Foundation
import Synchronization

/// How a search runs.
public struct TuneOptions: Sendable {
    /// Random configurations to draw; nil: the full grid.
    public var trials: Int?
    /// Seeds per configuration (the job's seed, seed + 1, …: the same seeds for every configuration).
    public var seeds = 1
    /// Successive halving (ASHA's rungs); nil: every trial trains to `maxEpochs`.
    public var halving: SuccessiveHalving?
    /// Epochs of a trial trained to the end.
    public var maxEpochs: Int
    /// The validation metric that ranks trials (each seed's best epoch by it).
    public var metric: SelectionMetric = .validSharpe
    /// Seeds the random search and the bootstrap intervals.
    public var samplingSeed: UInt64 = 0
    /// Trials trained at once (one thread each).
    public var parallelism = 1
    /// Where each trial seed's training directory goes (`trial-007/seed-1`).
    public var directory: String

    public init(maxEpochs: Int, directory: String) {
        self.maxEpochs = maxEpochs
        self.directory = directory
    }
}

/// One configuration's outcome.
public struct TrialResult: Codable, Sendable, Equatable {
    /// Index in the order the configurations were drawn.
    public var trial: Int
    public var values: [String: HyperparameterValue]
    /// Epochs each seed trained (the rung it reached; fewer when a seed's patience ran out).
    public var epochs: Int
    /// Each seed's best value of the metric (nil when it never had one).
    public var scores: [Double?]
    /// Across seeds (nil when no seed had a value).
    public var statistics: SeedStatistics?
    /// `completed` (trained to max epochs) or `stopped` (successive halving ended it at a rung:
    /// a normal end, not a failure); over REST also `failed`.
    public var status: String

    public init(trial: Int, values: [String: HyperparameterValue], epochs: Int, scores: [Double?], statistics: SeedStatistics?, status: String) {
        self.trial = trial
        self.values = values
        self.epochs = epochs
        self.scores = scores
        self.statistics = statistics
        self.status = status
    }
}

/// A search's outcome: trials best first, and what it spent.
public struct TuneResult: Codable, Sendable, Equatable {
    public var metric: String
    public var rungs: [Int]
    /// Best first: trials that trained furthest, then by the metric's mean across seeds.
    public var trials: [TrialResult]
    /// Epochs trained in all (every seed counted) / had every trial run to the end.
    public var epochsTrained: Int
    public var epochsIfFull: Int

    enum CodingKeys: String, CodingKey {
        case metric, rungs, trials
        case epochsTrained = "epochs_trained"
        case epochsIfFull = "epochs_if_full"
    }

    public var best: TrialResult { trials[0] }

    public init(metric: String, rungs: [Int], trials: [TrialResult], epochsTrained: Int, epochsIfFull: Int) {
        self.metric = metric
        self.rungs = rungs
        self.trials = trials
        self.epochsTrained = epochsTrained
        self.epochsIfFull = epochsIfFull
    }
}

/// What a search reports as it goes.
public enum TuneEvent: Sendable {
    case epoch(trial: Int, seed: Int, EpochMetrics)
    case rungDone(epochs: Int, trials: Int, promoted: [Int])
}

/// Hyperparameter search over a job config: configurations drawn (seeded) or gridded from a
/// `SearchSpace`, each trained with several seeds, rung by rung under successive halving, trials
/// in parallel. Every trial seed is a normal training directory, so a search stopped by Ctrl-C
/// continues where it was when run again with the same arguments.
public final class Tuner: Sendable {
    public let base: TrainingJobConfiguration
    public let configurations: [[String: HyperparameterValue]]
    public let options: TuneOptions

    public init(base: TrainingJobConfiguration, space: SearchSpace, options: TuneOptions) throws {
        guard (1...1_000).contains(options.seeds) else { throw AgentsError.invalidConfiguration("seeds: must be 1 to 1000, got \(options.seeds)") }
        self.base = base
        self.options = options
        configurations = try options.trials.map { try space.random(count: $0, seed: options.samplingSeed) } ?? space.grid()
        // Every configuration must resolve before anything trains: a bad combination fails now.
        for (i, values) in configurations.enumerated() {
            do { _ = try AgentRegistry.resolve(try trialJob(values: values, seed: 0)) } catch let AgentsError.invalidConfiguration(message) {
                throw AgentsError.invalidConfiguration("trial \(i) (\(Self.describe(values))): \(message)")
            }
        }
    }

    /// The job a trial's seed trains: the base job with the trial's values, `maxEpochs` epochs,
    /// the seed's seed and the search's metric as the selection metric.
    public func trialJob(values: [String: HyperparameterValue], seed index: Int) throws -> TrainingJobConfiguration {
        try Self.trialJob(base: base, values: values, seed: index, options: options)
    }

    public static func trialJob(base: TrainingJobConfiguration, values: [String: HyperparameterValue], seed index: Int, options: TuneOptions) throws -> TrainingJobConfiguration {
        var job = base
        job.hyperparameters = try HyperparameterCatalog.setting(values, in: base.hyperparameters)
        job.hyperparameters.epochs = options.maxEpochs
        job.hyperparameters.seed = (base.hyperparameters.seed ?? 0) &+ UInt64(index)
        job.hyperparameters.selectionMetric = options.metric
        return job
    }

    /// The configuration to train with from now on: the best trial's values on the base job.
    public func bestJob(_ result: TuneResult) throws -> TrainingJobConfiguration {
        var job = try trialJob(values: result.best.values, seed: 0)
        job.name = (base.name ?? "tuned") + "-best"
        return job
    }

    public static func describe(_ values: [String: HyperparameterValue]) -> String {
        values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: " ")
    }

    struct UnitOutcome: Sendable {
        var score: Double?
        var epochsDone: Int
        var finished: Bool
    }

    /// Runs the search. `shouldStop` (checked between steps) ends it with `AgentsError.cancelled`
    /// after the running epochs are dropped; their checkpoints stay for a rerun.
    public func run(shouldStop: @escaping @Sendable () -> Bool = { false }, onEvent: @escaping @Sendable (TuneEvent) -> Void = { _ in }) throws -> TuneResult {
        let rungs = options.halving?.rungs ?? [options.maxEpochs]
        let seeds = options.seeds
        var alive = Array(configurations.indices)
        var outcomes: [Int: [UnitOutcome]] = [:]
        var status: [Int: String] = [:]
        for (k, rung) in rungs.enumerated() {
            let units = alive.flatMap { t in (0..<seeds).map { (t, $0) } }
            let results = try ParallelWork.run(count: units.count, parallelism: options.parallelism) { i in
                try self.train(trial: units[i].0, seed: units[i].1, throughEpoch: rung, shouldStop: shouldStop, onEvent: onEvent)
            }
            for (i, unit) in units.enumerated() {
                outcomes[unit.0, default: Array(repeating: UnitOutcome(score: nil, epochsDone: 0, finished: false), count: seeds)][unit.1] = results[i]
            }
            if k == rungs.count - 1 {
                for t in alive { status[t] = "completed" }
                onEvent(.rungDone(epochs: rung, trials: alive.count, promoted: []))
                break
            }
            let scores = alive.map { t in (trial: t, score: Self.mean(outcomes[t]!.map(\.score)) ?? .nan) }
            let promoted = options.halving!.promoted(scores: scores)
            for t in alive where !promoted.contains(t) { status[t] = "stopped" }
            onEvent(.rungDone(epochs: rung, trials: alive.count, promoted: promoted))
            alive = promoted
        }
        var trials = configurations.indices.map { t -> TrialResult in
            let units = outcomes[t]!
            let scores = units.map(\.score)
            let finite = scores.compactMap { $0 }
            return TrialResult(trial: t, values: configurations[t], epochs: units.map(\.epochsDone).max() ?? 0, scores: scores,
                               statistics: finite.isEmpty ? nil : SeedStatistics(values: finite, seed: options.samplingSeed),
                               status: status[t] ?? "stopped")
        }
        trials.sort { Self.ranks((epochs: $0.epochs, mean: $0.statistics?.mean, trial: $0.trial), before: (epochs: $1.epochs, mean: $1.statistics?.mean, trial: $1.trial)) }
        let trained = outcomes.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.epochsDone } }
        return TuneResult(metric: options.metric.rawValue, rungs: rungs, trials: trials, epochsTrained: trained,
                          epochsIfFull: configurations.count * seeds * options.maxEpochs)
    }

    /// Trains one seed of one trial through `throughEpoch`, continuing its directory's checkpoint.
    func train(trial: Int, seed: Int, throughEpoch: Int, shouldStop: @Sendable () -> Bool, onEvent: @Sendable (TuneEvent) -> Void) throws -> UnitOutcome {
        let directory = "\(options.directory)/trial-\(String(format: "%03d", trial))/seed-\(seed)"
        let job = try trialJob(values: configurations[trial], seed: seed)
        if FileManager.default.fileExists(atPath: "\(directory)/job.json") {
            let saved = try TrainingJobConfiguration.load(path: "\(directory)/job.json")
            guard saved == job else {
                throw AgentsError.invalidConfiguration("\(directory) holds a different trial (another search's): choose another output directory")
            }
        }
        let run = try TrainingRun(job: job, directory: directory)
        try run.resumeIfPossible()
        let patience = run.resolved.trainer.earlyStoppingPatience
        let exhausted = patience > 0 && run.progress.epochsWithoutImprovement >= patience
        if !exhausted && run.progress.epochsDone < throughEpoch {
            let outcome = try run.run(throughEpoch: throughEpoch, shouldStop: shouldStop) { onEvent(.epoch(trial: trial, seed: seed, $0)) }
            if outcome == .cancelled { throw AgentsError.cancelled("the search was stopped; run it again with the same arguments to continue") }
        }
        let score = run.progress.bestScore.flatMap { $0.isFinite ? $0 : nil }
        return UnitOutcome(score: score, epochsDone: run.progress.epochsDone, finished: run.progress.epochsDone >= options.maxEpochs)
    }

    /// The leaderboard's order: trials that trained further first, then the higher mean across
    /// seeds (none last), then the lower index.
    public static func ranks(_ a: (epochs: Int, mean: Double?, trial: Int), before b: (epochs: Int, mean: Double?, trial: Int)) -> Bool {
        if a.epochs != b.epochs { return a.epochs > b.epochs }
        let x = a.mean ?? -.infinity, y = b.mean ?? -.infinity
        return x != y ? x > y : a.trial < b.trial
    }

    /// The mean of the scores that exist (nil when none does).
    public static func mean(_ scores: [Double?]) -> Double? {
        let finite = scores.compactMap { $0 }
        return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
    }
}
