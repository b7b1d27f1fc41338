import Agents
import Foundation
import Ingest
import PostgresNIO
@testable import Service
import Testing

/// `qf slurm` against the real single-node Slurm cluster that `make test` starts
/// (scripts/slurm-cluster.sh, SLURM_CONF exported): the batch script is one Slurm accepts, and a
/// worker array submitted with `qf slurm submit` drains the queue — every task exactly once, a
/// training job to its end — and leaves Slurm empty once idle; `qf sweep --slurm` and `qf tune
/// --slurm` submit their own workers and print what the local runs print.
// One at a time: each test's workers are debug-built training processes on a node of two CPUs;
// all at once, beside the rest of `make test`, they starved other suites of CPU.
@Suite(.serialized, .enabled(if: SlurmCluster.isUp, "no Slurm cluster: make test starts one (scripts/slurm-cluster.sh up, SLURM_CONF exported)"))
struct SlurmTests {
    @Test func theBatchScriptIsOneSlurmAccepts() async throws {
        var array = SlurmWorkerArray(workers: 3, queues: ["training", "default"], executable: ProcessRunner.qf, outputDirectory: FileManager.default.temporaryDirectory.path)
        array.time = "0:10:00"
        array.memory = "512M"
        array.partition = "qf"
        array.extra = ["--comment=quantforge-test"]
        let script = array.script()
        #expect(script.contains("#SBATCH --array=0-2") && script.contains("#SBATCH --signal=B:USR1@60") && script.contains("--max-runtime 540s"), "\(script)")
        let verdict = try await SlurmClient().check(script)
        #expect(verdict.contains("to start at") && verdict.contains("partition qf"), "sbatch --test-only: \(verdict)")
        var bad = array
        bad.partition = "no-such-partition"
        await #expect(throws: SlurmClient.Failure.self) { try await SlurmClient().check(bad.script()) }
    }

    @Test func submittedWorkersDrainTheQueueAndLeave() async throws {
        try await TestAPI.with("slurm_drain") { api in
            let (token, _, _) = try await api.signUp("slurmer")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "on slurm", strategyID: strategyID, datasetID: datasetID, epochs: 3, seed: 9)
            _ = try await TaskQueue(client: api.sql).enqueueBatch(name: "noop", kwargs: (0..<40).map { .object(["n": .int(Int64($0))]) }, logger: TestDatabase.logger)
            let url = try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
            let jobName = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let output = "\(api.data.directory)/slurm"
            let submit = try await ProcessRunner.start(["slurm", "submit", "--workers", "2", "--queues", "training", "default", "--time", "15:00",
                                                        "--exit-when-idle", "2", "--job-name", jobName],
                                                       environment: ChaosTests.workerEnvironment(api, url: url))()
            #expect(submit.status == 0 && submit.output.contains("submitted job array"), "\(submit.output)")
            let status = await (try ProcessRunner.start(["slurm", "status", "--prefix", jobName], environment: ChaosTests.workerEnvironment(api, url: url)))()
            #expect(status.status == 0 && status.output.contains(jobName) && status.output.contains("queue: "), "\(status.output)")
            let slurm = SlurmClient()
            let finished = try await ChaosTests.waitFor(api, .seconds(180)) {
                let noops = try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE task_name = 'noop' AND status = 'SUCCESS'")
                return try await ChaosTests.completed(api, job: id) && noops == "40"
            }
            #expect(finished)
            // Idle, the workers leave, and their array with them.
            var gone = false
            for _ in 0..<600 where !gone {
                gone = try await slurm.jobs(namePrefix: jobName).isEmpty
                if !gone { try await Task.sleep(for: .milliseconds(200)) }
            }
            let left = (try? await slurm.jobs(namePrefix: jobName)) ?? []
            #expect(gone, "the workers exit when idle: \(left)")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE attempt <> 1") == "0", "each task ran once")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics WHERE training_job_id = \(id)") == "1,2,3")
            let logs = try await AuthTests.text(api.sql, "SELECT logs FROM training_jobs WHERE id = \(id)")
            #expect(logs.contains("attempt 1 on worker ") && logs.contains(", Slurm job ") && logs.contains(" on node \(ProcessInfo.processInfo.hostName.split(separator: ".")[0])"),
                    "the job's logs say where it ran: \(logs.prefix(300))")
            let outputs = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasPrefix(jobName) }
            #expect(outputs.count == 2, "one output file per array element: \(outputs)")
            var slurmWorkers: Set<String> = []
            for log in outputs {
                let text = try String(contentsOfFile: "\(output)/\(log)", encoding: .utf8)
                #expect(text.contains("worker started") && text.contains("idle for"), "\(log): \(text.suffix(800))")
                if let id = text.firstMatch(of: /worker started.*? id=(\S+)|id=(\S+) .*worker started/) { slurmWorkers.insert(String(id.1 ?? id.2 ?? "")) }
            }
            let ran = try await AuthTests.text(api.sql, "SELECT string_agg(DISTINCT worker_name, ',') FROM celery_tasks WHERE task_name IN ('train', 'noop')")
            #expect(Set(ran.split(separator: ",").map(String.init)).isSubset(of: slurmWorkers), "Slurm's workers ran them: \(ran) ⊆ \(slurmWorkers)")
        }
    }
}

