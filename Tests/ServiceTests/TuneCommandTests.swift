import Agents
import Foundation
import Testing

/// `qf tune`, `qf train --seeds` and `qf evaluate` of several runs end to end on TradeMaster's BTC
/// split: the search's JSON and best config agree, a rerun continues from the checkpoints to the
/// same result, the seeds' statistics are those of the runs, and bad searches name the problem.
@Suite struct TuneCommandTests {
    static func json(_ output: String) throws -> Data {
        let start = try #require(output.range(of: "\n{")?.lowerBound ?? (output.hasPrefix("{") ? output.startIndex : nil), "\(output)")
        return Data(output[start...].utf8)
    }

    @Test func aSearchWritesItsBestConfigAndARerunContinuesToTheSameResult() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-tune-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = "\(dir)/dqn.json"
        try Data(#"{"name": "dqn", "config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:BTC", "agent_name": "algorithmic_trading:dqn"}, "hyperparameters": {"seed": 5, "batch_size": 32}}"#.utf8)
            .write(to: URL(fileURLWithPath: config))
        let arguments = ["tune", "--config", config, "--search", "gamma=0.5,0.99", "--seeds", "2", "--max-epochs", "2", "--min-epochs", "1",
                         "--reduction", "2", "--parallel", "2", "--out", "\(dir)/search", "--json"]
        let environment = ["QF_SHARED_DIR": SharedData.directory]
        let first = await (try ProcessRunner.start(arguments, environment: environment))()
        #expect(first.status == 0, "\(first.output)")
        let result = try JSONDecoder().decode(TuneResult.self, from: try Self.json(first.output))
        #expect(result.trials.count == 2 && result.rungs == [1, 2] && result.epochsTrained == 2 * 2 * 1 + 1 * 2 * 1)
        #expect(result.best.status == "completed" && result.trials[1].status == "stopped")
        let best = try TrainingJobConfiguration.load(path: "\(dir)/search/best.json")
        #expect(try HyperparameterCatalog.values(of: best.hyperparameters)["gamma"] == result.best.values["gamma"])
        #expect(best.hyperparameters.epochs == 2 && best.hyperparameters.seed == 5 && best.hyperparameters.batchSize == 32)

        let again = await (try ProcessRunner.start(arguments, environment: environment))()
        #expect(again.status == 0, "\(again.output)")
        #expect(try JSONDecoder().decode(TuneResult.self, from: try Self.json(again.output)) == result, "a rerun continues from the checkpoints")

        let typo = await (try ProcessRunner.start(["tune", "--config", config, "--search", "gama=0.9"], environment: environment))()
        #expect(typo.status != 0 && typo.output.contains("unknown hyperparameter 'gama'"), "\(typo.output)")
        let outOfRange = await (try ProcessRunner.start(["tune", "--config", config, "--search", "learning_rate=0:1:log"], environment: environment))()
        #expect(outOfRange.status != 0 && outOfRange.output.contains("a log range needs low > 0"), "\(outOfRange.output)")
    }

    @Test func seedsTrainInParallelAndEvaluateTogether() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-seeds-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["QF_SHARED_DIR": SharedData.directory]
        let train = await (try ProcessRunner.start(["train", "--config", "configs/algorithmic_trading/dqn_btc.json", "--seeds", "3", "--epochs", "1",
                                                     "--out", dir, "--json"], environment: environment))()
        #expect(train.status == 0, "\(train.output)")
        // printJSON writes snake_case keys: read the documents as JSON.
        func document(_ output: String) throws -> (returns: [Double], labels: [String], statistics: [String: [String: Double]]) {
            let object = try JSONSerialization.jsonObject(with: try Self.json(output)) as? [String: Any] ?? [:]
            let runs = object["runs"] as? [[String: Any]] ?? []
            let returns = runs.map { (($0["test"] as? [String: Any])?["episode"] as? [String: Any])?["total_return"] as? Double ?? .nan }
            return (returns, runs.map { $0["label"] as? String ?? "" }, object["statistics"] as? [String: [String: Double]] ?? [:])
        }
        let trained = try document(train.output)
        #expect(trained.labels == ["seed 42", "seed 43", "seed 44"])
        let mean = try #require(trained.statistics["test_total_return"]?["mean"])
        #expect(abs(mean - trained.returns.reduce(0, +) / 3) < 1e-12)
        #expect(Set(trained.returns).count > 1, "different seeds, different runs")

        let evaluated = await (try ProcessRunner.start(["evaluate", "--checkpoint", dir, "--json"], environment: environment))()
        #expect(evaluated.status == 0, "\(evaluated.output)")
        let summary = try document(evaluated.output)
        #expect(summary.returns == trained.returns, "the same best checkpoints test the same")
        #expect(summary.statistics["test_sharpe"] == trained.statistics["test_sharpe"])
    }
}
