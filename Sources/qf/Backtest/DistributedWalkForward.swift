import ArgumentParser
import Backtest
import Foundation
import Service

/// `qf walkforward --distributed` (or `--slurm`): the walk-forward as an evaluation in the
/// database, one shard task per window that any `qf worker` takes, the merge stitching the
/// out-of-sample runs; waits with a progress bar and prints what the local run prints. With
/// `--slurm` it also submits the workers for the windows and ends them when it is done.
struct DistributedWalkForward {
    let command: WalkForwardCommand
    let grid: ParameterGrid
    let subject: WalkForwardSubject
    let windows: WalkForwardWindows
    let symbol: String

    func run() async throws {
        guard grid.count <= 100_000 else { throw ValidationError("--distributed walk-forward sweeps at most 100000 combinations a window (this grid has \(grid.count))") }
        let path = URL(fileURLWithPath: command.market.data).standardizedFileURL.path
        let rules: SignalRules?, rule: String
        switch subject {
        case .strategy(let name):
            guard StrategySpec.catalog[name] != nil else { throw ValidationError("unknown strategy \(name); known: \(StrategySpec.catalog.keys.sorted().joined(separator: ", "))") }
            rules = nil
            rule = name
        case .rules(let signalRules):
            rules = signalRules
            rule = "expressions"
        }
        let sweep = EvaluationPlan.sweep(rule: rule, rules: rules, fixed: grid.fixed, axes: grid.axes.map { ($0.name, $0.values) }, path: path,
                                         symbol: command.market.symbol, settings: try command.market.settings(), convention: command.market.convention,
                                         annualization: try command.market.annualizationValue(), sort: command.select, ascending: command.ascending,
                                         top: 1, shardSize: max(1, grid.count), overfittingPartitions: try SweepCommand.partitions(command.overfittingPartitions))
        let plan = EvaluationPlan.walkForward(sweep: sweep, spec: .init(train: command.train, test: command.test, step: command.step, anchored: command.anchored,
                                                                        windows: windows.windows))
        var fields: [String: JSONValue] = ["data": .string(path), "grid": .array(command.axes.map { .string($0) }),
                                           "walk_forward": .object(["train": .string(command.train), "test": .string(command.test), "anchored": .bool(command.anchored)])]
        if let rules {
            for (field, text) in rules.named { fields[field] = .string(text) }
        } else {
            fields["strategy"] = .string(rule)
        }
        let json = command.json, windowCount = plan.shards.count
        let evaluation = try await OperatorEvaluation(name: "qf walkforward \(rule) \(plan.datasets[0].name)", plan: plan, config: .object(fields), kind: "walkforward",
                                                      slurm: command.slurmOptions) { id in
            json ? nil : "evaluation \(id): \(windowCount) walk-forward windows queued; qf worker processes take them"
        }.submitAndWait()
        let names = grid.axes.map(\.name)
        try WalkForwardSummary(evaluation: evaluation.results, names: names).print(symbol: symbol, names: names, cells: grid.count, select: command.select, json: command.json)
        if let report = command.report, let path = evaluation.reportPath {
            if let contents = FileManager.default.contents(atPath: path) {
                try StagedFile.write(String(decoding: contents, as: UTF8.self), to: report)
                print("report: \(report)")
            } else {
                print("the report is at \(path) on the worker that merged it (GET /api/v1/evaluations/\(evaluation.id)/report)")
            }
        }
    }
}