extension SlurmTests {
    static func databaseURL(_ api: TestAPI.Harness) async throws -> String {
        try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
    }

    /// Waits until no Slurm job named `prefix…` is left (the command cancels its array at the end).
    static func expectGone(_ prefix: String) async throws {
        var left: [SlurmClient.Job] = []
        for _ in 0..<600 {
            left = try await SlurmClient().jobs(namePrefix: prefix)
            if left.isEmpty { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("Slurm jobs left behind: \(left)")
    }

    @Test func aSweepWithSlurmRanksLikeALocalSweep() async throws {
        try await TestAPI.with("slurm_sweep") { api in
            let (token, _, _) = try await api.signUp("sweeper")
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let path = try await AuthTests.text(api.sql, "SELECT file_path FROM datasets WHERE id = \(datasetID)")
            let environment = ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))
            let arguments = ["sweep", "--data", path, "--grid", "fast=2:12", "--grid", "slow=15:40:5", "--fill", "close", "--convention", "vectorbt",
                             "--commission", "0.001", "--top", "8", "--json"]
            let remote = await (try ProcessRunner.start(arguments + ["--slurm", "--slurm-workers", "2", "--shard-size", "10"], environment: environment))()
            let local = await (try ProcessRunner.start(arguments, environment: environment))()
            #expect(remote.status == 0 && local.status == 0, "\(remote.output)\n\(local.output)")
            #expect(remote.output.contains("66 combinations in 7 shards queued") && remote.output.contains("2 worker(s)"), "\(remote.output)")
            try SweepOutput.expectSameOverfitting(remote: remote.output, local: local.output)
            let remoteRows = try SweepOutput.rows(remote.output), localRows = try SweepOutput.rows(local.output)
            #expect(remoteRows.count == 8 && localRows.count == 8)
            for (a, b) in zip(remoteRows, localRows) {
                for key in ["parameters", "metrics"] {
                    #expect(NSDictionary(dictionary: a[key] as? [String: Any] ?? [:]).isEqual(to: b[key] as? [String: Any] ?? [:]), "\(key): \(a) vs \(b)")
                }
            }
            // Every shard (and the merge) ran exactly once, by Slurm's workers.
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text || '|' || sum(attempt)::text FROM celery_tasks WHERE related_type = 'evaluation' AND status = 'SUCCESS'") == "8|8")
            try await Self.expectGone("qf-sweep-")
        }
    }

