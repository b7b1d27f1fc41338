import Agents
import ArgumentParser
import Compute
import Foundation

/// `qf bench agents`: training throughput in environment steps per second, one thread, with the
/// settings of ../shared/peers/rl/bench_sb3.py on its benchmark environment (a 100 k-step random
/// walk; MLP 128×128):
/// - dqn: batch 64, buffer 100 k, learning starts 1,000, one gradient step per environment step,
///   target copy every 1,000;
/// - ppo: n_steps 2048, batch 64, 10 epochs (SB3's defaults otherwise);
/// - a2c: SB3's defaults (5-step rollouts, RMSprop);
/// - ppo_vec8: PPO on 8 copies of the environment, 256 steps each per rollout (SB3: `n_envs=8`,
///   `n_steps=256`), one batched forward pass per step;
/// and `trademaster_dqn`: TradeMaster's AlgorithmicTradingDQN setup on its BTC training split
/// (QNet 82→64→32→3, 128 gradient steps of batch 64 per 128 environment steps), for as many
/// environment steps as TradeMaster's own BTC job takes, its peer in Benchmarks/agents.sh.
struct AgentsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agents", abstract: "Benchmark agent training throughput.")

    @Option(help: "Environment steps to time (SB3's trials: 50,000).") var steps = 50_000
    @Option(help: "Comma-separated: dqn, ppo, a2c, ppo_vec8, trademaster_dqn.") var algos = "dqn,ppo,a2c,ppo_vec8,trademaster_dqn"
    /// TradeMaster's job: 128 random steps, then horizons of 128 until its 20th episode of 889
    /// steps ends, in the 139th: 17,920 steps and 17,792 gradient steps (its trainer's count).
    @Option(help: "Environment steps for trademaster_dqn (TradeMaster's own 20-epoch BTC job: 17,920).") var trademasterSteps = 17_920
    @Option(help: "TradeMaster's BTC training split (CSV), for trademaster_dqn.") var btc = "\(AgentRegistry.sharedDirectory)/data/trademaster/algorithmic_trading/BTC/train.csv"
    @Option(help: "Write the results as JSON to this file.") var json: String?

    struct Result: Codable {
        var algo: String; var steps: Int; var seconds: Double; var stepsPerSecond: Double; var updates: Int
        /// For dqn and trademaster_dqn: the steps per second of its float32 floor on this core, and what it rests on.
        var floor: Floor?
    }

    /// The run's arithmetic at this core's measured ceilings (`ArithmeticCeiling`), measured right
    /// after the run in the same process.
    struct Floor: Codable {
        var stepsPerSecond: Double; var percentReached: Double
        var productFlopsPerStep: Double; var adamParametersPerStep: Double
        var ceiling: ArithmeticCeiling
    }

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps: must be positive, got \(steps)") }
        guard trademasterSteps > 0 else { throw ValidationError("--trademaster-steps: must be positive, got \(trademasterSteps)") }
    }

    func run() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        var results: [Result] = []
        for algo in algos.split(separator: ",").map(String.init) {
            var result: Result
            switch algo {
            case "dqn":
                var env = ReturnSeriesEnvironment.randomWalk()
                let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: AgentRegistry.benchmarkDQN, seed: 0)
                result = time(algo) { agent.learn(&env, totalSteps: steps); return (agent.steps, agent.updates) }
                result.floor = floor(of: DQNArithmetic(of: agent), steps: agent.steps, measured: result.stepsPerSecond)
            case "ppo", "a2c":
                var env = ReturnSeriesEnvironment.randomWalk()
                var c: PolicyGradientConfiguration = algo == "ppo" ? .ppo : .a2c
                c.hiddenSizes = [128, 128]
                let agent = try PolicyGradientAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 0)
                result = time(algo) { agent.learn(&env, totalSteps: steps); return (agent.steps, agent.updates) }
            case "ppo_vec8":
                // Eight copies, 256 steps each per rollout: the same 2,048 transitions an update.
                var env = VectorizedReturnSeries(logReturns: ReturnSeriesEnvironment.randomWalk().logReturns, count: 8, episodeLength: 12_500)
                var c = PolicyGradientConfiguration.ppo
                c.hiddenSizes = [128, 128]
                c.rolloutSteps = 256
                let agent = try PolicyGradientAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 0)
                result = time(algo) { agent.learn(vectorized: &env, totalSteps: steps); return (agent.steps, agent.updates) }
            case "trademaster_dqn":
                let job = TrainingJobConfiguration(config: .init(taskName: "algorithmic_trading", datasetName: "algorithmic_trading:BTC",
                                                                 agentName: "algorithmic_trading:dqn", optimizerName: "adam", lossName: "mse"),
                                                   data: .init(train: btc))
                let resolved = try AgentRegistry.resolve(job)
                guard case .dqn(let c) = resolved.algorithm else { fatalError("the DQN preset") }
                let data = try TrainingRun.loadBars(btc, split: "train")
                var env = AlgorithmicTradingEnvironment(data: data, configuration: resolved.environment)
                let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 0, replayCapacity: trademasterSteps)
                result = time(algo) { agent.learn(&env, totalSteps: trademasterSteps); return (agent.steps, agent.updates) }
                result.floor = floor(of: DQNArithmetic(of: agent), steps: agent.steps, measured: result.stepsPerSecond)
            default:
                throw ValidationError("--algos: unknown '\(algo)'; known: dqn, ppo, a2c, ppo_vec8, trademaster_dqn")
            }
            print(String(format: "%@: %d steps in %.2f s, %.0f env steps/s (%d gradient steps)", algo, result.steps, result.seconds, result.stepsPerSecond, result.updates))
            if let f = result.floor {
                print(String(format: "%@: float32 floor %.0f steps/s (%.2f MFLOP of products and Adam on %.0f parameters a step, at %.1f GFLOP/s FMA and %.2f ns per 8-lane root and division, %@): %.0f%% of it",
                             algo, f.stepsPerSecond, f.productFlopsPerStep / 1e6, f.adamParametersPerStep, f.ceiling.fmaFlopsPerSecond / 1e9,
                             f.ceiling.dividerSecondsPerEightLanes * 1e9, f.ceiling.family, f.percentReached))
            }
            results.append(result)
        }
        if let json { try writeBenchJSON(results, to: json) }
    }

    /// The floor of a DQN run of `steps` environment steps, or nil where no kernel family runs.
    func floor(of arithmetic: DQNArithmetic, steps: Int, measured: Double) -> Floor? {
        guard let ceiling = ArithmeticCeiling.measure(clock: monotonicNanoseconds) else { return nil }
        let perSecond = Double(steps) / arithmetic.floorSeconds(at: ceiling)
        return Floor(stepsPerSecond: perSecond, percentReached: 100 * measured / perSecond,
                     productFlopsPerStep: arithmetic.productFlops / Double(steps),
                     adamParametersPerStep: Double(arithmetic.adamParameters) / Double(steps), ceiling: ceiling)
    }

    func time(_ algo: String, _ body: () -> (steps: Int, updates: Int)) -> Result {
        let t0 = monotonicNanoseconds()
        let (n, updates) = body()
        let seconds = Double(monotonicNanoseconds() - t0) / 1e9
        return Result(algo: algo, steps: n, seconds: seconds, stepsPerSecond: Double(n) / seconds, updates: updates)
    }
}
