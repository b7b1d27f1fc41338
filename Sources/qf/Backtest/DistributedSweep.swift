import ArgumentParser
import Backtest
import Foundation
import Service

/// `qf sweep --distributed`: the grid as an evaluation in the database, split into shard tasks
/// that any `qf worker` takes; waits with a progress bar over the finished shards, then prints
/// the merged ranking and copies the whole ranked table to `--out` when this machine can read it.
/// With `--slurm` it also submits the workers for the shards as a Slurm job array, and ends the
/// array when the sweep is done.
struct DistributedSweep {
    let command: SweepCommand
    let grid: ParameterGrid
    /// The built-in strategy swept (unless `rules` are).
    let strategy: String
    /// The user's own rules, whose `{parameters}` the grid sweeps.
    var rules: SignalRules? = nil

    func run() async throws {
        if let rules {
            let named = Set(try rules.parameterNames())
            let unused = grid.axes.map(\.name).filter { !named.contains($0) }
            guard unused.isEmpty else { throw ValidationError("no rule names {\(unused.joined(separator: "}, {"))}") }
        } else if StrategySpec.catalog[strategy] == nil {
            throw ValidationError("unknown strategy \(strategy); known: \(StrategySpec.catalog.keys.sorted().joined(separator: ", "))")
        }
        guard SweepMetrics.names.contains(command.sort) else { throw ValidationError("--sort must be one of \(SweepMetrics.names.joined(separator: ", "))") }
        guard command.shardSize >= 1 else { throw ValidationError("--shard-size must be at least 1") }
        guard grid.count <= 100_000 else { throw ValidationError("--distributed sweeps at most 100000 combinations (this grid has \(grid.count)); sweep locally instead") }
        let path = URL(fileURLWithPath: command.market.data).standardizedFileURL.path
        _ = try readBars(path: path, symbol: command.market.symbol)   // The file and symbol exist, here at least.
        let plan = EvaluationPlan.sweep(rule: strategy, rules: rules, fixed: grid.fixed, axes: grid.axes.map { ($0.name, $0.values) }, path: path,
                                        symbol: command.market.symbol, settings: try command.market.settings(), convention: command.market.convention,
                                        annualization: try command.market.annualizationValue(), sort: command.sort, ascending: command.ascending,
                                        top: command.top, shardSize: command.shardSize, overfittingPartitions: try command.partitions())
        var fields: [String: JSONValue] = ["data": .string(path), "grid": .array(command.axes.map { .string($0) })]
        if let rules {
            for (field, text) in rules.named { fields[field] = .string(text) }
        } else {
            fields["strategy"] = .string(strategy)
        }
        let title = rules == nil ? strategy : "expressions"
        let count = grid.count, shards = plan.shards.count
        let evaluation = try await OperatorEvaluation(name: "qf sweep \(title) \(plan.datasets[0].name)", plan: plan, config: .object(fields), kind: "sweep",
                                                      slurm: command.slurmOptions) { id in
            "evaluation \(id): \(count) combinations in \(shards) shards queued; qf worker processes take them"
        }.submitAndWait()
        try report(evaluation)
    }

    func report(_ evaluation: EvaluationRecord) throws {
        guard case .object(let results) = evaluation.results, case .object(let gridResults)? = results["grid"], case .array(let top)? = gridResults["top"] else {
            throw CommandFailure("evaluation \(evaluation.id) has no grid results")
        }
        let overfitting = gridResults["overfitting"] ?? .null
        if command.json {
            print(JSONValue.object(["rows": .array(top), "overfitting": overfitting]).jsonText)
        } else {
            let names = grid.axes.map(\.name)
            let rows: [SweepCommand.TableRow] = top.compactMap { item in
                guard case .object(let row) = item, case .object(let parameters)? = row["parameters"], case .object(let metrics)? = row["metrics"] else { return nil }
                return .init(rank: Int(row["rank"]?.numberValue ?? 0), parameters: names.map { parameters[$0]?.numberValue ?? .nan },
                             figure: { metrics[$0]?.numberValue ?? .nan })
            }
            SweepCommand.printTable(rows, axisNames: names)
            if case .object(let fields) = overfitting, case .object(let deflated)? = fields["deflated_sharpe"] {
                var pbo: ((String) -> Double)?
                if case .object(let p)? = fields["probability_of_backtest_overfitting"] { pbo = { p[$0]?.numberValue ?? .nan } }
                SweepCommand.printOverfitting(figure: { $0 == "trials" ? fields["trials"]?.numberValue ?? .nan : deflated[$0]?.numberValue ?? .nan }, pbo: pbo)
            }
        }
        if let out = command.out, let report = evaluation.reportPath {
            let table = (report as NSString).deletingLastPathComponent + "/evaluation_\(evaluation.id).csv"
            guard let contents = FileManager.default.contents(atPath: table) else {
                print("the whole table is at \(table) on the worker that merged it (GET /api/v1/evaluations/\(evaluation.id)/report?format=csv)")
                return
            }
            try StagedFile.write(String(decoding: contents, as: UTF8.self), to: out)
            print("all rows: \(out)")
        }
    }
}
