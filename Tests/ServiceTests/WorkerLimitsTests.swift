import Foundation
import Logging
import PostgresNIO
@testable import Service
import Synchronization
import Testing

/// Workers that leave on their own, as workers inside a batch allocation must: after N tasks,
/// when idle, and at a maximum run time (running work handed back, not failed); and a `qf worker`
/// process told by SIGUSR1 (Slurm's warning before a time limit) hands a training job back at
/// its next safe point, so the next worker resumes it from its checkpoint.
@Suite struct WorkerLimitsTests {
    static let logger = TestDatabase.logger

    @Test func durationsInSlurmsFormsAndWithUnits() {
        #expect(SlurmTime.parse("30") == .seconds(1800))
        #expect(SlurmTime.parse("5:30") == .seconds(330))
        #expect(SlurmTime.parse("1:02:03") == .seconds(3723))
        #expect(SlurmTime.parse("2-3") == .seconds(2 * 86_400 + 3 * 3600))
        #expect(SlurmTime.parse("1-00:10") == .seconds(86_400 + 600))
        #expect(SlurmTime.parse("1-00:00:05") == .seconds(86_405))
        #expect(SlurmTime.parse("unlimited") == nil && SlurmTime.parse("1:2:3:4") == nil && SlurmTime.parse("-5") == nil)
        #expect(SlurmTime.parseDuration("90s") == .seconds(90) && SlurmTime.parseDuration("2h") == .seconds(7200))
        #expect(SlurmTime.parseDuration("1.5m") == .seconds(90) && SlurmTime.parseDuration("45") == .seconds(45))
        #expect(SlurmTime.parseDuration("1:30:00") == .seconds(5400))
        #expect(SlurmTime.parseDuration("0") == nil && SlurmTime.parseDuration("soon") == nil && SlurmTime.parseDuration("-3m") == nil)
        #expect(SlurmTime.format(.seconds(86_405)) == "1-00:00:05" && SlurmTime.format(.seconds(3723)) == "01:02:03")
        #expect(SlurmTime.parse("99999999999999999") == nil && SlurmTime.parse("9999999999-0") == nil, "no overflow on absurd input")
        var array = SlurmWorkerArray(workers: 1, queues: ["default"], executable: "/q/qf", outputDirectory: "/q/out")
        array.partition = "cpu\nrm -rf /"
        #expect(array.problem()?.contains("--partition") == true, "no line of our own in the batch script")
    }

    @Test func aWorkerRunsItsMaximumTasksThenLeaves() async throws {
        try await QueueTests.withQueue("limits_tasks") { queue, sql, listen in
            try await sql.query("CREATE TABLE test_runs (task_id TEXT PRIMARY KEY, runs INT NOT NULL)", logger: Self.logger)
            _ = try await queue.enqueueBatch(name: "count", kwargs: (0..<7).map { .object(["n": .int(Int64($0))]) }, logger: Self.logger)
            let worker = Worker(queue: queue, concurrency: 2, handlers: ["count": QueueTests.countingHandler(queue.client)], pollInterval: .milliseconds(100),
                                listen: listen, limits: WorkerLimits(maxTasks: 3), logger: Self.logger)
            let reason = await worker.run()
            #expect(reason == .maxTasks(3))
            #expect(try await QueueTests.scalar(sql, "SELECT count(*)::text FROM celery_tasks WHERE status = 'SUCCESS'") == "3")
            #expect(try await QueueTests.scalar(sql, "SELECT count(*)::text FROM celery_tasks WHERE status = 'PENDING' AND attempt = 0") == "4", "the rest untouched")
            // A second worker drains the rest and leaves once idle.
            let idle = Worker(queue: queue, concurrency: 2, handlers: ["count": QueueTests.countingHandler(queue.client)], pollInterval: .milliseconds(100),
                              listen: listen, limits: WorkerLimits(exitWhenIdle: .milliseconds(500)), logger: Self.logger)
            #expect(await idle.run() == .idle(.milliseconds(500)))
            #expect(try await QueueTests.scalar(sql, "SELECT count(*)::text FROM test_runs WHERE runs = 1") == "7", "every task ran exactly once")
        }
    }

    @Test func aWorkerAtItsMaximumRunTimeHandsItsWorkBack() async throws {
        try await QueueTests.withQueue("limits_runtime") { base, sql, listen in
            var configured = base
            configured.leaseSeconds = 30
            let queue = configured
            let started = Mutex(0)
            let long = ClosureTaskHandler { _, _ in
                started.withLock { $0 += 1 }
                while true { try await Task.sleep(for: .milliseconds(20)) }
            }
            let id = try await queue.enqueue(NewTask(name: "long"), logger: Self.logger)
            let worker = Worker(queue: queue, handlers: ["long": long], pollInterval: .milliseconds(100), listen: listen,
                                limits: WorkerLimits(maxRuntime: .seconds(1)), logger: Self.logger)
            #expect(await worker.run() == .maxRuntime(.seconds(1)))
            // Either it had claimed the task (and released it) or not yet: pending, no retry counted.
            let row = try await QueueTests.scalar(sql, "SELECT status || '|' || retries || '|' || (lease_expires_at IS NULL) FROM celery_tasks WHERE id = '\(id)'")
            #expect(row == "PENDING|0|true", "\(row) after \(started.withLock { $0 }) start(s)")
        }
    }

    @Test func sigusr1HandsATrainingJobBackAndTheNextWorkerResumesIt() async throws {
        try await TestAPI.with("limits_sigusr1") { api in
            let (token, _, _) = try await api.signUp("preempted")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "preempted", strategyID: strategyID, datasetID: datasetID, epochs: 4, seed: 3)
            let url = try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
            let environment = ChaosTests.workerEnvironment(api, url: url)
            func epochs() async throws -> Int { Int(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_metrics WHERE training_job_id = \(id)")) ?? 0 }

            let first = try ProcessRunner.spawn(["worker", "--queues", "training", "--poll-interval", "0.2"], environment: environment)
            let progressed = try await ChaosTests.waitFor(api, .seconds(120)) { try await epochs() >= 1 }
            first.kill(SIGUSR1)
            let firstExit = await first.wait()
            #expect(progressed && firstExit.status == 0, "SIGUSR1 is a clean exit: \(firstExit.output.suffix(1000))")
            let handedBack = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries FROM celery_tasks WHERE related_type = 'training_job'")
            #expect(handedBack == "PENDING|0", "released, not failed: \(handedBack)")

            // The next worker finishes it and leaves by itself once idle.
            let second = try ProcessRunner.spawn(["worker", "--queues", "training", "--poll-interval", "0.2", "--exit-when-idle", "1"], environment: environment)
            let finished = try await ChaosTests.waitFor(api, .seconds(180)) { try await ChaosTests.completed(api, job: id) }
            let secondExit = await second.wait()
            #expect(finished && secondExit.status == 0, "\(secondExit.output.suffix(1000))")
            #expect(secondExit.output.contains("idle for"), "it left because it was idle")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics WHERE training_job_id = \(id)") == "1,2,3,4",
                    "one metrics row per epoch")
            let task = try await AuthTests.text(api.sql, "SELECT status::text || '|' || retries || '|' || (result->>'resumed') FROM celery_tasks WHERE related_type = 'training_job'")
            #expect(task == "SUCCESS|0|true", "resumed from the checkpoint, no retry counted: \(task)")
        }
    }
}