    @Test func aSearchWithSlurmFindsWhatTheLocalSearchFinds() async throws {
        try await TestAPI.with("slurm_tune") { api in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-tune-slurm-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let config = "\(dir)/dqn.json"
            try Data(#"{"name": "dqn", "config": {"task_name": "algorithmic_trading", "dataset_name": "algorithmic_trading:BTC", "agent_name": "algorithmic_trading:dqn"}, "hyperparameters": {"seed": 5, "batch_size": 32}}"#.utf8)
                .write(to: URL(fileURLWithPath: config))
            var environment = ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))
            environment["QF_SHARED_DIR"] = SharedData.directory
            let arguments = ["tune", "--config", config, "--search", "gamma=0.5,0.99", "--max-epochs", "2", "--min-epochs", "1", "--reduction", "2", "--json"]
            let remote = await (try ProcessRunner.start(arguments + ["--slurm", "--slurm-workers", "2", "--out", "\(dir)/remote"], environment: environment))()
            let local = await (try ProcessRunner.start(arguments + ["--parallel", "2", "--out", "\(dir)/local"], environment: environment))()
            #expect(remote.status == 0 && local.status == 0, "\(remote.output)\n\(local.output)")
            let a = try JSONDecoder().decode(TuneResult.self, from: try TuneCommandTests.json(remote.output))
            let b = try JSONDecoder().decode(TuneResult.self, from: try TuneCommandTests.json(local.output))
            #expect(a.trials.map(\.values) == b.trials.map(\.values) && a.trials.map(\.status) == b.trials.map(\.status), "\(a.trials) vs \(b.trials)")
            #expect(a.best.values == b.best.values && a.rungs == b.rungs && a.epochsTrained == b.epochsTrained)
            #expect(a.trials.map(\.scores) == b.trials.map(\.scores), "the same scores, seed for seed: \(a.trials.map(\.scores)) vs \(b.trials.map(\.scores))")
            try await Self.expectGone("qf-tune-")
        }
    }
}

extension SlurmTests {
    @Test func theAutoscalerGoesFromNoWorkersToItsMaximumAndBackToNone() async throws {
        try await TestAPI.with("slurm_autoscale") { api in
            let (token, _, _) = try await api.signUp("scaler")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            var ids: [Int] = []
            for seed in 1...4 {
                ids.append(try await TrainingJobTests.submitDQN(api, token, name: "backlog \(seed)", strategyID: strategyID, datasetID: datasetID, epochs: 2, seed: seed))
            }
            let jobName = "qf-auto-\(UUID().uuidString.prefix(8).lowercased())"
            let environment = ProcessInfo.processInfo.environment.merging(ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))) { $1 }
            var defaults = SlurmDefaults()
            defaults.partition = "qf"
            defaults.maxWorkers = 2
            // Two `qf serve`s' autoscalers: only the one holding the lock submits.
            let scalers = (0..<2).map { _ in
                var scaler = SlurmAutoscaler(defaults: defaults, queues: [TaskQueues.training], interval: .milliseconds(300), exitWhenIdleSeconds: 2,
                                             executable: ProcessRunner.qf, outputDirectory: "\(api.data.directory)/slurm", slurm: SlurmClient(environment: environment),
                                             database: api.database, lockConnection: api.settings.primaryConnection, logger: TestDatabase.logger)
                scaler.jobName = jobName
                return scaler
            }
            #expect(try await SlurmClient().jobs(namePrefix: jobName).isEmpty, "no workers before the backlog is seen")
            var most = 0
            let done = try await withThrowingTaskGroup(of: Void.self) { group -> Bool in
                for scaler in scalers { group.addTask { try await scaler.run() } }
                defer { group.cancelAll() }
                let finished = try await ChaosTests.waitFor(api, .seconds(180)) {
                    most = max(most, try await SlurmClient().jobs(namePrefix: jobName).count)
                    for id in ids where !(try await ChaosTests.completed(api, job: id)) { return false }
                    return true
                }
                guard finished else { return false }
                // Idle, the workers leave: back to none, with the autoscalers still running.
                for _ in 0..<600 {
                    if try await SlurmClient().jobs(namePrefix: jobName).isEmpty { return true }
                    try await Task.sleep(for: .milliseconds(200))
                }
                return false
            }
            #expect(done, "every job completed, then no worker was left")
            #expect(most == 2, "up to QF_SLURM_MAX_WORKERS (2) workers, never more, with two autoscalers: \(most)")
            #expect(SlurmAutoscaler.workersToAdd(runnable: 7, pendingWorkers: 1, allWorkers: 3, cpusPerWorker: 2, maxWorkers: 8) == 3)
            #expect(SlurmAutoscaler.workersToAdd(runnable: 7, pendingWorkers: 0, allWorkers: 7, cpusPerWorker: 1, maxWorkers: 8) == 1)
            #expect(SlurmAutoscaler.workersToAdd(runnable: 0, pendingWorkers: 0, allWorkers: 0, cpusPerWorker: 1, maxWorkers: 8) == 0)
        }
    }
}

