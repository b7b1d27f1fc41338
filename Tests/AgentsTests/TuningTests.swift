import Agents
import Compute
import Foundation
import PythonCheck
import Testing

/// Hyperparameter search: search spaces, the successive-halving schedule, statistics across seeds
/// (checked against numpy), and a whole search on TradeMaster's BTC data whose promotions are
/// checked against each trial's own training history.
@Suite struct TuningTests {
    static let base = #"{"name": "dqn_btc", "config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:BTC", "agent_name": "algorithmic_trading:dqn"}, "hyperparameters": {"seed": 5, "batch_size": 32}}"#

    @Test func searchDimensionsParseListsRangesAndGrids() throws {
        let lr = try SearchDimension(parsing: "learning_rate=1e-4:1e-2:log:3")
        #expect(try lr.gridValues().map(\.number!).enumerated().allSatisfy { abs($1 - [1e-4, 1e-3, 1e-2][$0]) < 1e-12 })
        let gamma = try SearchDimension(parsing: "gamma=0.95,0.99")
        #expect(gamma.domain == .values([.real(0.95), .real(0.99)]))
        let steps = try SearchDimension(parsing: "n_steps=64:512")
        var rng = Xoshiro256(seed: 1)
        for _ in 0..<200 {
            guard case .integer(let n) = try steps.sample(&rng) else { Issue.record("n_steps sampled a non-integer"); return }
            #expect((64...512).contains(n))
        }
        var logDraws: [Double] = []
        for _ in 0..<4_000 { logDraws.append(try lr.sample(&rng).number!) }
        // Log-uniform over two decades: half the draws below 1e-3.
        let below = Double(logDraws.filter { $0 < 1e-3 }.count) / 4_000
        #expect(abs(below - 0.5) < 0.05)
        #expect(logDraws.allSatisfy { $0 >= 1e-4 && $0 <= 1e-2 })

        for (text, expected) in [("gamma=1.5,0.9", "hyperparameters.gamma: must be [0, 1], got 1.5"),
                                 ("gama=0.9", "unknown hyperparameter 'gama'"),
                                 ("learning_rate=0:1e-2:log", "search learning_rate: a log range needs low > 0"),
                                 ("seed=1,2", "search seed: seed is set by the search itself"),
                                 ("batch_size=64", "")] {
            let message = TrainingJobTests.message { _ = try SearchDimension(parsing: text) }
            #expect(expected.isEmpty ? message == "no error" : message.hasPrefix(expected), "\(text): \(message)")
        }
        let noPoints = TrainingJobTests.message { _ = try SearchSpace(dimensions: [lr, try SearchDimension(parsing: "gae_lambda=0.9:1")]).grid() }
        #expect(noPoints.hasPrefix("search gae_lambda: a grid needs listed values or a point count"))
    }

    @Test func randomSearchIsSeededAndGridsAreCartesian() throws {
        let space = try SearchSpace(dimensions: [try SearchDimension(parsing: "learning_rate=1e-4:1e-2:log"), try SearchDimension(parsing: "gamma=0.9,0.95,0.99")])
        #expect(try space.random(count: 8, seed: 3) == space.random(count: 8, seed: 3))
        #expect(try space.random(count: 8, seed: 3) != space.random(count: 8, seed: 4))
        let grid = try SearchSpace(dimensions: [try SearchDimension(parsing: "gamma=0.9,0.99"), try SearchDimension(parsing: "batch_size=32,64,128")]).grid()
        #expect(grid.count == 6)
        #expect(Set(grid.map { "\($0["gamma"]!) \($0["batch_size"]!)" }).count == 6)
        #expect(grid[0] == ["gamma": .real(0.9), "batch_size": .integer(32)])
    }

    @Test func successiveHalvingsRungsAndPromotions() throws {
        let sh = try SuccessiveHalving(maxEpochs: 9, minEpochs: 1, reduction: 3)
        #expect(sh.rungs == [1, 3, 9])
        #expect(try SuccessiveHalving(maxEpochs: 20).rungs == [2, 6, 18, 20])
        #expect(sh.promoted(scores: [(0, 0.1), (1, .nan), (2, 0.5), (3, 0.5), (4, -1), (5, 0.2)]) == [2, 3])
        // 16 trials over rungs 1, 3, 9: 16·1 + 5·2 + 1·6 = 32 epochs of 144.
        #expect(sh.epochs(trials: 16) == (144, 32))
        #expect(throws: AgentsError.self) { _ = try SuccessiveHalving(maxEpochs: 9, minEpochs: 10) }
    }

    @Test(.enabled(if: PythonCheck.isAvailable)) func seedStatisticsAgreeWithNumpy() throws {
        var rng = Xoshiro256(seed: 11)
        for n in [1, 2, 3, 5, 8, 13, 40] {
            let values = (0..<n).map { _ in Double(rng.next() % 10_000) / 1_000 - 5 }
            let s = SeedStatistics(values: values, resamples: 20_000, seed: 2)
            let script = """
            import sys, json, numpy as np
            x = np.array(json.loads(sys.stdin.read()))
            n = len(x); k = n // 4
            s = np.sort(x); iqm = s[k:n-k].mean()
            std = x.std(ddof=1) if n > 1 else 0.0
            rng = np.random.default_rng(7)
            means = x[rng.integers(0, n, size=(200000, n))].mean(axis=1)
            lo, hi = np.percentile(means, [2.5, 97.5])
            print(json.dumps([x.mean(), iqm, std, lo, hi, x.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0]))
            """
            let (status, output) = try PythonCheck.run(script, arguments: [], stdin: "\(values)")
            #expect(status == 0, "\(output)")
            let r = try JSONDecoder().decode([Double].self, from: Data(output.utf8))
            #expect(abs(s.mean - r[0]) < 1e-12 && abs(s.interquartileMean - r[1]) < 1e-12 && abs(s.standardDeviation - r[2]) < 1e-12, "n \(n)")
            // Two independent bootstraps: the interval ends agree within Monte-Carlo error, a
            // tenth of the mean's standard error (20,000 and 200,000 resamples).
            let slack = max(0.1 * r[5], 1e-12)
            #expect(abs(s.lower - r[3]) <= slack && abs(s.upper - r[4]) <= slack, "n \(n): [\(s.lower), \(s.upper)] vs [\(r[3]), \(r[4])]")
        }
    }

