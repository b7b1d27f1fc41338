import Agents
import Foundation
import Ingest
import Testing

/// TradeMaster's portfolio-management environments against the golden vectors its own code
/// produced on the DJ30 splits (../shared/data/trademaster/ENVIRONMENTS.md §3.2).
@Suite struct PortfolioManagementTests {
    /// Each split ingested once for all the cases (ingesting 29 symbols is the slow part).
    static let valid = Result { try load("valid") }
    static let test = Result { try load("test") }
    static func split(_ name: String) throws -> PortfolioData { try (name == "valid" ? valid : test).get() }

    static func load(_ name: String) throws -> PortfolioData {
        try TradeMasterFiles.ingested("portfolio_management/dj30/\(name).csv") { try PortfolioData(file: $0) }
    }

    func shows(_ value: Double, _ printed: Double, decimals: Int) -> Bool { TradeMasterFiles.shows(value, printed, decimals: decimals) }

    struct Golden: Sendable, CustomTestStringConvertible {
        var flavour: PortfolioManagementEnvironment.Flavour, split: String, action: String
        var steps: Int, value: Double, tr: Double, sr: Double, vol: Double, mdd: Double
        var testDescription: String { "\(flavour.rawValue) \(split) \(action)" }
    }

    static let golden: [Golden] = [
        Golden(flavour: .generic, split: "valid", action: "zeros", steps: 252, value: 108658.688585, tr: 0.08658689, sr: 0.414659, vol: 0.02157331, mdd: 0.32397532),
        Golden(flavour: .generic, split: "test", action: "zeros", steps: 251, value: 117911.663781, tr: 0.17911664, sr: 1.495431, vol: 0.00724976, mdd: 0.06669645),
        Golden(flavour: .generic, split: "test", action: "cash 0, assets 5", steps: 251, value: 118556.209262, tr: 0.18556209, sr: 1.495808, vol: 0.00749803, mdd: 0.06891798),
        Golden(flavour: .eiie, split: "valid", action: "uniform", steps: 243, value: 108570.985322, tr: 0.08570985, sr: 0.419936, vol: 0.02194862, mdd: 0.32397532),
        Golden(flavour: .eiie, split: "test", action: "uniform", steps: 242, value: 115448.117197, tr: 0.15448117, sr: 1.347316, vol: 0.00731122, mdd: 0.06669645),
        Golden(flavour: .eiie, split: "test", action: "assets only", steps: 242, value: 115991.881531, tr: 0.15991882, sr: 1.347139, vol: 0.00756324, mdd: 0.06893356),
    ]

    @Test(arguments: golden)
    func tradeMasterGoldenVectors(_ g: Golden) throws {
        let data = try Self.split(g.split)
        #expect(data.assets == 29)
        var env = PortfolioManagementEnvironment(data: data, flavour: g.flavour)
        let n = env.actionCount
        let action: [Double]
        switch g.action {
        case "zeros": action = [Double](repeating: 0, count: n)
        case "cash 0, assets 5": action = [0] + [Double](repeating: 5, count: n - 1)
        case "uniform": action = [Double](repeating: 1 / Double(n), count: n)
        default: action = [0] + [Double](repeating: 1 / Double(n - 1), count: n - 1)
        }
        var observation = [Float](repeating: 0, count: env.observationCount)
        var steps = 0, rewards = 0.0
        observation.withUnsafeMutableBufferPointer { obs in
            env.reset(observation: obs)
            while true {
                let outcome = env.step(action, observation: obs)
                if outcome.done { break }
                steps += 1
                rewards += outcome.reward
            }
        }
        let m = env.metrics
        #expect(steps == g.steps)
        #expect(shows(env.value, g.value, decimals: 6), "final value \(env.value)")
        #expect(shows(m.totalReturn, g.tr, decimals: 8) && shows(m.sharpe, g.sr, decimals: 6), "TR \(m.totalReturn) SR \(m.sharpe)")
        #expect(shows(m.volatility, g.vol, decimals: 8) && shows(m.maxDrawdown, g.mdd, decimals: 8), "VOL \(m.volatility) MDD \(m.maxDrawdown)")
        if g.flavour == .eiie && g.split == "test" && g.action == "uniform" {
            #expect(shows(rewards, 0.14365104, decimals: 8), "Σ log reward \(rewards)")
        }
        if g.flavour == .generic { #expect(abs(rewards - (env.value - 100_000)) < 1e-6, "money rewards add up to the gain") }
    }
}
