import Agents
import Backtest
import Foundation
import Ingest

/// Runs one shard of an evaluation on NIO's blocking pool — a subject on a data source, or a
/// slice of the grid — and stores its results; the last shard to finish queues the merge. A lost
/// shard (its worker died) is re-run by the queue's rescuer; its row is overwritten, not doubled.
/// Bad data or parameters fail the whole evaluation with the message saying what and where.
public struct EvaluationShardHandler: TaskHandler {
    public static let taskName = TaskName.evaluateShard.rawValue
    let store: any EvaluationStoring

    public init(stores: ServiceStores) {
        store = stores.evaluations
    }

    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        guard case .int(let rawID)? = task.kwargs.objectValue?["evaluation_id"], case .int(let rawShard)? = task.kwargs.objectValue?["shard"] else {
            throw PermanentTaskFailure("evaluate_shard: kwargs.evaluation_id and kwargs.shard are required")
        }
        let id = Int(rawID), index = Int(rawShard), logger = context.logger
        guard let evaluation = try await rowIfPresent({ try await store.find(id, for: nil, reading: .latest, logger: logger) }) else {
            return .object(["skipped": .string("deleted")])
        }
        guard evaluation.status.isLive else { return .object(["skipped": .string(evaluation.status.rawValue)]) }
        let plan = try evaluation.plan()
        guard plan.shards.indices.contains(index) else { throw PermanentTaskFailure("evaluation \(id) has no shard \(index)") }
        try await store.markRunning(id, claim: task.key, logger: logger)
        let results: JSONValue
        do {
            results = try await TaskThread.run { try Self.compute(plan, shard: index) }
        } catch let error as EvaluationFailure {
            try await store.fail(id, message: "shard \(index): \(error.message)", claim: task.key, logger: logger)
            throw PermanentTaskFailure(error.message)
        }
        guard try await store.recordShard(id, shard: index, results: results, claim: task.key, logger: logger) else { throw CancellationError() }
        return .object(["evaluation_id": .int(rawID), "shard": .int(rawShard)])
    }

    static func compute(_ plan: EvaluationPlan, shard index: Int) throws -> JSONValue {
        try EvaluationFailure.wrapping {
            let shard = plan.shards[index]
            if let window = shard.window { return try EvaluationRunner.walkForwardWindow(plan, window: window) }
            if shard.from != nil { return try EvaluationRunner.gridSlice(plan, shard: shard) }
            let run = try EvaluationRunner.run(plan.subjects[shard.subject], on: plan.datasets[shard.dataset], plan: plan)
            var fields = EvaluationResults.summary(run)
            fields["metrics"] = EvaluationResults.allMetrics(run.metrics)
            return .object(fields)
        }
    }
}

/// Merges a finished evaluation's shards (see `EvaluationMerge`), writes its HTML report (and a
/// grid's full table as CSV) under `QF_DATA_DIR/reports/`, and completes it.
public struct EvaluationFinishHandler: TaskHandler {
    public static let taskName = TaskName.finishEvaluation.rawValue
    let store: any EvaluationStoring
    let settings: DataSettings

    public init(stores: ServiceStores, settings: DataSettings) {
        store = stores.evaluations
        self.settings = settings
    }


    public func run(_ task: ClaimedTask, context: TaskContext) async throws -> JSONValue {
        guard case .int(let rawID)? = task.kwargs.objectValue?["evaluation_id"] else { throw PermanentTaskFailure("finish_evaluation: kwargs.evaluation_id is required") }
        let id = Int(rawID), logger = context.logger
        guard let evaluation = try await rowIfPresent({ try await store.find(id, for: nil, reading: .latest, logger: logger) }) else {
            return .object(["skipped": .string("deleted")])
        }
        guard evaluation.status.isLive else { return .object(["skipped": .string(evaluation.status.rawValue)]) }
        let plan = try evaluation.plan()
        let shards = try await store.shardResults(id, logger: logger)
        guard shards.count == plan.shards.count else { throw PermanentTaskFailure("evaluation \(id): \(shards.count) of \(plan.shards.count) shards finished") }
        let report = settings.reportPath(evaluationID: id), table = settings.tablePath(evaluationID: id), title = evaluation.name
        let output: EvaluationMerge.Output
        do {
            output = try await TaskThread.run {
                try EvaluationFailure.wrapping { try EvaluationMerge.merge(plan, shards: shards, title: title, reportPath: report, tablePath: table) }
            }
        } catch let error as EvaluationFailure {
            try await store.fail(id, message: error.message, claim: task.key, logger: logger)
            throw PermanentTaskFailure(error.message)
        }
        try await store.complete(id, results: output.results, charts: output.charts, reportPath: report, claim: task.key, logger: logger)
        return .object(["evaluation_id": .int(rawID)])
    }
}

/// A failure of the evaluation itself (its data or parameters), which no retry would mend.
struct EvaluationFailure: Error {
    var message: String

    static func wrapping<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as BacktestError {
            throw EvaluationFailure(message: error.description)
        } catch let error as AgentsError {
            throw EvaluationFailure(message: error.description)
        } catch let error as IngestError {
            throw EvaluationFailure(message: error.description)
        }
    }
}
