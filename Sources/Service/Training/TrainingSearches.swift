import Agents
import Foundation
import Logging

/// A search submitted by an operator (`qf tune --distributed`): the same parent and child jobs
/// as `POST /training/jobs` with a `search` block, without a user or strategy, for any `qf worker`.
public enum TrainingSearches {
    /// Checks and queues the search; returns the parent job's id and its trial count. Only jobs on
    /// built-in datasets: a `data` block names files on this machine, which workers may not see
    /// (upload them as a dataset and POST the search instead).
    public static func submit(_ job: TrainingJobConfiguration, search block: JSONValue, stores: ServiceStores, logger: Logger) async throws -> (id: Int, trials: Int) {
        guard job.data == nil else {
            throw AgentsError.invalidConfiguration("data: a distributed search trains on workers that may not see this machine's files; "
                                                   + "use a built-in dataset, or upload the data and POST the search to /api/v1/training/jobs")
        }
        let resolved = try AgentRegistry.resolve(job)
        let search = try SearchRequest.parse(block, defaultEpochs: resolved.trainer.epochs)
        let tuner = try Tuner(base: job, space: search.space, options: search.options)
        let config = try JSONValue.parse(String(decoding: JSONEncoder().encode(job.config), as: UTF8.self))
        let hyperparameters = try JSONValue.parse(String(decoding: JSONEncoder().encode(job.hyperparameters), as: UTF8.self))
        var parentConfig = config.objectValue ?? [:]
        parentConfig["search"] = search.normalized
        let name = job.name ?? "search"
        let parent = TrainingJobStore.NewJob(name: name, description: "qf tune --distributed", strategyID: nil, datasetID: nil, config: .object(parentConfig),
                                             hyperparameters: hyperparameters, totalEpochs: search.options.maxEpochs, estimatedDuration: nil)
        let id = try await stores.searches.create(parent, search: search, base: job, childConfig: config, for: nil, logger: logger)
        return (id, tuner.configurations.count)
    }

    /// A search's state read from its parent job: status, trials done of all, and once done the
    /// leaderboard as `qf tune` shows it with the config to train with.
    public struct Progress: Sendable {
        public var status: TrainingStatus
        public var errorMessage: String?
        public var trialsDone: Int
        public var trialsTotal: Int
        public var result: TuneResult?
        public var best: TrainingJobConfiguration?
    }

    public static func progress(of id: Int, stores: ServiceStores, logger: Logger) async throws -> Progress {
        let record = try await stores.trainingJobs.find(id, for: nil, reading: .latest, logger: logger)
        let state = try SearchState.decode(record.metrics)
        var result: TuneResult?
        if record.status == .completed {
            result = TuneResult(metric: state.metric, rungs: state.rungs, trials: state.trials.map { t in
                TrialResult(trial: t.trial, values: t.values, epochs: t.epochs, scores: t.scores, statistics: t.statistics, status: t.status)
            }, epochsTrained: state.epochsTrained, epochsIfFull: state.epochsIfFull)
        }
        return Progress(status: record.status, errorMessage: record.errorMessage, trialsDone: state.trialsDone, trialsTotal: state.trialsTotal,
                        result: result, best: state.best?.config)
    }
}
