import Compute
import Foundation

/// Resolves a training job's names into concrete settings: the task, the agent with its preset
/// for that task, the optimizer and loss, the hyperparameter overrides, and the data. Unknown
/// names are errors listing the known ones.
public enum AgentRegistry {
    /// The tasks a job may name: TradeMaster's four and the generated series.
    public static let tasks = ["algorithmic_trading", "portfolio_management", "order_execution", "high_frequency_trading", "synthetic"]

    /// The agents by task.
    public static let agents: [String: [String]] = [
        "algorithmic_trading": ["dqn", "ddqn", "dueling_dqn", "ppo", "a2c", "reinforce"],
        // Continuous weights: the Gaussian-then-softmax policy of the policy-gradient agents.
        "portfolio_management": ["ppo", "a2c", "reinforce"],
        "order_execution": ["dqn", "ddqn", "dueling_dqn", "ppo", "a2c", "reinforce"],
        "high_frequency_trading": ["dqn", "ddqn", "dueling_dqn", "ppo", "a2c", "reinforce"],
        "synthetic": ["dqn", "ddqn", "dueling_dqn", "ppo", "a2c", "reinforce"],
    ]

    /// Datasets with built-in locations: TradeMaster's BTC splits under the shared data
    /// directory (`QF_SHARED_DIR`, default ../shared), and generated series.
    public static let datasets = ["algorithmic_trading:BTC", "portfolio_management:dj30", "order_execution:PD_BTC", "order_execution:BTC", "high_frequency_trading:small_BTC",
                                  "synthetic:random_walk", "synthetic:ar1"]

    /// Every `task:agent` name this build trains.
    public static var knownAgentNames: [String] {
        agents.keys.sorted().flatMap { task in agents[task]!.map { "\(task):\($0)" } }
    }

    /// What a job resolves to.
    public struct Resolved: Sendable, Equatable {
        public enum Algorithm: Sendable, Equatable {
            case dqn(DQNConfiguration)
            case policyGradient(PolicyGradientConfiguration)
        }
        public var task: String
        public var dataset: String
        public var agent: String
        public var algorithm: Algorithm
        public var trainer: TrainerConfiguration
        public var environment: AlgorithmicTradingEnvironment.Configuration
        /// Portfolio management: reward as log return (default for the agents) or money.
        public var portfolioLogReturnReward: Bool
        /// Order execution: horizon, quantity, side.
        public var execution: OrderExecutionConfiguration
        public var data: TrainingJobConfiguration.DataPaths
        /// The traded symbol of a single-asset task (`config.symbol`), nil for the file's first.
        public var symbol: String?
        /// The observation's columns as expressions (`config.features`: algorithmic trading, each
        /// portfolio asset, daily order execution), nil for TradeMaster's.
        public var features: [String]?
    }

