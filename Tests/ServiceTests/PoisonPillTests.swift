import Foundation
import PostgresNIO
@testable import Service
import Testing

/// Input that once crashed every worker that picked it up, and a task that still would: real
/// `qf worker` processes against a real database.
@Suite struct PoisonPillTests {
    static func url(_ api: TestAPI.Harness) async throws -> String {
        try await AuthTests.text(api.sql, "SELECT 'postgres://postgres@:' || current_setting('port') || '/' || current_database() || '?host=' || current_setting('unix_socket_directories')")
    }

    /// A CSV dated past 2262-04-11 and one holding inf: each fails at once with its line and
    /// column, is not retried, and the worker that read it keeps serving.
    @Test func poisonUploadsFailOnceWithTheLineAndTheWorkerLives() async throws {
        try await TestAPI.with("poison_upload") { api in
            let (token, _, _) = try await api.signUp("poisoner")
            var ids: [Int] = []
            for (name, text) in [("late", "date,close\n2262-04-12,1\n"), ("infinite", "date,close\n2024-01-02,1\n2024-01-03,inf\n")] {
                let upload = try await DatasetTests.upload(api, token: token, fields: [("name", name)], file: ("\(name).csv", Array(text.utf8)))
                ids.append(upload.body.data["id"] as? Int ?? 0)
            }
            let worker = try ProcessRunner.spawn(["worker", "--poll-interval", "0.2"], environment: ChaosTests.workerEnvironment(api, url: try await Self.url(api)))
            let settled = try await ChaosTests.waitFor(api, .seconds(120)) {
                try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE status IN ('SUCCESS', 'FAILURE')") == "2"
            }
            #expect(settled)
            for (id, expected) in zip(ids, ["line 2, column date, value '2262-04-12': date outside the range", "line 3, column close, value 'inf': not a finite number"]) {
                let detail = try await api.call(.get, "/api/v1/data/datasets/\(id)", token: token)
                let message = detail.body.data["error_message"] as? String ?? "\(detail.body)"
                #expect(detail.body.data["status"] as? String == "error" && message.contains(expected), "\(message)")
                #expect(!message.contains("/"), "no server path in \(message)")
            }
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(status::text || ':' || attempt, ',') FROM celery_tasks") == "FAILURE:1,FAILURE:1",
                    "failed on the first attempt, not retried")
            #expect(try await api.call(.get, "/healthz").status == .ok)
            worker.kill(SIGTERM)
            let exit = await worker.wait()
            #expect(exit.status == 0, "the worker was alive to shut down cleanly: \(exit.output.suffix(1500))")
        }
    }

    /// A task that traps its worker: two workers die of it, the third reads their crash journals
    /// and fails the task with the signal named instead of running it again.
    @Test func aTaskThatCrashesTwoWorkersIsFailedNotRetried() async throws {
        try await TestAPI.with("poison_trap") { api in
            var environment = ChaosTests.workerEnvironment(api, url: try await Self.url(api))
            environment["QF_FAULT_INJECTION"] = "trap"
            let taskID = try await TaskQueue(client: api.sql).enqueue(NewTask(name: FaultInjection.trapTaskName), logger: TestDatabase.logger)
            let arguments = ["worker", "--queues", "default", "--poll-interval", "0.2"]
            for round in 1...2 {
                let doomed = try ProcessRunner.spawn(arguments, environment: environment)
                let exit = await doomed.wait()
                #expect(exit.status != 0, "round \(round): the trap ends the worker")
            }
            let survivor = try ProcessRunner.spawn(arguments, environment: environment)
            let failed = try await ChaosTests.waitFor(api, .seconds(120)) {
                try await AuthTests.text(api.sql, "SELECT status::text FROM celery_tasks WHERE id = '\(taskID)'") == "FAILURE"
            }
            #expect(failed)
            let row = try await AuthTests.text(api.sql, "SELECT attempt || '|' || array_to_string(crashed_attempts, ',') || '|' || last_error FROM celery_tasks WHERE id = '\(taskID)'")
            #expect(row.hasPrefix("2|1,2|crashed its worker on attempts 1, 2 (SIGILL in attempt 2); not retried"), "\(row)")
            survivor.kill(SIGTERM)
            let exit = await survivor.wait()
            #expect(exit.status == 0, "the third worker never ran it: \(exit.output.suffix(1500))")
            let journals = (try? FileManager.default.contentsOfDirectory(atPath: "\(api.data.directory)/crashes")) ?? []
            #expect(journals.isEmpty, "the crashed workers' journals were read and removed, the survivor's removed at its clean exit: \(journals)")
        }
    }
}
