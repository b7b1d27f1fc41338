import Foundation
import PostgresNIO
@testable import Service
import Testing

/// `qf slurm` against the real single-node Slurm cluster that `make test` starts
/// (scripts/slurm-cluster.sh, SLURM_CONF exported): the batch script is one Slurm accepts, and a
/// worker array submitted with `qf slurm submit` drains the queue — every task exactly once, a
/// training job to its end — and leaves Slurm empty once idle.
@Suite(.enabled(if: SlurmCluster.isUp, "no Slurm cluster: make test starts one (scripts/slurm-cluster.sh up, SLURM_CONF exported)"))
struct SlurmTests {
    @Test func theBatchScriptIsOneSlurmAccepts() throws {
        var array = SlurmWorkerArray(workers: 3, queues: ["training", "default"], executable: ProcessRunner.qf, outputDirectory: FileManager.default.temporaryDirectory.path)
        array.time = "0:10:00"
        array.memory = "512M"
        array.partition = "qf"
        array.extra = ["--comment=quantforge-test"]
        let script = array.script()
        #expect(script.contains("#SBATCH --array=0-2") && script.contains("#SBATCH --signal=B:USR1@60") && script.contains("--max-runtime 540s"))
        let verdict = try SlurmClient().check(script)
        #expect(verdict.contains("to start at") && verdict.contains("partition qf"), "sbatch --test-only: \(verdict)")
        var bad = array
        bad.partition = "no-such-partition"
        #expect(throws: SlurmClient.Failure.self) { try SlurmClient().check(bad.script()) }
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
            let slurm = SlurmClient()
            let finished = try await ChaosTests.waitFor(api, .seconds(180)) {
                let noops = try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE task_name = 'noop' AND status = 'SUCCESS'")
                return try await ChaosTests.completed(api, job: id) && noops == "40"
            }
            #expect(finished)
            // Idle, the workers leave, and their array with them.
            var gone = false
            for _ in 0..<600 where !gone {
                gone = try slurm.jobs(namePrefix: jobName).isEmpty
                if !gone { try await Task.sleep(for: .milliseconds(200)) }
            }
            let left = (try? slurm.jobs(namePrefix: jobName)) ?? []
            #expect(gone, "the workers exit when idle: \(left)")
            #expect(try await AuthTests.text(api.sql, "SELECT count(*)::text FROM celery_tasks WHERE attempt <> 1") == "0", "each task ran once")
            #expect(try await AuthTests.text(api.sql, "SELECT string_agg(epoch::text, ',' ORDER BY epoch) FROM training_metrics WHERE training_job_id = \(id)") == "1,2,3")
            let logs = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasPrefix(jobName) }
            #expect(logs.count == 2, "one output file per array element: \(logs)")
            var slurmWorkers: Set<String> = []
            for log in logs {
                let text = try String(contentsOfFile: "\(output)/\(log)", encoding: .utf8)
                #expect(text.contains("worker started") && text.contains("idle for"), "\(log): \(text.suffix(800))")
                if let id = text.firstMatch(of: /worker started.*? id=(\S+)|id=(\S+) .*worker started/) { slurmWorkers.insert(String(id.1 ?? id.2 ?? "")) }
            }
            let ran = try await AuthTests.text(api.sql, "SELECT string_agg(DISTINCT worker_name, ',') FROM celery_tasks WHERE task_name IN ('train', 'noop')")
            #expect(Set(ran.split(separator: ",").map(String.init)).isSubset(of: slurmWorkers), "Slurm's workers ran them: \(ran) ⊆ \(slurmWorkers)")
        }
    }
}

/// Whether the project's Slurm cluster answers (make test starts it and exports SLURM_CONF).
enum SlurmCluster {
    static var isUp: Bool {
        guard ProcessInfo.processInfo.environment["SLURM_CONF"] != nil else { return false }
        return (try? SlurmClient().run("sinfo", ["-h", "-o", "%a"], input: nil).contains("up")) ?? false
    }
}
