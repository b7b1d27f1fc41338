import Agents
import ArgumentParser
import Compute
import Foundation

/// `qf bench agents`: DQN environment steps per second on the peers' benchmark environment with
/// ../shared/peers/rl/bench_sb3.py's settings (MLP 11→128→128→3, batch 64, buffer 100 k,
/// learning starts 1,000, one gradient step per environment step, target update every 1,000),
/// one thread.
struct AgentsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agents", abstract: "Benchmark DQN training throughput.")

    @Option(help: "Environment steps to time.") var steps = 50_000
    @Option(help: "Write the results as JSON to this file.") var json: String?

    struct Result: Codable { var name: String; var steps: Int; var seconds: Double; var stepsPerSecond: Double }

    func run() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        var env = ReturnSeriesEnvironment.randomWalk()
        var c = DQNConfiguration()
        c.hiddenSizes = [128, 128]
        c.batchSize = 64
        c.bufferSize = 100_000
        c.learningStarts = 1_000
        c.trainFrequency = 1
        c.gradientSteps = 1
        c.targetUpdateInterval = 1_000
        let agent = DQNAgent(observationCount: env.observationCount, actionCount: 3, configuration: c, seed: 0)
        let t0 = monotonicNanoseconds()
        agent.learn(&env, totalSteps: steps)
        let seconds = Double(monotonicNanoseconds() - t0) / 1e9
        let result = Result(name: "DQN, benchmark environment, SB3 settings", steps: steps, seconds: seconds, stepsPerSecond: Double(steps) / seconds)
        print(String(format: "%@: %d steps in %.2f s, %.0f env steps/s (%d gradient steps, last loss %.3g)", result.name, steps, seconds,
                     result.stepsPerSecond, agent.updates, Double(agent.lastLoss)))
        if let json { try writeBenchJSON([result], to: json) }
    }
}
