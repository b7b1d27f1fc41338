import Foundation
import PostgresNIO
@testable import Service
import Testing

/// Real `qf worker` processes against a real database, treated badly: killed with SIGKILL in the
/// middle of a training job (twice), and frozen with SIGSTOP past their lease then thawed. The job
/// must finish on another worker, resuming from its last checkpoint, with exactly one metrics row
/// per epoch; the frozen worker's late writes must change nothing.
@Suite struct ChaosTests {
    static func workerEnvironment(_ api: TestAPI.Harness, url: String) -> [String: String] {
        ["DATABASE_URL": url, "QF_DATA_DIR": api.data.directory, "QF_TASK_LEASE_SECONDS": "2", "QF_TASK_BACKOFF_SECONDS": "0.2"]
    }

    /// Waits until `condition` holds (checked every 100 ms); gives up only when the queue has
    /// made no progress for `limit` (see `ProgressWait`).
    static func waitFor(_ api: TestAPI.Harness, _ limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        try await ProgressWait.until(stall: limit, poll: .milliseconds(100), progress: { try await ProgressWait.queueProgress(api.sql) }, condition)
    }

    @Test func killedWorkersHandTheJobOnAndItResumes() async throws {
        try await TestAPI.with("chaos_kill") { api in
            #expect(FileManager.default.isExecutableFile(atPath: ProcessRunner.qf), "make test builds qf before the tests")
            let (token, _, _) = try await api.signUp("chaos")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "survivor", strategyID: strategyID, datasetID: datasetID, epochs: 5, seed: 11)
            let url = try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
            let environment = Self.workerEnvironment(api, url: url)
            func epochs() async throws -> Int { Int(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM training_metrics WHERE training_job_id = \(id)")) ?? 0 }

            // Two workers are killed, each after the job has gained an epoch under it.
            for round in 1...2 {
                let before = try await epochs()
                let worker = try ProcessRunner.spawn(["worker", "--queues", "training", "--poll-interval", "0.2"], environment: environment)
                let progressed = try await Self.waitFor(api, .seconds(120)) { try await epochs() > before }
                worker.kill(SIGKILL)
                let exit = await worker.wait()
                #expect(progressed && exit.status == -1, "round \(round): killed after an epoch (\(exit.output.suffix(500)))")
            }
            // A third worker finishes it.
            let last = try ProcessRunner.spawn(["worker", "--queues", "training", "--poll-interval", "0.2"], environment: environment)
            // The job row is completed just before the worker records its task's success.
            let finished = try await Self.waitFor(api, .seconds(180)) { try await Self.completed(api, job: id) }
            last.kill(SIGTERM)
            let lastExit = await last.wait()
            #expect(finished, "\(lastExit.output.suffix(2000))")
            #expect(lastExit.status == 0, "SIGTERM is a clean shutdown")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics WHERE training_job_id = \(id)") == "1,2,3,4,5",
                    "one metrics row per epoch")
            let task = try await AuthTests.text(api.sql, """
                SELECT status::text || '|' || attempt || '|' || retries || '|' || (result->>'resumed') FROM celery_tasks WHERE related_type = 'training_job'
                """)
            #expect(task == "SUCCESS|3|2|true", "two rescues, resumed from the checkpoint: \(task)")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE related_type = 'training_job'") == "1", "no lost or duplicated job")
        }
    }

    @Test func aFrozenWorkerCannotFinishWhatAnotherTookOver() async throws {
        try await TestAPI.with("chaos_freeze") { api in
            let (token, _, _) = try await api.signUp("freezer")
            let strategyID = try await TrainingJobTests.strategy(api, token)
            let datasetID = try await TrainingJobTests.readyDataset(api, token)
            let id = try await TrainingJobTests.submitDQN(api, token, name: "frozen", strategyID: strategyID, datasetID: datasetID, epochs: 3, seed: 5)
            let url = try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
            let environment = Self.workerEnvironment(api, url: url)
            let frozen = try ProcessRunner.spawn(["worker", "--queues", "training", "--poll-interval", "0.2"], environment: environment)
            let started = try await Self.waitFor(api, .seconds(180)) {
                try await AuthTests.text(api.sql, "SELECT coalesce(status::text, '') FROM celery_tasks WHERE related_type = 'training_job'") == "STARTED"
            }
            #expect(started)
            let firstWorker = try await AuthTests.text(api.sql, "SELECT worker_name FROM celery_tasks WHERE related_type = 'training_job'")
            frozen.kill(SIGSTOP)
            // Another worker takes over once the lease runs out, and finishes.
            let rescuer = try ProcessRunner.spawn(["worker", "--queues", "training", "--poll-interval", "0.2"], environment: environment)
            let finished = try await Self.waitFor(api, .seconds(180)) { try await Self.completed(api, job: id) }
            #expect(finished)
            let winner = try await AuthTests.text(api.sql, "SELECT worker_name || '|' || attempt || '|' || status::text FROM celery_tasks WHERE related_type = 'training_job'")
            // Thawed, the first worker carries on until its heartbeat finds the claim gone; whatever
            // it tries to write about the task is refused.
            frozen.kill(SIGCONT)
            try await Task.sleep(for: .seconds(3))
            let after = try await AuthTests.text(api.sql, "SELECT worker_name || '|' || attempt || '|' || status::text FROM celery_tasks WHERE related_type = 'training_job'")
            #expect(!winner.hasPrefix(firstWorker + "|") && winner.hasSuffix("|SUCCESS") && after == winner, "\(firstWorker) → \(winner) → \(after)")
            let job = try await AuthTests.text(api.sql, "SELECT status::text || '|' || current_epoch || '|' || progress::text FROM training_jobs WHERE id = \(id)")
            #expect(job == "completed|3|100.00", "the thawed worker rolled nothing back: \(job)")
            for child in [frozen, rescuer] { child.kill(SIGTERM) }
            _ = await frozen.wait()
            _ = await rescuer.wait()
        }
    }

    /// The job completed and its task recorded as a success (the worker writes the two in turn).
    static func completed(_ api: TestAPI.Harness, job id: Int) async throws -> Bool {
        try await AuthTests.text(api.sql, """
            SELECT j.status::text || '|' || coalesce(t.status::text, '') FROM training_jobs j LEFT JOIN celery_tasks t ON t.related_type = 'training_job' AND t.related_id = j.id
            WHERE j.id = \(id)
            """) == "completed|SUCCESS"
    }
}
