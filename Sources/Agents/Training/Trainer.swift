import Foundation

/// How long and how to train; every field has a default and a doc line.
public struct TrainerConfiguration: Codable, Sendable, Equatable {
    /// Passes over the training split (TradeMaster's epochs).
    public var epochs = 10
    /// Seeds the episodes (epoch k resets with seed + k).
    public var seed: UInt64 = 0
    /// The metric that picks the best epoch.
    public var selectionMetric: SelectionMetric = .validSharpe
    /// Stop after this many epochs without a better selection metric (0: never).
    public var earlyStoppingPatience = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, seed
        case selectionMetric = "selection_metric"
        case earlyStoppingPatience = "early_stopping_patience"
    }
}

/// Where a run stands: stored in every checkpoint, so resuming knows the history, the best epoch
/// and the patience left.
public struct TrainingProgress: Codable, Sendable, Equatable {
    public var epochsDone = 0
    public var stepsPerEpoch = 0
    public var history: [EpochMetrics] = []
    public var bestEpoch: Int?
    public var bestScore: Double?
    public var epochsWithoutImprovement = 0

    public init() {}
}

/// How a `Trainer.run` ended.
public enum TrainingStatus: String, Codable, Sendable {
    case completed, cancelled
    case earlyStopped = "early_stopped"
}

/// Runs an agent epoch by epoch: train on one episode of the training split, evaluate the greedy
/// policy on the validation split, report the epoch's metrics, keep the best epoch and write a
/// checkpoint of the whole state (the only safe points are epoch ends). With a checkpoint
/// directory, `run` resumes from the last checkpoint there, and the result is bit-identical to a
/// run that was never interrupted (same seeds, same order of every random draw, one BLAS thread).
///
/// Files in `directory`: `checkpoint.safetensors` (the latest epoch end, with the progress in its
/// metadata) and `best.safetensors` (the best epoch's state).
public final class Trainer<Agent: TrainableAgent, Environment: TradingEnvironment> {
    public let agent: Agent
    public let configuration: TrainerConfiguration
    public let directory: String?
    public private(set) var progress = TrainingProgress()
    var train: Environment
    var valid: Environment?

    public init(agent: Agent, train: Environment, valid: Environment?, configuration: TrainerConfiguration, directory: String?) {
        self.agent = agent
        self.train = train
        self.valid = valid
        self.configuration = configuration
        self.directory = directory
    }

    public var checkpointPath: String? { directory.map { "\($0)/checkpoint.safetensors" } }
    public var bestPath: String? { directory.map { "\($0)/best.safetensors" } }

    /// Restores the agent and the progress from the directory's checkpoint, if there is one.
    /// Returns whether it did.
    @discardableResult
    public func resumeIfPossible() throws -> Bool {
        guard let path = checkpointPath, FileManager.default.fileExists(atPath: path) else { return false }
        let metadata = try agent.restore(from: path)
        guard let json = metadata["trainer"] else { throw AgentsError.invalidData("\(path): no trainer progress in the checkpoint") }
        progress = try JSONDecoder().decode(TrainingProgress.self, from: Data(json.utf8))
        return true
    }

    /// Trains until `configuration.epochs` epochs are done, early stopping triggers, or
    /// `shouldStop` (checked between steps) asks to stop: the unfinished epoch is then dropped and
    /// the last checkpoint is where a resumed run starts. `onEpoch` receives each epoch's metrics.
    /// With `throughEpoch`, it pauses (`.completed`) after that epoch: schedules stay planned over
    /// all `configuration.epochs`, so a run continued later is the same as one never paused
    /// (successive halving trains trials rung by rung this way).
    public func run(throughEpoch: Int? = nil, shouldStop: () -> Bool = { false }, onEpoch: (EpochMetrics) -> Void = { _ in }) throws -> TrainingStatus {
        try directory.map { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: true) }
        if progress.stepsPerEpoch == 0 { progress.stepsPerEpoch = train.probedEpisodeLength }
        let planned = progress.stepsPerEpoch * configuration.epochs
        let last = min(configuration.epochs, throughEpoch ?? configuration.epochs)
        while progress.epochsDone < last {
            let epoch = progress.epochsDone + 1
            let clock = ContinuousClock.now
            let stats = agent.trainEpisode(&train, seed: configuration.seed &+ UInt64(epoch), plannedSteps: planned, shouldStop: shouldStop)
            guard stats.completed else { return .cancelled }
            let seconds = Self.seconds(since: clock)
            var metrics = EpochMetrics(epoch: epoch, loss: stats.meanLoss.finiteOrNil, meanReward: stats.meanReward, episodeReturn: stats.episodeReturn,
                                       stepsPerSecond: seconds > 0 ? Double(stats.steps) / seconds : 0)
            if agent.kind == "dqn" { metrics.epsilon = stats.exploration } else { metrics.entropy = stats.exploration.finiteOrNil }
            if let d = stats.policyGradient {
                metrics.policyLoss = d.policyLoss.finiteOrNil
                metrics.valueLoss = d.valueLoss.finiteOrNil
                metrics.approxKL = d.approxKL.finiteOrNil
                metrics.clipFraction = d.clipFraction?.finiteOrNil
                metrics.explainedVariance = d.explainedVariance?.finiteOrNil
            }
            if var env = valid {
                let m = evaluate(&env)
                metrics.validTotalReturn = m.totalReturn.finiteOrNil
                metrics.validSharpe = m.sharpe.finiteOrNil
                metrics.validMaxDrawdown = m.maxDrawdown.finiteOrNil
            }
            progress.epochsDone = epoch
            progress.history.append(metrics)
            let selection = valid == nil && configuration.selectionMetric != .episodeReturn ? .episodeReturn : configuration.selectionMetric
            let score = metrics.value(of: selection) ?? -.infinity
            let improved = progress.bestScore.map { score > $0 } ?? true
            if improved {
                progress.bestEpoch = epoch
                progress.bestScore = score
                progress.epochsWithoutImprovement = 0
            } else {
                progress.epochsWithoutImprovement += 1
            }
            try saveCheckpoint(best: improved)
            onEpoch(metrics)
            if configuration.earlyStoppingPatience > 0 && progress.epochsWithoutImprovement >= configuration.earlyStoppingPatience {
                return .earlyStopped
            }
        }
        return .completed
    }

    /// The greedy policy's TradeMaster metrics over one episode of `env`.
    public func evaluate(_ env: inout Environment) -> EpisodeMetrics {
        let run = agent.run(&env, seed: configuration.seed)
        let v = run.values
        let daily = [0] + (1..<max(v.count, 1)).map { v[$0] / v[$0 - 1] - 1 }
        return EpisodeMetrics(assets: v, dailyReturns: daily)
    }

    /// Loads the best epoch's state into the agent (when a directory holds one).
    public func restoreBest() throws {
        guard let path = bestPath, FileManager.default.fileExists(atPath: path) else { return }
        try agent.restore(from: path)
    }

    func saveCheckpoint(best: Bool) throws {
        guard let path = checkpointPath, let bestPath else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(progress), as: UTF8.self)
        try agent.save(to: path, metadata: ["trainer": json])
        if best { try agent.save(to: bestPath, metadata: ["trainer": json]) }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
