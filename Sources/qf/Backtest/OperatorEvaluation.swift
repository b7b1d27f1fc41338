import ArgumentParser
import Foundation
import Logging
import Service

/// An evaluation queued from the command line (`qf sweep --distributed`, `qf walkforward
/// --distributed`, their `--slurm` forms): stored with its shards for any `qf worker`, the
/// workers for it submitted to Slurm when asked (and cancelled at the end), waited for with a
/// progress bar over the finished shards.
struct OperatorEvaluation {
    let name: String
    let plan: EvaluationPlan
    let config: JSONValue
    /// `qf-<kind>-<id>` names the Slurm array.
    let kind: String
    let slurm: SlurmOptions
    /// The line printed once the evaluation is queued (nil: none, for JSON output).
    let queued: (Int) -> String?

    /// Waits for evaluation `id` with a progress bar over its shards.
    func wait(_ id: Int, store: EvaluationStore, database: Database, logger: Logger) async throws -> EvaluationRecord {
        var bar = ProgressBar(total: plan.shards.count, label: kind == "sweep" ? "shards" : kind)
        var evaluation = try await store.find(id, for: nil, reading: .latest, logger: logger)
        while evaluation.status.isLive {
            bar.update(evaluation.shardsDone, status: evaluation.status.rawValue)
            try await Task.sleep(for: .milliseconds(250))
            evaluation = try await store.find(id, for: nil, reading: .latest, logger: logger)
        }
        bar.update(evaluation.shardsDone, status: evaluation.status.rawValue)
        guard evaluation.status == .completed else { throw CommandFailure("evaluation \(id) \(evaluation.status): \(evaluation.errorMessage ?? "no reason given")") }
        return evaluation
    }

    /// Returns the completed evaluation; throws naming the evaluation when it failed.
    func submitAndWait() async throws -> EvaluationRecord {
        _ = try slurm.array(units: plan.shards.count, queues: [TaskQueues.evaluation], jobName: "qf-\(kind)")   // checked before anything is queued
        var logger = Logger(label: "qf.\(kind)")
        logger.logLevel = .error
        let settings = try await DatabaseSettings.resolve(logger: logger)
        try await WorkerCommand.requireCurrentSchema(settings, background: logger)
        let database = Database(settings: settings, logger: logger)
        let store = EvaluationStore(database: database)
        return try await withThrowingTaskGroup(of: EvaluationRecord?.self) { group in
            group.addTask { await database.run(); return nil }
            defer { group.cancelAll() }
            await database.waitUntilRunning()
            let (id, _) = try await store.create(.init(operatorEvaluation: name, plan: plan, config: config), logger: logger)
            if let line = queued(id) { print(line) }
            var slurmJob: String?
            if var array = try slurm.array(units: plan.shards.count, queues: [TaskQueues.evaluation], jobName: "qf-\(kind)") {
                array.jobName = "qf-\(kind)-\(id)"
                slurmJob = try await SlurmOptions.submit(array)
            }
            do {
                let evaluation = try await wait(id, store: store, database: database, logger: logger)
                if let slurmJob { await SlurmOptions.finish(slurmJob) }
                return evaluation
            } catch {
                if let slurmJob { await SlurmOptions.finish(slurmJob) }
                throw error
            }
        }
    }
}