    public static func resolve(_ job: TrainingJobConfiguration) throws -> Resolved {
        let names = job.config
        guard let taskName = tasks.first(where: { $0 == names.taskName }) else {
            throw AgentsError.invalidConfiguration("config.task_name: unknown task '\(names.taskName)'; known: \(tasks.joined(separator: ", "))")
        }
        let task = taskName
        let parts = names.agentName.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == task, agents[task]!.contains(parts[1]) else {
            throw AgentsError.invalidConfiguration("config.agent_name: unknown agent '\(names.agentName)' for task \(task); known: \(knownAgentNames.filter { $0.hasPrefix(task + ":") }.joined(separator: ", "))")
        }
        let agent = parts[1]
        guard names.datasetName.hasPrefix(task + ":") else {
            throw AgentsError.invalidConfiguration("config.dataset_name: '\(names.datasetName)' is not a \(task) dataset (\(task):NAME)")
        }
        if task == "synthetic" && !datasets.contains(names.datasetName) {
            throw AgentsError.invalidConfiguration("config.dataset_name: unknown synthetic dataset '\(names.datasetName)'; known: synthetic:random_walk, synthetic:ar1")
        }
        var optimizer: OptimizerKind?
        if let name = names.optimizerName {
            guard let kind = OptimizerKind(rawValue: name.lowercased()) else {
                throw AgentsError.invalidConfiguration("config.optimizer_name: unknown optimizer '\(name)'; known: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            optimizer = kind
        }
        var loss: LossKind?
        if let name = names.lossName {
            guard let kind = LossKind(rawValue: name.lowercased()) else {
                throw AgentsError.invalidConfiguration("config.loss_name: unknown loss '\(name)'; known: \(LossKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            loss = kind
        }
        let h = job.hyperparameters
        try checkBounds(h)
        var trainer = TrainerConfiguration()
        trainer.epochs = h.epochs ?? (task == "synthetic" ? 3 : 20)
        trainer.seed = h.seed ?? 0
        // TradeMaster keeps the epoch with the best validation total return.
        trainer.selectionMetric = h.selectionMetric ?? .validTotalReturn
        trainer.earlyStoppingPatience = h.earlyStoppingPatience ?? 0
        try require(trainer.epochs >= 1, "hyperparameters.epochs", "at least 1")
        try require(trainer.earlyStoppingPatience >= 0, "hyperparameters.early_stopping_patience", "non-negative")

        var algorithm: Resolved.Algorithm
        switch agent {
        case "dqn", "ddqn", "dueling_dqn":
            var c = task == "algorithmic_trading" ? tradeMasterDQN : benchmarkDQN
            if task == "order_execution" || task == "high_frequency_trading" {
                // Episodes of a few thousand steps: a smaller network, learning from the start
                // of the first epoch, ε decaying over its first third.
                c.hiddenSizes = [64, 64]
                c.learningStarts = 256
                c.targetUpdateInterval = 500
                c.explorationFraction = 0.3
            }
            c.doubleDQN = agent != "dqn"
            c.dueling = agent == "dueling_dqn"
            if let optimizer { c.optimizer = optimizer }
            if let loss { c.loss = loss }
            c.learningRate = h.learningRate.map(Float.init) ?? c.learningRate
            c.batchSize = h.batchSize ?? c.batchSize
            c.gamma = h.gamma.map(Float.init) ?? c.gamma
            c.hiddenSizes = h.hiddenSizes ?? c.hiddenSizes
            c.maxGradientNorm = h.maxGradNorm.map(Float.init) ?? c.maxGradientNorm
            c.bufferSize = h.bufferSize ?? c.bufferSize
            c.learningStarts = h.learningStarts ?? c.learningStarts
            c.trainFrequency = h.trainFrequency ?? c.trainFrequency
            c.gradientSteps = h.gradientSteps ?? c.gradientSteps
            c.targetUpdateInterval = h.targetUpdateInterval ?? c.targetUpdateInterval
            c.tau = h.tau.map(Float.init) ?? c.tau
            c.explorationInitial = h.explorationInitial ?? c.explorationInitial
            c.explorationFinal = h.explorationFinal ?? c.explorationFinal
            c.explorationFraction = h.explorationFraction ?? c.explorationFraction
            c.doubleDQN = h.doubleDqn ?? c.doubleDQN
            c.dueling = h.dueling ?? c.dueling
            try validate(c)
            algorithm = .dqn(c)
        default:
            var c: PolicyGradientConfiguration = agent == "ppo" ? .ppo : agent == "a2c" ? .a2c : .reinforce
            if task == "portfolio_management" && agent == "ppo" {
                // One 252-day year per episode: two rollouts an epoch.
                c.rolloutSteps = 126
            }
            if agent == "ppo" && task == "algorithmic_trading" {
                // An episode of TradeMaster's BTC split is 889 steps: rollouts of 256 update
                // several times per epoch instead of once.
                c.rolloutSteps = 256
            }
            if let optimizer { c.optimizer = optimizer }
            if let loss { c.valueLoss = loss }
            c.learningRate = h.learningRate.map(Float.init) ?? c.learningRate
            c.batchSize = h.batchSize ?? c.batchSize
            c.gamma = h.gamma.map(Float.init) ?? c.gamma
            c.hiddenSizes = h.hiddenSizes ?? c.hiddenSizes
            c.maxGradientNorm = h.maxGradNorm.map(Float.init) ?? c.maxGradientNorm
            c.rolloutSteps = h.nSteps ?? c.rolloutSteps
            c.epochs = h.nEpochs ?? c.epochs
            c.gaeLambda = h.gaeLambda.map(Float.init) ?? c.gaeLambda
            c.clipRange = h.clipRange.map(Float.init) ?? c.clipRange
            c.clipRangeValue = h.clipRangeVf.map(Float.init) ?? c.clipRangeValue
            c.entropyCoefficient = h.entCoef.map(Float.init) ?? c.entropyCoefficient
            c.valueCoefficient = h.vfCoef.map(Float.init) ?? c.valueCoefficient
            c.normalizeAdvantage = h.normalizeAdvantage ?? c.normalizeAdvantage
            do { try c.validate() } catch let AgentsError.invalidConfiguration(message) {
                throw AgentsError.invalidConfiguration("hyperparameters.\(message)")
            }
            algorithm = .policyGradient(c)
        }

        var environment = AlgorithmicTradingEnvironment.Configuration()
        environment.fee = h.fee ?? environment.fee
        environment.initialCash = h.initialCash ?? environment.initialCash
        environment.normalizeObservations = h.normalizeObservations ?? environment.normalizeObservations
        var logReturnReward = true
        if task == "portfolio_management", let name = h.reward {
            guard name == "log_return" || name == "money" else {
                throw AgentsError.invalidConfiguration("hyperparameters.reward: unknown portfolio reward '\(name)'; known: log_return, money")
            }
            logReturnReward = name == "log_return"
        } else if let name = h.reward {
            guard let reward = AlgorithmicTradingEnvironment.Reward(rawValue: name) else {
                throw AgentsError.invalidConfiguration("hyperparameters.reward: unknown reward '\(name)'; known: realised, trademaster")
            }
            environment.reward = reward
        }
        if let name = h.shorts {
            guard let shorts = AlgorithmicTradingEnvironment.ShortAccounting(rawValue: name) else {
                throw AgentsError.invalidConfiguration("hyperparameters.shorts: unknown short accounting '\(name)'; known: margin, trademaster")
            }
            environment.shorts = shorts
        }
        // A reward in money is scaled for the optimiser by default (SB3's VecNormalize), so the
        // loss stays of order one as capital grows; TradeMaster's exact reward keeps its raw
        // scale (its golden vectors), and `normalize_reward: false` keeps it for any task. Off is
        // stored as nil: configurations that never had the switch keep their checkpoints.
        let normalizeReward = h.normalizeReward ?? (task == "algorithmic_trading" && environment.reward == .realised)
        switch algorithm {
        case .dqn(var c):
            c.normalizeReward = normalizeReward ? true : nil
            algorithm = .dqn(c)
        case .policyGradient(var c):
            c.normalizeReward = normalizeReward ? true : nil
            algorithm = .policyGradient(c)
        }
        try require(environment.fee >= 0 && environment.fee < 1, "hyperparameters.fee", "in [0, 1)")
        try require(environment.initialCash > 0, "hyperparameters.initial_cash", "positive")
        var execution = OrderExecutionConfiguration()
        execution.horizon = h.horizon ?? (names.datasetName == "order_execution:BTC" ? 30 : 20)
        execution.quantity = h.quantity ?? execution.quantity
        execution.initialCash = environment.initialCash
        try require(execution.horizon >= 1, "hyperparameters.horizon", "at least 1")
        try require(execution.quantity > 0, "hyperparameters.quantity", "positive")

        var data = job.data ?? TrainingJobConfiguration.DataPaths()
        if task == "portfolio_management" {
            // The shared data holds DJ30's 2020 and 2021 only: train on 2020, test on 2021.
            let base = names.datasetName == "portfolio_management:dj30" ? "\(sharedDirectory)/data/trademaster/portfolio_management/dj30" : nil
            data.train = data.train ?? base.map { "\($0)/valid.csv" }
            data.test = data.test ?? base.map { "\($0)/test.csv" }
            guard data.train != nil else {
                throw AgentsError.invalidConfiguration("data.train: required for dataset '\(names.datasetName)' (built in: portfolio_management:dj30)")
            }
        } else if task == "high_frequency_trading" {
            let base = names.datasetName == "high_frequency_trading:small_BTC"
                ? "\(sharedDirectory)/data/trademaster/high_frequency_trading/small_BTC/Market_Dynamics_Model/BTC/default" : nil
            data.train = data.train ?? base
            guard data.train != nil else {
                throw AgentsError.invalidConfiguration("data.train: required for dataset '\(names.datasetName)' (built in: high_frequency_trading:small_BTC)")
            }
        } else if names.datasetName == "order_execution:BTC" {
            // TradeMaster's one LOB snapshot file: split in time 70/15/15 unless given.
            data.train = data.train ?? "\(sharedDirectory)/data/trademaster/order_execution/BTC/test.csv"
        } else if task == "algorithmic_trading" || task == "order_execution" {
            let base = names.datasetName == "algorithmic_trading:BTC" ? "\(sharedDirectory)/data/trademaster/algorithmic_trading/BTC"
                : names.datasetName == "order_execution:PD_BTC" ? "\(sharedDirectory)/data/trademaster/order_execution/PD_BTC" : nil
            data.train = data.train ?? base.map { "\($0)/train.csv" }
            data.valid = data.valid ?? base.map { "\($0)/valid.csv" }
            data.test = data.test ?? base.map { "\($0)/test.csv" }
            guard data.train != nil else {
                throw AgentsError.invalidConfiguration("data.train: required for dataset '\(names.datasetName)' (built in: algorithmic_trading:BTC, order_execution:PD_BTC)")
            }
        } else if job.data != nil {
            throw AgentsError.invalidConfiguration("data: synthetic datasets are generated; remove the data block")
        }
        if let features = names.features {
            // Expressions read bar columns: the order-book snapshots (order_execution:BTC) and the
            // HFT slices are not bars.
            let bars = task == "algorithmic_trading" || task == "portfolio_management"
                || (task == "order_execution" && names.datasetName != "order_execution:BTC")
            guard bars else {
                throw AgentsError.invalidConfiguration("config.features: feature expressions read bar columns: algorithmic_trading, portfolio_management "
                                                       + "and order_execution on daily bars (this is \(names.datasetName))")
            }
            guard !features.isEmpty, features.count <= 64 else { throw AgentsError.invalidConfiguration("config.features: 1 to 64 expressions") }
        }
        return Resolved(task: task, dataset: names.datasetName, agent: agent, algorithm: algorithm, trainer: trainer, environment: environment,
                        portfolioLogReturnReward: logReturnReward, execution: execution, data: data, symbol: names.symbol, features: names.features)
    }

    /// The shared data directory (`QF_SHARED_DIR`, default ../shared from the working directory).
    public static var sharedDirectory: String { ProcessInfo.processInfo.environment["QF_SHARED_DIR"] ?? "../shared" }

    /// TradeMaster's AlgorithmicTradingDQN (ENVIRONMENTS.md): QNet 82→64→32→3, Adam 1e-3, MSE,
    /// γ 0.9, batch 64, 128 gradient steps after every 128 environment steps, ε = 0.25 constant,
    /// clip 3. One fix: TradeMaster never updates its target network (τ = 0); here it is copied
    /// every 512 steps.
    static var tradeMasterDQN: DQNConfiguration {
        var c = DQNConfiguration()
        c.hiddenSizes = [64, 32]
        c.learningRate = 1e-3
        c.loss = .mse
        c.gamma = 0.9
        c.batchSize = 64
        c.bufferSize = 1_000_000
        c.learningStarts = 128
        c.trainFrequency = 128
        c.gradientSteps = 128
        c.explorationInitial = 0.25
        c.explorationFinal = 0.25
        c.maxGradientNorm = 3
        c.targetUpdateInterval = 512
        return c
    }

    /// ../shared/peers/rl/bench_sb3.py's DQN: MLP 128×128, batch 64, buffer 100 k, learning
    /// starts 1,000, one gradient step per environment step, target copy every 1,000.
    public static var benchmarkDQN: DQNConfiguration {
        var c = DQNConfiguration()
        c.hiddenSizes = [128, 128]
        c.batchSize = 64
        c.bufferSize = 100_000
        c.learningStarts = 1_000
        c.trainFrequency = 1
        c.gradientSteps = 1
        c.targetUpdateInterval = 1_000
        return c
    }

    static func validate(_ c: DQNConfiguration) throws {
        try require(!c.hiddenSizes.isEmpty && c.hiddenSizes.allSatisfy { $0 > 0 }, "hyperparameters.hidden_sizes", "positive sizes, at least one")
        try require(c.learningRate > 0, "hyperparameters.learning_rate", "positive")
        try require(c.batchSize > 0, "hyperparameters.batch_size", "positive")
        try require(c.bufferSize >= c.batchSize, "hyperparameters.buffer_size", "at least batch_size")
        try require((0...1).contains(c.gamma), "hyperparameters.gamma", "in [0, 1]")
        try require(c.trainFrequency > 0 && c.gradientSteps > 0 && c.targetUpdateInterval > 0, "hyperparameters.train_frequency/gradient_steps/target_update_interval", "positive")
        try require(c.tau > 0 && c.tau <= 1, "hyperparameters.tau", "in (0, 1]")
        try require((0...1).contains(c.explorationInitial) && (0...1).contains(c.explorationFinal) && c.explorationFraction >= 0,
                    "hyperparameters.exploration_*", "ε in [0, 1], fraction non-negative")
        try require(c.maxGradientNorm > 0, "hyperparameters.max_grad_norm", "positive")
    }

    /// Refuses values outside their declared ranges (`HyperparameterCatalog`: sizes that could
    /// overflow arithmetic, a database column or the machine's memory; non-finite or absurd reals;
    /// oversized networks) before anything is allocated, naming the field (`hyperparameters.batch_size`).
    public static func checkBounds(_ h: Hyperparameters) throws {
        try HyperparameterCatalog.check(h)
    }

    static func require(_ ok: Bool, _ field: String, _ rule: String) throws {
        if !ok { throw AgentsError.invalidConfiguration("\(field): must be \(rule)") }
    }
}