extension SlurmTests {
    /// `scancel` sends SIGTERM: the worker hands the job back at its next safe point, and a worker
    /// of the next array resumes it from its checkpoint.
    @Test func aCancelledWorkersTrainingJobIsResumedByTheNextArray() async throws {
        try await TestAPI.with("slurm_scancel") { api in
            let (token, _, _) = try await api.signUp("cancelled")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "scancelled", strategyID: strategyID, datasetID: datasetID, epochs: 4, seed: 21)
            let environment = ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))
            func epochs() async throws -> Int { Int(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_metrics WHERE training_job_id = \(id)")) ?? 0 }
            let first = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let submitFirst = await (try ProcessRunner.start(["slurm", "submit", "--workers", "1", "--queues", "training", "--job-name", first], environment: environment))()
            #expect(submitFirst.status == 0, "\(submitFirst.output)")
            #expect(try await ChaosTests.waitFor(api, .seconds(120)) { try await epochs() >= 1 })
            try await SlurmClient().cancel(name: first)
            try await Self.expectGone(first)
            let handedBack = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries FROM celery_tasks WHERE related_type = 'training_job'")
            #expect(handedBack == "PENDING|0" || handedBack == "SUCCESS|0", "released, not failed: \(handedBack)")

            let second = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let submitSecond = await (try ProcessRunner.start(["slurm", "submit", "--workers", "1", "--queues", "training", "--exit-when-idle", "2", "--job-name", second],
                                                              environment: environment))()
            #expect(submitSecond.status == 0, "\(submitSecond.output)")
            #expect(try await ChaosTests.waitFor(api, .seconds(180)) { try await ChaosTests.completed(api, job: id) })
            try await Self.expectGone(second)
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics WHERE training_job_id = \(id)") == "1,2,3,4",
                    "one metrics row per epoch")
            if handedBack == "PENDING|0" {
                let task = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries || '|' || (result->>'resumed') FROM celery_tasks WHERE related_type = 'training_job'")
                #expect(task == "SUCCESS|0|true", "resumed from the checkpoint, no retry counted: \(task)")
            }
        }
    }
}

extension SlurmTests {
    /// A worker whose allocation reaches its time limit (one minute: it stops claiming and hands
    /// its job back 30 s before) leaves the job to the next array, which resumes it from its
    /// checkpoint: every epoch is logged once and has one metrics row. The job is long enough that
    /// no machine finishes it in the first allocation, and is cancelled once the second has shown
    /// it resumes.
    @Test func aWorkerAtItsTimeLimitHandsItsJobToTheNextArray() async throws {
        try await TestAPI.with("slurm_time_limit") { api in
            let (token, _, _) = try await api.signUp("timed")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "long", strategyID: strategyID, datasetID: datasetID, epochs: 100_000, seed: 4)
            let environment = ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))
            func epochs() async throws -> Int { Int(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_metrics WHERE training_job_id = \(id)")) ?? 0 }
            let first = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let submitted = await (try ProcessRunner.start(["slurm", "submit", "--workers", "1", "--queues", "training", "--time", "1", "--job-name", first], environment: environment))()
            #expect(submitted.status == 0, "\(submitted.output)")
            // The worker leaves by itself at its maximum run time (the training makes progress meanwhile).
            var gone = false
            _ = try await ChaosTests.waitFor(api, .seconds(120)) {
                gone = try await SlurmClient().jobs(namePrefix: first).isEmpty
                return gone
            }
            #expect(gone, "the worker left before its allocation's time limit")
            let before = try await epochs()
            let task = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries FROM celery_tasks WHERE related_type = 'training_job'")
            #expect(task == "PENDING|0", "handed back, not failed: \(task)")
            let output = try FileManager.default.contentsOfDirectory(atPath: "\(api.data.directory)/slurm").filter { $0.hasPrefix(first) }
            let text = try output.map { try String(contentsOfFile: "\(api.data.directory)/slurm/\($0)", encoding: .utf8) }.joined()
            #expect(text.contains("reached its maximum run time of 30"), "\(output): \(text.suffix(600))")

            let second = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let again = await (try ProcessRunner.start(["slurm", "submit", "--workers", "1", "--queues", "training", "--exit-when-idle", "2", "--job-name", second], environment: environment))()
            #expect(again.status == 0, "\(again.output)")
            #expect(try await ChaosTests.waitFor(api, .seconds(120)) { try await epochs() >= before + 2 })
            let cancelled = try await api.call(.post, "\(TrainingJobTests.base)/\(id)/cancel", token: token)
            #expect(cancelled.status == .ok || cancelled.status == .accepted, "\(cancelled.body)")
            try await Self.expectGone(second)
            let rows = try await AuthTests.text(api.sql, "SELECT count(*)::text || '|' || max(epoch)::text FROM training_metrics WHERE training_job_id = \(id)")
            let parts = rows.split(separator: "|").map { Int($0) ?? -1 }
            #expect(parts.count == 2 && parts[0] == parts[1] && parts[0] >= before + 2, "epochs 1…n, one row each: \(rows)")
            let logs = try await AuthTests.text(api.sql, "SELECT logs FROM training_jobs WHERE id = \(id)")
            #expect(logs.contains("attempt 1 on worker ") && logs.contains("attempt 2 on worker "), "\(logs.prefix(400)) … \(logs.suffix(400))")
            for epoch in 1...max(1, parts.last ?? 1) {
                let times = logs.components(separatedBy: "epoch \(epoch), ").count - 1
                if times != 1 { Issue.record("epoch \(epoch) logged \(times) times: resumed, not restarted"); break }
            }
        }
    }
}

