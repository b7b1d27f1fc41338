import ArgumentParser
import Foundation
import Logging
import Service

/// `qf slurm`: run `qf worker`s as Slurm job arrays. The queue in PostgreSQL stays the record of
/// every task; Slurm decides where and when the workers run.
struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm", abstract: "Run workers as Slurm job arrays: submit, status, cancel.",
        subcommands: [SlurmSubmitCommand.self, SlurmStatusCommand.self, SlurmCancelCommand.self])
}

/// `qf slurm submit`: a job array of N workers.
struct SlurmSubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit a job array of qf workers with sbatch.",
        discussion: """
            Each array element runs one qf worker with one task per CPU it was given and single-threaded
            BLAS. Workers leave when idle, stop claiming before the time limit, and hand running work back
            on Slurm's warning signal or a preemption, so another worker resumes it. The workers inherit
            this shell's environment (sbatch --export=ALL): set DATABASE_URL and QF_DATA_DIR to what the
            nodes reach.
            """)

    @Option(help: "Workers (array elements).") var workers: Int
    @Option(parsing: .upToNextOption, help: "Queues the workers take tasks from (\(TaskQueues.all.joined(separator: ", "))).") var queues: [String] = TaskQueues.all
    @Option(help: "Slurm partition (default: the cluster's default).") var partition: String?
    @Option(help: "CPUs per worker; the worker runs this many tasks at once.") var cpusPerWorker = 1
    @Option(help: "Memory per worker, as sbatch takes it (4G, 8000M).") var mem: String?
    @Option(help: "Time limit per worker, in Slurm's format (1:00:00, 2-00:00:00).") var time: String?
    @Option(help: "Slurm account.") var account: String?
    @Option(help: "Slurm QOS.") var qos: String?
    @Option(parsing: .unconditionalSingleValue, help: "Another sbatch option, whole (--extra=--constraint=avx512); repeatable.") var extra: [String] = []
    @Option(help: "Seconds a worker waits with nothing to run before it exits.") var exitWhenIdle = 60.0
    @Option(help: "Job name (qf slurm status and cancel find jobs named qf-…).") var jobName = "qf-worker"
    @Option(help: "Where the workers write their output (default: $QF_DATA_DIR/slurm).") var outputDir: String?
    @Flag(help: "Print the batch script instead of submitting it.") var dryRun = false
    @Flag(help: "Ask Slurm whether and when it would run (sbatch --test-only), without submitting.") var check = false

    func validate() throws {
        for queue in queues where !TaskQueues.all.contains(queue) {
            throw ValidationError("unknown queue '\(queue)'; known: \(TaskQueues.all.joined(separator: ", "))")
        }
        guard jobName.hasPrefix("qf-") else { throw ValidationError("--job-name must start with qf- (status and cancel find jobs by it), got '\(jobName)'") }
        if let problem = try array().problem() { throw ValidationError(problem) }
    }

    func array() throws -> SlurmWorkerArray {
        let environment = ProcessInfo.processInfo.environment
        let data = try DataSettings.resolve(environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
        let executable = ChildProcess.selfPath
        var array = SlurmWorkerArray(workers: workers, queues: queues, executable: executable, outputDirectory: outputDir ?? data.slurmOutput)
        array.partition = partition
        array.cpusPerWorker = cpusPerWorker
        array.memory = mem
        array.time = time
        array.account = account
        array.qos = qos
        array.extra = extra
        array.exitWhenIdleSeconds = exitWhenIdle
        array.jobName = jobName
        return array
    }

    func run() async throws {
        let array = try array()
        let script = array.script()
        if dryRun { return print(script, terminator: "") }
        let slurm = SlurmClient()
        if check { return print(try await slurm.check(script).trimmingCharacters(in: .whitespacesAndNewlines)) }
        if ProcessInfo.processInfo.environment["DATABASE_URL"] == nil {
            print("note: DATABASE_URL is not set; the workers use this project's own PostgreSQL, which only this machine reaches")
        }
        try FileManager.default.createDirectory(atPath: array.outputDirectory, withIntermediateDirectories: true)
        let id = try await slurm.submit(script)
        print("submitted job array \(id): \(array.workers) worker(s) on queues \(array.queues.joined(separator: ", ")); output in \(array.outputDirectory)")
    }
}

/// `qf slurm status`: QuantForge's Slurm jobs beside the queue's depth.
struct SlurmStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show QuantForge's Slurm jobs and the queue's depth.")

    @Option(help: "Show jobs whose names start with this.") var prefix = "qf-"

    func run() async throws {
        let jobs = try await SlurmClient().jobs(namePrefix: prefix)
        if jobs.isEmpty {
            print("no Slurm jobs named \(prefix)…")
        } else {
            print("JOB            NAME            STATE       ELAPSED    LIMIT       NODE/REASON")
            for job in jobs {
                let place = job.state == "RUNNING" ? job.nodes : job.reason
                print([pad(job.id, 14), pad(job.name, 15), pad(job.state, 11), pad(job.elapsed, 10), pad(job.timeLimit, 11), place].joined(separator: " "))
            }
        }
        if let finished = await SlurmClient().finishedJobs(namePrefix: prefix) {
            print(finished.isEmpty ? "finished in the last day: none" : "finished in the last day (sacct):")
            for job in finished {
                print([pad(job.id, 14), pad(job.name, 15), pad(job.state, 11), pad(job.elapsed, 10), pad(job.timeLimit, 11), job.nodes].joined(separator: " "))
            }
        } else {
            print("(no Slurm accounting here: finished jobs are not listed)")
        }
        var logger = Logger(label: "qf.slurm")
        logger.logLevel = .error
        do {
            let depths = try await Self.depth(logger: logger)
            print(depths.isEmpty ? "queue: empty" : "queue: " + depths.map { "\($0.queue) \($0.runnable) waiting, \($0.running) running" + ($0.delayed > 0 ? ", \($0.delayed) retrying later" : "") }.joined(separator: "; "))
        } catch {
            print("queue: not readable (\(error is ValidationError ? "\(error)" : String(reflecting: error)))")
        }
    }

    static func depth(logger: Logger) async throws -> [QueueDepth] {
        let settings = try await DatabaseSettings.resolve(logger: logger)
        try await WorkerCommand.requireCurrentSchema(settings, background: logger)
        let database = Database(settings: settings, logger: logger)
        return try await withThrowingTaskGroup(of: [QueueDepth]?.self) { group in
            group.addTask { await database.run(); return nil }
            defer { group.cancelAll() }
            await database.waitUntilRunning()
            return try await TaskQueue(client: database.primary).depth(logger: logger)
        }
    }

    func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
}

/// `qf slurm cancel`: ends QuantForge's worker arrays (their running work is handed back: Slurm
/// sends SIGTERM first).
struct SlurmCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel QuantForge's Slurm worker arrays.")

    @Argument(help: "Job ids to cancel (default: every job named --job-name).") var ids: [String] = []
    @Option(help: "The job name to cancel when no ids are given.") var jobName = "qf-worker"

    func run() async throws {
        let slurm = SlurmClient()
        if ids.isEmpty {
            let jobs = try await slurm.jobs(namePrefix: jobName).filter { $0.name == jobName }
            try await slurm.cancel(name: jobName)
            print("cancelled \(jobs.count) \(jobName) job(s)")
        } else {
            try await slurm.cancel(ids: ids)
            print("cancelled \(ids.joined(separator: ", "))")
        }
    }
}
