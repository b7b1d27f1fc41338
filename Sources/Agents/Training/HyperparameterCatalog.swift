import Foundation

/// Every hyperparameter a job may set, declared once: name, range, scope and doc line. Job configs
/// (`AgentRegistry.checkBounds`), the service (which resolves jobs the same way) and `qf tune`
/// (search dimensions) read this list; `qf tune --list` prints it with a config's values. A test
/// keeps it equal to `Hyperparameters`' JSON keys.
public enum HyperparameterCatalog {
    /// The declarations, in the order `qf tune --list` prints them.
    public static let all: [HyperparameterSpec] = sharedSpecs + trainerSpecs + dqnSpecs + policyGradientSpecs + environmentSpecs

    /// The declaration named `name` (a JSON key of `hyperparameters`), or an error listing them.
    public static func spec(named name: String) throws -> HyperparameterSpec {
        guard let spec = all.first(where: { $0.name == name }) else {
            throw AgentsError.invalidConfiguration("unknown hyperparameter '\(name)'; known: \(all.map(\.name).joined(separator: ", "))")
        }
        return spec
    }

    /// The values `h` sets, by name, read through its JSON form (so the names are `Hyperparameters`' own).
    public static func values(of h: Hyperparameters) throws -> [String: HyperparameterValue] {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(h)) as? [String: Any] ?? [:]
        var values: [String: HyperparameterValue] = [:]
        for spec in all {
            guard let raw = object[spec.name], !(raw is NSNull) else { continue }
            values[spec.name] = value(raw, kind: spec.kind)
        }
        return values
    }

    /// `h` with the named values set (through the JSON form, so every key is checked by decoding).
    public static func setting(_ values: [String: HyperparameterValue], in h: Hyperparameters) throws -> Hyperparameters {
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(h)) as? [String: Any] ?? [:]
        for (name, value) in values {
            let spec = try spec(named: name)
            try spec.check(value)
            object[name] = value.jsonObject
        }
        return try JSONDecoder().decode(Hyperparameters.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// Checks every value `h` sets against its declaration; the error names the first field out of range.
    public static func check(_ h: Hyperparameters) throws {
        let set = try values(of: h)
        for spec in all { if let v = set[spec.name] { try spec.check(v) } }
    }

    static func value(_ raw: Any, kind: HyperparameterSpec.Kind) -> HyperparameterValue {
        switch kind {
        case .flag: return .flag((raw as? Bool) ?? false)
        case .integer: return .integer((raw as? NSNumber)?.intValue ?? 0)
        case .real: return .real((raw as? NSNumber)?.doubleValue ?? .nan)
        case .choice: return .text(raw as? String ?? "")
        case .layerSizes: return .sizes((raw as? [NSNumber])?.map(\.intValue) ?? [])
        }
    }

    // MARK: The declarations

    typealias R = AgentRegistry.Resolved

    static func dqn(_ r: R) -> DQNConfiguration? {
        if case .dqn(let c) = r.algorithm { return c }
        return nil
    }

    static func pg(_ r: R) -> PolicyGradientConfiguration? {
        if case .policyGradient(let c) = r.algorithm { return c }
        return nil
    }

    static func either<T>(_ r: R, _ d: (DQNConfiguration) -> T, _ p: (PolicyGradientConfiguration) -> T) -> T {
        switch r.algorithm {
        case .dqn(let c): return d(c)
        case .policyGradient(let c): return p(c)
        }
    }

    static func real(_ x: Float) -> HyperparameterValue { .real(Double(x)) }

    static let sharedSpecs: [HyperparameterSpec] = [
        .init("learning_rate", .real(0...10, positive: true, logScale: true), .all, "The optimizer's step size.") { r in
            real(either(r, \.learningRate, \.learningRate))
        },
        .init("batch_size", .integer(1...65_536), .all, "Transitions per gradient step (DQN) or minibatch size (policy gradient; 0 in a preset: the whole rollout).") { r in
            .integer(either(r, \.batchSize, \.batchSize))
        },
        .init("gamma", .real(0...1), .all, "Discount factor of future rewards.") { r in real(either(r, \.gamma, \.gamma)) },
        .init("hidden_sizes", .layerSizes, .all, "Hidden layer sizes of the networks.") { r in .sizes(either(r, \.hiddenSizes, \.hiddenSizes)) },
        .init("max_grad_norm", .real(0...1e6, positive: true), .all, "Clip of the gradient's global norm.") { r in
            real(either(r, \.maxGradientNorm, \.maxGradientNorm))
        },
    ]

    static let trainerSpecs: [HyperparameterSpec] = [
        .init("epochs", .integer(1...100_000), .trainer, "Passes over the training split.") { r in .integer(r.trainer.epochs) },
        .init("seed", .integer(0...Int.max), .trainer, "Seeds the networks, exploration and episodes.") { r in .integer(Int(truncatingIfNeeded: r.trainer.seed)) },
        .init("early_stopping_patience", .integer(0...100_000), .trainer, "Stop after this many epochs without a better selection metric (0: never).") { r in
            .integer(r.trainer.earlyStoppingPatience)
        },
        .init("selection_metric", .choice(SelectionMetric.allCases.map(\.rawValue)), .trainer, "The metric that picks the best epoch.") { r in
            .text(r.trainer.selectionMetric.rawValue)
        },
    ]

    static let dqnSpecs: [HyperparameterSpec] = [
        .init("buffer_size", .integer(1...10_000_000), .dqn, "Transitions the replay buffer holds.") { r in dqn(r).map { .integer($0.bufferSize) } },
        .init("learning_starts", .integer(0...100_000_000), .dqn, "Random steps before learning starts.") { r in dqn(r).map { .integer($0.learningStarts) } },
        .init("train_frequency", .integer(1...1_000_000), .dqn, "Environment steps between updates.") { r in dqn(r).map { .integer($0.trainFrequency) } },
        .init("gradient_steps", .integer(1...10_000), .dqn, "Gradient steps per update.") { r in dqn(r).map { .integer($0.gradientSteps) } },
        .init("target_update_interval", .integer(1...100_000_000), .dqn, "Environment steps between target-network updates.") { r in
            dqn(r).map { .integer($0.targetUpdateInterval) }
        },
        .init("tau", .real(0...1, positive: true), .dqn, "Polyak weight of a target update (1: copy).") { r in dqn(r).map { real($0.tau) } },
        .init("exploration_initial", .real(0...1), .dqn, "ε at the first step.") { r in dqn(r).map { .real($0.explorationInitial) } },
        .init("exploration_final", .real(0...1), .dqn, "ε after the decay.") { r in dqn(r).map { .real($0.explorationFinal) } },
        .init("exploration_fraction", .real(0...1_000), .dqn, "Fraction of the run over which ε decays.") { r in dqn(r).map { .real($0.explorationFraction) } },
        .init("double_dqn", .flag, .dqn, "The online network picks the next action, the target values it.") { r in dqn(r).map { .flag($0.doubleDQN) } },
        .init("dueling", .flag, .dqn, "Dueling head: V + A − mean(A).") { r in dqn(r).map { .flag($0.dueling) } },
    ]

    static let policyGradientSpecs: [HyperparameterSpec] = [
        .init("n_steps", .integer(1...1_000_000), .policyGradient, "Environment steps per rollout (0 in a preset: a whole episode).") { r in
            pg(r).map { .integer($0.rolloutSteps) }
        },
        .init("n_epochs", .integer(1...1_000), .policyGradient, "Passes over each rollout.") { r in pg(r).map { .integer($0.epochs) } },
        .init("gae_lambda", .real(0...1), .policyGradient, "GAE's λ (1: Monte-Carlo returns minus the baseline).") { r in pg(r).map { real($0.gaeLambda) } },
        .init("clip_range", .real(0...10, positive: true), .policyGradient, "PPO's clip ε on the probability ratio.") { r in pg(r).map { real($0.clipRange) } },
        .init("clip_range_vf", .real(0...1e6, positive: true), .policyGradient, "Clip of the value prediction's change (unset: none).") { r in
            pg(r).map { $0.clipRangeValue.map(real) ?? .text("none") }
        },
        .init("ent_coef", .real(0...100), .policyGradient, "Weight of the entropy bonus.") { r in pg(r).map { real($0.entropyCoefficient) } },
        .init("vf_coef", .real(0...100), .policyGradient, "Weight of the value loss.") { r in pg(r).map { real($0.valueCoefficient) } },
        .init("normalize_advantage", .flag, .policyGradient, "Normalise advantages per minibatch.") { r in pg(r).map { .flag($0.normalizeAdvantage) } },
    ]

    static let environmentSpecs: [HyperparameterSpec] = [
        .init("fee", .real(0...0.999_999), .environment, "Fee per unit traded, as a fraction.") { r in .real(r.environment.fee) },
        .init("initial_cash", .real(0...1e15, positive: true), .environment, "Cash at the start of an episode.") { r in .real(r.environment.initialCash) },
        .init("normalize_observations", .flag, .environment, "Standardise observations with the training split's statistics.") { r in
            .flag(r.environment.normalizeObservations)
        },
        .init("normalize_reward", .flag, .environment, "Scale rewards as SB3's VecNormalize.") { r in
            .flag(either(r, { $0.normalizeReward ?? false }, { $0.normalizeReward ?? false }))
        },
        .init("reward", .choice(["realised", "trademaster", "log_return", "money"]), .environment,
              "Algorithmic trading: realised or trademaster; portfolio management: log_return or money.") { r in
            r.task == "portfolio_management" ? .text(r.portfolioLogReturnReward ? "log_return" : "money") : .text(r.environment.reward.rawValue)
        },
        .init("shorts", .choice(["margin", "trademaster"]), .environment, "How a short sale moves cash.") { r in .text(r.environment.shorts.rawValue) },
        .init("horizon", .integer(1...100_000), .environment, "Order execution: decisions per order.") { r in
            r.task == "order_execution" ? .integer(r.execution.horizon) : nil
        },
        .init("quantity", .real(0...1e12, positive: true), .environment, "Order execution: the order's size.") { r in
            r.task == "order_execution" ? .real(r.execution.quantity) : nil
        },
    ]
}