extension SlurmTests {
    /// `qf walkforward --slurm` queues one shard per window, submits the workers, and prints the
    /// table and lines the local run prints, to the digit; its JSON agrees to 1e-12.
    @Test func aWalkForwardWithSlurmPrintsWhatTheLocalRunPrints() async throws {
        try await TestAPI.with("slurm_walkforward") { api in
            let path = "\(api.data.directory)/btc.h5"
            try FileManager.default.createDirectory(atPath: api.data.directory, withIntermediateDirectories: true)
            _ = try CSVIngestor.ingest(csv: SharedData.directory + "/data/trademaster/algorithmic_trading/BTC/BTC.csv", to: path, options: IngestOptions())
            let environment = ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))
            let arguments = ["walkforward", "--data", path, "--grid", "fast=2:20:6", "--grid", "slow=20:60:20", "--train", "1y", "--test", "6m",
                             "--fill", "close", "--convention", "vectorbt", "--commission", "0.001"]
            let remote = await (try ProcessRunner.start(arguments + ["--slurm", "--slurm-workers", "2"], environment: environment))()
            let local = await (try ProcessRunner.start(arguments, environment: environment))()
            #expect(remote.status == 0 && local.status == 0, "\(remote.output)\n\(local.output)")
            func table(_ output: String) -> [Substring] { Array(output.split(separator: "\n").drop { !$0.contains(" windows, ") }) }
            #expect(table(local.output).count > 8 && table(remote.output) == table(local.output), "\(remote.output)\n---\n\(local.output)")
            #expect(remote.output.contains("walk-forward windows queued") && remote.output.contains("2 worker(s)"), "\(remote.output)")

