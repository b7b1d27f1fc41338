import Agents
import Foundation
import Testing

/// The one declaration of each hyperparameter: it covers every key a config may set, its ranges
/// are what configs are checked against, and what it reports a job uses is what the job trains with.
@Suite struct HyperparameterCatalogTests {
    static let names = #""config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:BTC", "agent_name": "algorithmic_trading:AGENT"}"#

    static func job(agent: String, _ hyperparameters: String = "") throws -> TrainingJobConfiguration {
        try TrainingJobConfiguration.decode(json: Data("{\(names.replacingOccurrences(of: "AGENT", with: agent)), \"hyperparameters\": {\(hyperparameters)}}".utf8))
    }

    @Test func theCatalogDeclaresEveryKeyOfAConfigsHyperparametersOnce() throws {
        // Every field set, so the JSON form names every key.
        var h = Hyperparameters()
        h.learningRate = 1; h.batchSize = 1; h.epochs = 1; h.gamma = 1; h.hiddenSizes = [1]; h.maxGradNorm = 1; h.seed = 1
        h.earlyStoppingPatience = 1; h.selectionMetric = .validSharpe; h.bufferSize = 1; h.learningStarts = 1; h.trainFrequency = 1
        h.gradientSteps = 1; h.targetUpdateInterval = 1; h.tau = 1; h.explorationInitial = 1; h.explorationFinal = 1; h.explorationFraction = 1
        h.doubleDqn = true; h.dueling = true; h.nSteps = 1; h.nEpochs = 1; h.gaeLambda = 1; h.clipRange = 1; h.clipRangeVf = 1; h.entCoef = 1
        h.vfCoef = 1; h.normalizeAdvantage = true; h.fee = 0; h.initialCash = 1; h.normalizeObservations = true; h.normalizeReward = true
        h.reward = "money"; h.shorts = "margin"; h.horizon = 1; h.quantity = 1
        let keys = (try JSONSerialization.jsonObject(with: JSONEncoder().encode(h)) as! [String: Any]).keys.sorted()
        let declared = HyperparameterCatalog.all.map(\.name)
        #expect(declared.sorted() == keys)
        #expect(Set(declared).count == declared.count)
        #expect(HyperparameterCatalog.all.allSatisfy { !$0.doc.isEmpty })
    }

    @Test func configsAreCheckedAgainstTheDeclaredRanges() throws {
        for (field, value) in [("batch_size", "0"), ("batch_size", "65537"), ("gamma", "1.5"), ("learning_rate", "0"), ("tau", "0"),
                               ("hidden_sizes", "[0]"), ("fee", "1"), ("exploration_final", "-0.1"), ("n_epochs", "1001")] {
            let message = TrainingJobTests.message { _ = try AgentRegistry.resolve(try Self.job(agent: "ppo", "\"\(field)\": \(value)")) }
            #expect(message.hasPrefix("hyperparameters.\(field): must be"), "\(field)=\(value): \(message)")
        }
        #expect(throws: Never.self) { _ = try AgentRegistry.resolve(try Self.job(agent: "ppo", "\"gamma\": 1, \"learning_rate\": 10, \"batch_size\": 65536")) }
    }

    /// Setting any value through the catalog and resolving the job gives back that value as the
    /// one trained with: the catalog's reading of a resolved job and the registry's mapping agree.
    @Test func aValueSetThroughTheCatalogIsTheValueTheJobTrainsWith() throws {
        let samples: [String: HyperparameterValue] = [
            "learning_rate": .real(0.0025), "batch_size": .integer(48), "gamma": .real(0.97), "hidden_sizes": .sizes([32, 16]), "max_grad_norm": .real(2.5),
            "epochs": .integer(7), "seed": .integer(9), "early_stopping_patience": .integer(3), "selection_metric": .text("valid_total_return"),
            "buffer_size": .integer(5_000), "learning_starts": .integer(10), "train_frequency": .integer(2), "gradient_steps": .integer(3),
            "target_update_interval": .integer(77), "tau": .real(0.5), "exploration_initial": .real(0.9), "exploration_final": .real(0.1),
            "exploration_fraction": .real(0.4), "double_dqn": .flag(true), "dueling": .flag(true), "n_steps": .integer(99), "n_epochs": .integer(4),
            "gae_lambda": .real(0.9), "clip_range": .real(0.3), "clip_range_vf": .real(0.25), "ent_coef": .real(0.01), "vf_coef": .real(0.7),
            "normalize_advantage": .flag(false), "fee": .real(0.002), "initial_cash": .real(50_000), "normalize_observations": .flag(false),
            "normalize_reward": .flag(true), "reward": .text("trademaster"), "shorts": .text("trademaster"),
        ]
        for agent in ["dqn", "ppo"] {
            let base = try Self.job(agent: agent)
            let resolvedBase = try AgentRegistry.resolve(base)
            for spec in HyperparameterCatalog.all where spec.applies(to: resolvedBase) {
                let value = try #require(samples[spec.name], "no sample for \(spec.name)")
                var job = base
                job.hyperparameters = try HyperparameterCatalog.setting([spec.name: value], in: base.hyperparameters)
                let resolved = try AgentRegistry.resolve(job)
                var got = try #require(spec.value(in: resolved))
                if case .real(let x) = got, case .real(let y) = value { got = abs(x - y) <= 1e-6 * abs(y) ? value : got }   // Float storage
                #expect(got == value, "\(agent) \(spec.name)")
            }
        }
    }

    @Test func valuesParseAsTheirKindAndOutOfRangeOnesNameTheRange() throws {
        #expect(try HyperparameterCatalog.spec(named: "hidden_sizes").parse("64x32") == .sizes([64, 32]))
        #expect(try HyperparameterCatalog.spec(named: "double_dqn").parse("true") == .flag(true))
        #expect(try HyperparameterCatalog.spec(named: "batch_size").parse("64") == .integer(64))
        let message = TrainingJobTests.message { _ = try HyperparameterCatalog.spec(named: "gamma").parse("2") }
        #expect(message == "hyperparameters.gamma: must be [0, 1], got 2")
        let unknown = TrainingJobTests.message { _ = try HyperparameterCatalog.spec(named: "gama") }
        #expect(unknown.hasPrefix("unknown hyperparameter 'gama'; known: learning_rate, batch_size"))
    }
}
