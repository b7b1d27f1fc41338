import Agents
import ArgumentParser
import Compute
import Foundation
import Logging
import Service

/// `qf tune --distributed`: the search as a parent training job whose trials are child jobs in
/// the database (as `POST /training/jobs` with a `search` block makes them), taken by any
/// `qf worker`; waits with a progress bar over finished trials, then prints the leaderboard and
/// writes the best configuration.
enum DistributedTune {
    static func block(_ command: TuneCommand, _ options: TuneOptions) -> JSONValue {
        var space: [String: JSONValue] = [:]
        for text in command.search {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { space[parts[0].trimmingCharacters(in: .whitespaces)] = .string(parts[1]) }
        }
        var fields: [String: JSONValue] = ["space": .object(space), "seeds": .int(Int64(options.seeds)), "metric": .string(options.metric.rawValue),
                                           "max_epochs": .int(Int64(options.maxEpochs)), "sampling_seed": .int(Int64(options.samplingSeed)),
                                           "trials": options.trials.map { .int(Int64($0)) } ?? .string("grid"),
                                           "scheduler": .string(options.halving == nil ? "none" : "asha")]
        if let h = options.halving {
            fields["min_epochs"] = .int(Int64(h.minEpochs))
            fields["reduction"] = .int(Int64(h.reduction))
        }
        return .object(fields)
    }

    /// Waits for search `id` with a progress bar over its trials.
    static func waitFor(_ id: Int, trials: Int, stores: ServiceStores, logger: Logger) async throws -> TrainingSearches.Progress {
        var bar = ProgressBar(total: trials, label: "trials")
        var progress = try await TrainingSearches.progress(of: id, stores: stores, logger: logger)
        while progress.status.isLive {
            bar.update(progress.trialsDone, status: progress.status.rawValue)
            try await Task.sleep(for: .milliseconds(250))
            progress = try await TrainingSearches.progress(of: id, stores: stores, logger: logger)
        }
        bar.update(progress.trialsDone, status: progress.status.rawValue)
        return progress
    }

    static func submitAndWait(command: TuneCommand, base: TrainingJobConfiguration, options: TuneOptions) async throws {
        var logger = Logger(label: "qf.tune")
        logger.logLevel = .error
        // Checked before anything is queued; sized once the number of trials is known.
        _ = try command.slurmOptions.array(units: 1, queues: [TaskQueues.training], jobName: "qf-tune")
        let settings = try await DatabaseSettings.resolve(logger: logger)
        try await WorkerCommand.requireCurrentSchema(settings, background: logger)
        let database = Database(settings: settings, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            await database.waitUntilRunning()
            let stores = ServiceStores(database: database)
            let (id, trials) = try await TrainingSearches.submit(base, search: block(command, options), stores: stores, logger: logger)
            if !command.json {
                print("training job \(id): a search of \(trials) trials × \(options.seeds) seeds queued as child jobs; qf worker processes take them")
            }
            var slurmJob: String?
            if var array = try command.slurmOptions.array(units: trials * options.seeds, queues: [TaskQueues.training], jobName: "qf-tune") {
                array.jobName = "qf-tune-\(id)"
                slurmJob = try await SlurmOptions.submit(array)
            }
            let progress: TrainingSearches.Progress
            do {
                progress = try await waitFor(id, trials: trials, stores: stores, logger: logger)
                if let slurmJob { await SlurmOptions.finish(slurmJob) }
            } catch {
                if let slurmJob { await SlurmOptions.finish(slurmJob) }
                throw error
            }
            guard progress.status == .completed, let result = progress.result, let best = progress.best else {
                throw CommandFailure("training job \(id) \(progress.status): \(progress.errorMessage ?? "no reason given")")
            }
            let bestPath = command.bestConfig ?? "\(options.directory)/best.json"
            try TuneCommand.write(best, to: bestPath)
            if command.json { return try printJSON(result) }
            TuneCommand.printResult(result, dimensions: command.search.compactMap { $0.split(separator: "=").first.map(String.init) }, bestPath: bestPath)
        }
    }
}