            let remoteJSON = await (try ProcessRunner.start(arguments + ["--slurm", "--slurm-workers", "1", "--json"], environment: environment))()
            let localJSON = await (try ProcessRunner.start(arguments + ["--json"], environment: environment))()
            let a = try SweepOutput.document(remoteJSON.output), b = try SweepOutput.document(localJSON.output)
            let wa = a["windows"] as? [[String: Any]] ?? [], wb = b["windows"] as? [[String: Any]] ?? []
            #expect(wa.count == wb.count && wa.count > 5, "\(remoteJSON.output.suffix(500))")
            for (x, y) in zip(wa, wb) {
                #expect(NSDictionary(dictionary: x["parameters"] as? [String: Any] ?? [:]).isEqual(to: y["parameters"] as? [String: Any] ?? [:]))
                for part in ["in_sample", "out_of_sample"] {
                    let px = x[part] as? [String: Double] ?? [:], py = y[part] as? [String: Double] ?? [:]
                    #expect(px.keys.sorted() == py.keys.sorted())
                    for (key, value) in py where !(value.isNaN && (px[key]?.isNaN ?? false)) {
                        #expect(abs((px[key] ?? .nan) - value) <= 1e-12 * max(1, abs(value)), "\(part).\(key): \(px[key] ?? .nan) vs \(value)")
                    }
                }
                let dx = ((x["overfitting"] as? [String: Any])?["deflated_sharpe"] as? [String: Any])?["probability"] as? Double
                let dy = ((y["overfitting"] as? [String: Any])?["deflated_sharpe"] as? [String: Any])?["probability"] as? Double
                #expect(dx != nil && dx == dy, "the windows' deflated Sharpe: \(String(describing: dx)) vs \(String(describing: dy))")
            }
            try await Self.expectGone("qf-walkforward-")
        }
    }
}

extension SlurmTests {
    /// Slurm's own time limit, reached in the middle of a training job (the limit is lowered under
    /// the running worker with `scontrol`, as an operator might, so the test waits on the job's
    /// progress, not on a clock): Slurm sends SIGTERM, the worker hands the job back at its next
    /// safe point, and a worker of the next array finishes it from the checkpoint.
    @Test func aJobReachingItsTimeLimitIsFinishedByTheNextArray() async throws {
        try await TestAPI.with("slurm_limit_reached") { api in
            let (token, _, _) = try await api.signUp("limited")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "limited", strategyID: strategyID, datasetID: datasetID, epochs: 5, seed: 8)
            let environment = ChaosTests.workerEnvironment(api, url: try await Self.databaseURL(api))
            func epochs() async throws -> Int { Int(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_metrics WHERE training_job_id = \(id)")) ?? 0 }
            let first = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let submitted = await (try ProcessRunner.start(["slurm", "submit", "--workers", "1", "--queues", "training", "--job-name", first], environment: environment))()
            #expect(submitted.status == 0, "\(submitted.output)")
            #expect(try await ChaosTests.waitFor(api, .seconds(120)) { try await epochs() >= 1 })
            let element = try #require(try await SlurmClient().jobs(namePrefix: first).first, "the worker runs")
            try await SlurmClient().setTimeLimit(element.id, to: "0:01")
            try await Self.expectGone(first)
            let handedBack = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries FROM celery_tasks WHERE related_type = 'training_job'")
            #expect(handedBack == "PENDING|0" || handedBack == "SUCCESS|0", "released, not failed: \(handedBack)")

            let second = "qf-test-\(UUID().uuidString.prefix(8).lowercased())"
            let again = await (try ProcessRunner.start(["slurm", "submit", "--workers", "1", "--queues", "training", "--exit-when-idle", "2", "--job-name", second],
                                                       environment: environment))()
            #expect(again.status == 0, "\(again.output)")
            #expect(try await ChaosTests.waitFor(api, .seconds(180)) { try await ChaosTests.completed(api, job: id) })
            try await Self.expectGone(second)
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics WHERE training_job_id = \(id)") == "1,2,3,4,5",
                    "one metrics row per epoch")
            if handedBack == "PENDING|0" {
                let task = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries || '|' || (result->>'resumed') FROM celery_tasks WHERE related_type = 'training_job'")
                #expect(task == "SUCCESS|0|true", "finished by the next array's worker, resumed from the checkpoint: \(task)")
                let logs = try await AuthTests.text(api.sql, "SELECT logs FROM training_jobs WHERE id = \(id)")
                for epoch in 1...5 where logs.components(separatedBy: "epoch \(epoch), ").count - 1 != 1 {
                    Issue.record("epoch \(epoch) logged more than once: restarted, not resumed: \(logs)")
                }
            }
        }
    }
}

/// Whether the project's Slurm cluster answers (make test starts it and exports SLURM_CONF).
enum SlurmCluster {
    static var isUp: Bool {
        guard ProcessInfo.processInfo.environment["SLURM_CONF"] != nil else { return false }
        return (try? SlurmClient().runBlocking("sinfo", ["-h", "-o", "%a"], input: nil).contains("up")) ?? false
    }
}
