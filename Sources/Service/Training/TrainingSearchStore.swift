import Agents
import Foundation
import Logging
import PostgresNIO

/// The SQL of a hyperparameter search run as jobs: a parent `training_jobs` row whose `metrics`
/// hold the `SearchState`, and one child training job per trial and seed (`parent_job_id`), each
/// queued as an ordinary `train` task on any worker, through the first rung. When a child reaches
/// its rung (or ends), it reports; the report that finds every running trial's children there
/// decides the rung under a lock on the parent row: the best 1/η trials' children are queued
/// through the next rung, the others end as `completed` with `stopped_at_epoch` (a normal end). After
/// the last rung the parent completes with the leaderboard and the best configuration.
struct TrainingSearchStore: Sendable {
    let database: Database

    /// Inserts the parent and its children and queues every child through the first rung, in one
    /// transaction; returns the parent's id.
    func create(_ parent: TrainingJobStore.NewJob, search: SearchRequest, base: TrainingJobConfiguration, childConfig: JSONValue,
                for user: AuthenticatedUser?, logger: Logger) async throws -> Int {
        let configurations = try search.options.trials.map { try search.space.random(count: $0, seed: search.options.samplingSeed) } ?? search.space.grid()
        let rungs = search.options.halving?.rungs ?? [search.options.maxEpochs]
        var children: [[JSONValue]] = []
        for values in configurations {
            children.append(try (0..<search.options.seeds).map { seed in
                let job = try Tuner.trialJob(base: base, values: values, seed: seed, options: search.options)
                return try JSONValue.parse(String(decoding: JSONEncoder().encode(job.hyperparameters), as: UTF8.self))
            })
        }
        return try await database.transaction(logger: logger) { connection in
            var parentID = 0
            for try await id in try await connection.query("""
                INSERT INTO training_jobs (name, description, status, total_epochs, config, hyperparameters, strategy_id, dataset_id, user_id, estimated_duration)
                VALUES (\(parent.name), \(parent.description), 'pending', \(parent.totalEpochs), \(parent.config.jsonText)::jsonb,
                        \(parent.hyperparameters.jsonText)::jsonb, \(parent.strategyID), \(parent.datasetID), \(user?.id), NULL)
                RETURNING id
                """, logger: logger).decode(Int.self) { parentID = id }
            var trials: [SearchState.Trial] = []
            for (t, values) in configurations.enumerated() {
                var ids: [Int] = []
                for (seed, hyperparameters) in children[t].enumerated() {
                    let name = String("\(parent.name) · trial \(t) seed \(seed)".prefix(100))
                    for try await id in try await connection.query("""
                        INSERT INTO training_jobs (name, description, status, total_epochs, config, hyperparameters, strategy_id, dataset_id, user_id, parent_job_id)
                        VALUES (\(name), \(Tuner.describe(values)), 'pending', \(search.options.maxEpochs), \(childConfig.jsonText)::jsonb,
                                \(hyperparameters.jsonText)::jsonb, \(parent.strategyID), \(parent.datasetID), \(user?.id), \(parentID))
                        RETURNING id
                        """, logger: logger).decode(Int.self) { ids.append(id) }
                    _ = try await Self.queue(child: ids.last!, throughEpoch: rungs[0], of: rungs, userID: user?.id, on: connection, logger: logger)
                }
                trials.append(.init(trial: t, values: values, jobIDs: ids, status: "running", epochs: 0, scores: Array(repeating: nil, count: ids.count)))
            }
            let state = SearchState(metric: search.options.metric.rawValue, rungs: rungs, rung: 0, reduction: search.options.halving?.reduction,
                                    seeds: search.options.seeds, trialsTotal: trials.count, trialsDone: 0, epochsTrained: 0,
                                    epochsIfFull: trials.count * search.options.seeds * search.options.maxEpochs, trials: trials, best: nil)
            try await connection.query("UPDATE training_jobs SET metrics = \(state.json.jsonText)::jsonb WHERE id = \(parentID)", logger: logger)
            return parentID
        }
    }

    /// Queues a child's `train` task; `through_epoch` only when it is not the last rung.
    static func queue(child: Int, throughEpoch: Int, of rungs: [Int], userID: Int?, on connection: PostgresConnection, logger: Logger) async throws -> String {
        var kwargs: [String: JSONValue] = ["job_id": .int(Int64(child))]
        if throughEpoch < rungs.last! { kwargs["through_epoch"] = .int(Int64(throughEpoch)) }
        return try await TaskQueue.enqueue(NewTask(name: TrainTaskHandler.taskName, kwargs: .object(kwargs), queue: TaskQueues.training, maxRetries: 3,
                                                   userID: userID, relatedType: .trainingJob, relatedID: child),
                                           on: connection, logger: logger)
    }