    /// Six configurations × two seeds on TradeMaster's BTC split, rungs at 1, 2 and 4 epochs (η = 2).
    /// Each rung's promotions are recomputed from the histories in the trials' checkpoints; the
    /// winner's history equals a straight run of its job (pausing at rungs changes nothing); a
    /// rerun continues from the checkpoints and gives the same result.
    @Test func aSearchPromotesTheTrialsItsHistoriesRankBestAndWritesTheirStraightRun() throws {
        ComputeConfiguration(blasThreads: 1).apply()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qf-tune-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = try TrainingJobConfiguration.decode(json: Data(Self.base.utf8))
        let space = try SearchSpace(dimensions: [try SearchDimension(parsing: "learning_rate=1e-4,1e-3,1e-2"), try SearchDimension(parsing: "gamma=0.5,0.99")])
        var options = TuneOptions(maxEpochs: 4, directory: directory)
        options.seeds = 2
        options.halving = try SuccessiveHalving(maxEpochs: 4, minEpochs: 1, reduction: 2)
        options.metric = .validSharpe
        options.parallelism = 2
        let tuner = try Tuner(base: base, space: space, options: options)
        let result = try tuner.run()
        #expect(result.rungs == [1, 2, 4])
        #expect(result.trials.count == 6)
        #expect(result.epochsTrained == 6 * 2 * 1 + 3 * 2 * 1 + 1 * 2 * 2)
        #expect(result.epochsIfFull == 6 * 2 * 4)

        // Each seed's history, read back from its checkpoint.
        func history(_ trial: Int, _ seed: Int) throws -> [EpochMetrics] {
            let run = try TrainingRun(directory: "\(directory)/trial-\(String(format: "%03d", trial))/seed-\(seed)")
            #expect(try run.resumeIfPossible())
            return run.progress.history
        }
        // A trial's score at a rung: the mean over seeds of each seed's best valid Sharpe so far.
        func ranked(_ trials: [Int], through epoch: Int) throws -> [Int] {
            let scores = try trials.map { t in
                (trial: t, score: try (0..<2).map { try history(t, $0).prefix(epoch).compactMap(\.validSharpe).max() ?? -.infinity }.reduce(0, +) / 2)
            }
            return scores.sorted { $0.score != $1.score ? $0.score > $1.score : $0.trial < $1.trial }.map(\.trial)
        }
        let reached2 = Set(result.trials.filter { $0.epochs >= 2 }.map(\.trial))
        #expect(reached2 == Set(try ranked(Array(0..<6), through: 1).prefix(3)))
        #expect(result.best.trial == (try ranked(Array(reached2), through: 2))[0])
        #expect(result.best.epochs == 4 && result.best.status == "completed")
        #expect(result.trials.filter { $0.status == "stopped" }.count == 5)
        let bestScores = try (0..<2).map { try history(result.best.trial, $0).compactMap(\.validSharpe).max()! }
        #expect(result.best.scores == bestScores.map { Optional($0) })
        #expect(abs(result.best.statistics!.mean - (bestScores[0] + bestScores[1]) / 2) < 1e-12)

        // The winner trained rung by rung equals its job trained straight through.
        let straight = try TrainingRun(job: try tuner.trialJob(values: result.best.values, seed: 1), directory: nil)
        _ = try straight.run()
        #expect(straight.progress.history.map(\.withoutTiming) == (try history(result.best.trial, 1)).map(\.withoutTiming))

        // Running it again continues from the checkpoints: nothing trains, the result is the same.
        let again = try Tuner(base: base, space: space, options: options).run(onEvent: { event in
            if case .epoch = event { Issue.record("a finished search trained again") }
        })
        #expect(again == result)
        let best = try tuner.bestJob(result)
        #expect(best.hyperparameters.epochs == 4 && best.hyperparameters.seed == 5)
        #expect(try HyperparameterCatalog.values(of: best.hyperparameters)["learning_rate"] == result.best.values["learning_rate"])
    }

    @Test func aTrialThatCannotResolveFailsBeforeAnythingTrains() throws {
        let base = try TrainingJobConfiguration.decode(json: Data(Self.base.utf8))
        // buffer_size below batch_size (32) is refused by the DQN check, naming the trial.
        let space = try SearchSpace(dimensions: [try SearchDimension(parsing: "buffer_size=16,1000")])
        let message = TrainingJobTests.message { _ = try Tuner(base: base, space: space, options: TuneOptions(maxEpochs: 2, directory: "/nonexistent")) }
        #expect(message.hasPrefix("trial 0 (buffer_size=16): hyperparameters.buffer_size: must be at least batch_size"), "\(message)")
    }
}
