/// Hyperparameters by the names TradeMaster, SB3 and the seed's API use. Every field is optional:
/// a missing one takes the agent's preset for the task (see `AgentRegistry`). Each field's range,
/// scope and doc line are declared once, in `HyperparameterCatalog`, which configs, the service and
/// `qf tune` all read.
public struct Hyperparameters: Codable, Sendable, Equatable {
    // Shared.
    public var learningRate: Double?
    public var batchSize: Int?
    /// Training epochs: passes over the training split.
    public var epochs: Int?
    public var gamma: Double?
    public var hiddenSizes: [Int]?
    public var maxGradNorm: Double?
    public var seed: UInt64?
    public var earlyStoppingPatience: Int?
    public var selectionMetric: SelectionMetric?
    // DQN.
    public var bufferSize: Int?
    public var learningStarts: Int?
    public var trainFrequency: Int?
    public var gradientSteps: Int?
    public var targetUpdateInterval: Int?
    public var tau: Double?
    public var explorationInitial: Double?
    public var explorationFinal: Double?
    public var explorationFraction: Double?
    public var doubleDqn: Bool?
    public var dueling: Bool?
    // Policy gradient.
    public var nSteps: Int?
    public var nEpochs: Int?
    public var gaeLambda: Double?
    public var clipRange: Double?
    public var clipRangeVf: Double?
    public var entCoef: Double?
    public var vfCoef: Double?
    public var normalizeAdvantage: Bool?
    // Environment.
    public var fee: Double?
    public var initialCash: Double?
    public var normalizeObservations: Bool?
    /// Scale rewards as SB3's `VecNormalize` (default: on for algorithmic trading's money reward).
    public var normalizeReward: Bool?
    public var reward: String?
    public var shorts: String?
    /// Order execution: decisions per order and the order's size.
    public var horizon: Int?
    public var quantity: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case learningRate = "learning_rate", batchSize = "batch_size", epochs, gamma, hiddenSizes = "hidden_sizes"
        case maxGradNorm = "max_grad_norm", seed, earlyStoppingPatience = "early_stopping_patience", selectionMetric = "selection_metric"
        case bufferSize = "buffer_size", learningStarts = "learning_starts", trainFrequency = "train_frequency", gradientSteps = "gradient_steps"
        case targetUpdateInterval = "target_update_interval", tau, explorationInitial = "exploration_initial", explorationFinal = "exploration_final"
        case explorationFraction = "exploration_fraction", doubleDqn = "double_dqn", dueling
        case nSteps = "n_steps", nEpochs = "n_epochs", gaeLambda = "gae_lambda", clipRange = "clip_range", clipRangeVf = "clip_range_vf"
        case entCoef = "ent_coef", vfCoef = "vf_coef", normalizeAdvantage = "normalize_advantage"
        case fee, initialCash = "initial_cash", normalizeObservations = "normalize_observations", normalizeReward = "normalize_reward", reward, shorts, horizon, quantity
    }
}