    /// The parent is running once any child is.
    func markParentRunning(_ parentID: Int, logger: Logger) async throws {
        try await database.primary.query("""
            UPDATE training_jobs SET status = 'running', started_at = coalesce(started_at, CURRENT_TIMESTAMP) WHERE id = \(parentID) AND status = 'pending'
            """, logger: logger)
    }

    /// A child reached `epoch` (its rung) or ended: decides the rung when it was the last one there.
    func report(parentID: Int, epoch: Int, logger: Logger) async throws {
        try await Self.report(parentID: parentID, epoch: epoch, client: database.primary, logger: logger)
    }

    /// `report` on a client (the queue's rescuer reports children it gave up on).
    static func report(parentID: Int, epoch: Int, client: PostgresClient, logger: Logger) async throws {
        let announcement: String? = try await client.withTransaction(logger: logger) { connection in
            var row: (String, String)?
            for try await r in try await connection.query("""
                SELECT coalesce(status::text, 'pending'), metrics::text FROM training_jobs WHERE id = \(parentID) FOR UPDATE
                """, logger: logger).decode((String, String).self) { row = r }
            guard let (status, text) = row, status == "pending" || status == "running" else { return nil }
            var state = try SearchState.decode(try JSONValue.parse(text))
            let rungEpoch = state.rungs[state.rung]
            guard epoch >= rungEpoch else { return nil }
            let running = state.trials.indices.filter { state.trials[$0].status == "running" }
            let ids = running.flatMap { state.trials[$0].jobIDs }
            // Every running trial's children must have paused at the rung (pending at or past it) or ended.
            var children: [Int: (status: String, epoch: Int)] = [:]
            for try await (id, s, e) in try await connection.query("""
                SELECT id, coalesce(status::text, 'pending'), coalesce(current_epoch, 0) FROM training_jobs WHERE id = ANY(\(ids.map(Int64.init))::int8[])
                """, logger: logger).decode((Int, String, Int).self) { children[id] = (s, e) }
            let ended = ["completed", "failed", "cancelled"]
            let last = state.rung == state.rungs.count - 1
            let arrived = ids.allSatisfy { id in
                guard let c = children[id] else { return true }
                return ended.contains(c.status) || (!last && c.status == "pending" && c.epoch >= rungEpoch)
            }
            guard arrived else { return nil }

            // Each seed's best value of the metric up to the rung.
            var best: [Int: Double] = [:]
            for try await (id, value) in try await connection.query("""
                SELECT training_job_id, max((metrics->>\(state.metric))::float8) FROM training_metrics
                WHERE training_job_id = ANY(\(ids.map(Int64.init))::int8[]) AND epoch <= \(rungEpoch) GROUP BY training_job_id
                """, logger: logger).decode((Int, Double?).self) { if let value, value.isFinite { best[id] = value } }
            for t in running {
                let jobIDs = state.trials[t].jobIDs
                state.trials[t].scores = jobIDs.map { best[$0] }
                let finite = state.trials[t].scores.compactMap { $0 }
                state.trials[t].statistics = finite.isEmpty ? nil : SeedStatistics(values: finite)
                state.trials[t].epochs = jobIDs.map { children[$0]?.epoch ?? 0 }.max() ?? 0
            }
            let failed = Set(running.filter { t in state.trials[t].jobIDs.allSatisfy { children[$0]?.status == "failed" || children[$0]?.status == "cancelled" } })
            for t in failed { state.trials[t].status = "failed" }
            let candidates = running.filter { !failed.contains($0) }
            if last {
                for t in candidates { state.trials[t].status = "completed" }
            } else {
                let halving = try SuccessiveHalving(maxEpochs: state.rungs.last!, minEpochs: state.rungs[0], reduction: state.reduction ?? 3)
                let promoted = Set(halving.promoted(scores: candidates.map { (trial: $0, score: Tuner.mean(state.trials[$0].scores) ?? .nan) }))
                let next = state.rungs[state.rung + 1]
                for t in candidates {
                    let live = state.trials[t].jobIDs.filter { children[$0].map { !ended.contains($0.status) } ?? false }
                    if promoted.contains(t) && !live.isEmpty {
                        for id in live { _ = try await Self.queue(child: id, throughEpoch: next, of: state.rungs, userID: nil, on: connection, logger: logger) }
                    } else {
                        state.trials[t].status = promoted.contains(t) ? "completed" : "stopped"
                        for id in live {
                            try await connection.query("""
                                UPDATE training_jobs SET status = 'completed', progress = 100, completed_at = CURRENT_TIMESTAMP,
                                    metrics = metrics || jsonb_build_object('stopped_at_epoch', current_epoch),
                                    logs = coalesce(logs, '') || \("stopped by successive halving after epoch \(rungEpoch): not in the best 1/\(halving.reduction) of its rung\n")
                                WHERE id = \(id) AND status = 'pending'
                                """, logger: logger)
                        }
                    }
                }
                state.rung += 1
            }
            state.trialsDone = state.trials.filter { $0.status != "running" }.count
            var trained = 0
            for try await n in try await connection.query("""
                SELECT count(*) FROM training_metrics m JOIN training_jobs j ON j.id = m.training_job_id WHERE j.parent_job_id = \(parentID)
                """, logger: logger).decode(Int64.self) { trained = Int(n) }
            state.epochsTrained = trained
            let progress = Double(state.trialsDone) / Double(max(1, state.trialsTotal)) * 100
            guard state.trialsDone == state.trialsTotal else {
                try await connection.query("""
                    UPDATE training_jobs SET metrics = \(state.json.jsonText)::jsonb, progress = \(progress), current_epoch = \(rungEpoch),
                        status = 'running', started_at = coalesce(started_at, CURRENT_TIMESTAMP),
                        logs = coalesce(logs, '') || \("rung of \(rungEpoch) epochs decided: \(state.trials.filter { $0.status == "running" }.count) trials go on\n")
                    WHERE id = \(parentID)
                    """, logger: logger)
                return "running"
            }
            // Done: the leaderboard best first (trained furthest, then by the mean across seeds).
            state.trials.sort { Tuner.ranks((epochs: $0.epochs, mean: $0.statistics?.mean, trial: $0.trial), before: (epochs: $1.epochs, mean: $1.statistics?.mean, trial: $1.trial)) }
            let winner = state.trials.first { $0.status == "completed" }
            if let winner {
                var base = try await Self.baseJob(parentID, on: connection, logger: logger)
                base.hyperparameters = try HyperparameterCatalog.setting(winner.values, in: base.hyperparameters)
                base.hyperparameters.epochs = state.rungs.last!
                base.hyperparameters.selectionMetric = SelectionMetric(rawValue: state.metric)
                base.name = (base.name ?? "search") + "-best"
                state.best = .init(trial: winner.trial, values: winner.values, config: base)
            }
            let bestMetrics: JSONValue = winner.map { w in
                .object(["trial": .int(Int64(w.trial)), "values": (try? JSONValue.parse(String(decoding: JSONEncoder().encode(w.values), as: UTF8.self))) ?? .null,
                         state.metric: w.statistics.map { .double($0.mean) } ?? .null])
            } ?? .object([:])
            let finalStatus = winner == nil ? "failed" : "completed"
            try await connection.query("""
                UPDATE training_jobs SET status = \(finalStatus)::training_status, metrics = \(state.json.jsonText)::jsonb, best_metrics = \(bestMetrics.jsonText)::jsonb,
                    progress = 100, current_epoch = \(rungEpoch), completed_at = CURRENT_TIMESTAMP,
                    actual_duration = extract(epoch FROM CURRENT_TIMESTAMP - started_at)::int,
                    error_message = CASE WHEN \(winner == nil) THEN 'every trial failed' ELSE NULL END,
                    logs = coalesce(logs, '') || \(winner.map { "search done: best trial \($0.trial) (\(Tuner.describe($0.values)))\n" } ?? "search failed: every trial failed\n")
                WHERE id = \(parentID)
                """, logger: logger)
            return finalStatus
        }
        if let announcement {
            try await Events.notify(Events.payload(channel: "training_job", id: parentID, userID: nil, type: "status",
                                                   data: .object(["job_id": .int(Int64(parentID)), "status": .string(announcement)])),
                                    on: client, logger: logger)
        }
    }

    /// The parent's job as `qf train` takes it (its config without the search block).
    static func baseJob(_ parentID: Int, on connection: PostgresConnection, logger: Logger) async throws -> TrainingJobConfiguration {
        for try await (name, config, hyperparameters) in try await connection.query("""
            SELECT name, config::text, coalesce(hyperparameters, '{}')::text FROM training_jobs WHERE id = \(parentID)
            """, logger: logger).decode((String, String, String).self) {
            var names = try JSONValue.parse(config).objectValue ?? [:]
            names["search"] = nil
            return try TrainingRequest.configuration(name: name, config: .object(names), hyperparameters: try JSONValue.parse(hyperparameters), data: nil)
        }
        throw StoreError.notFound("Training job \(parentID) not found")
    }

    /// The children of a parent that have not ended (for cancelling them with it).
    func liveChildren(of parentID: Int, logger: Logger) async throws -> [Int] {
        var ids: [Int] = []
        for try await id in try await database.primary.query("""
            SELECT id FROM training_jobs WHERE parent_job_id = \(parentID) AND status IN ('pending', 'running') ORDER BY id
            """, logger: logger).decode(Int.self) { ids.append(id) }
        return ids
    }
}
