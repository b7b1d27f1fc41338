import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Service

/// `qf bench queue`: the job queue's throughput on a database of its own (`qf_bench_queue` on the
/// project's cluster, or `DATABASE_URL`): enqueue rates (one task per statement from concurrent
/// clients, and batches), and tasks claimed and completed per second with trivial work (the
/// `noop` task) by 1 and 2 `qf worker` processes started from this binary; plus the latency of a
/// single enqueue under a steady load of `--rate` tasks per second.
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Benchmark the job queue (enqueue, claim and complete).")

    @Option(help: "Tasks per throughput run.") var tasks = 20_000
    @Option(help: "Tasks each worker runs at once.") var concurrency = 16
    @Option(help: "Steady enqueue rate (tasks/s) for the latency measurement.") var rate = 500
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(parsing: .upToNextOption, help: "Worker process counts to time claim + complete with (100 simulates a 100-node cluster's workers).")
    var workerCounts: [Int] = [1, 2]

    struct Results: Encodable {
        var enqueueSinglePerSecond: Double
        var enqueueBatchPerSecond: Double
        var throughput: [String: Double]
        /// The most connections the database had open during each claim + complete run.
        var peakConnections: [String: Int] = [:]
        var enqueueLatencyP50Ms: Double
        var enqueueLatencyP99Ms: Double
        var tasks: Int
        var concurrency: Int
    }

    func run() async throws {
        var quiet = Logger(label: "qf.bench")
        quiet.logLevel = .warning
        let logger = quiet
        var background = Logger(label: "qf.postgres")
        background.logLevel = .error
        let url: String
        if let given = ProcessInfo.processInfo.environment["DATABASE_URL"] {
            url = given
        } else {
            let cluster = try LocalPostgres.ensureRunning(projectDirectory: FileManager.default.currentDirectoryPath)
            try await cluster.recreateDatabase("qf_bench_queue", logger: logger)
            url = cluster.url(database: "qf_bench_queue")
        }
        let settings = try await DatabaseSettings.resolve(environment: ["DATABASE_URL": url], logger: logger)
        let client = PostgresClient(configuration: settings.primary, backgroundLogger: background)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: logger) }
            defer { group.cancelAll() }
            try await Task.sleep(for: .milliseconds(20))
            try await Migrator(client: client, logger: logger).up()
            let queue = TaskQueue(client: client)
            var results = Results(enqueueSinglePerSecond: 0, enqueueBatchPerSecond: 0, throughput: [:], enqueueLatencyP50Ms: 0, enqueueLatencyP99Ms: 0,
                                  tasks: tasks, concurrency: concurrency)

            // Enqueue, one statement per task, from 16 concurrent clients.
            try await client.query("TRUNCATE celery_tasks", logger: logger)
            let single = 5_000
            var start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { clients in
                for c in 0..<16 {
                    clients.addTask {
                        for n in stride(from: c, to: single, by: 16) {
                            try await queue.enqueue(NewTask(name: "noop", kwargs: .object(["n": .int(Int64(n))])), logger: logger)
                        }
                    }
                }
                try await clients.waitForAll()
            }
            results.enqueueSinglePerSecond = Double(single) / (ContinuousClock.now - start).seconds
            print(String(format: "enqueue, one per statement, 16 clients: %.0f tasks/s", results.enqueueSinglePerSecond))

            // Enqueue in batches of 1,000.
            try await client.query("TRUNCATE celery_tasks", logger: logger)
            start = ContinuousClock.now
            for batch in stride(from: 0, to: tasks, by: 1_000) {
                _ = try await queue.enqueueBatch(name: "noop", kwargs: (batch..<min(tasks, batch + 1_000)).map { .object(["n": .int(Int64($0))]) }, logger: logger)
            }
            results.enqueueBatchPerSecond = Double(tasks) / (ContinuousClock.now - start).seconds
            print(String(format: "enqueue, batches of 1,000: %.0f tasks/s", results.enqueueBatchPerSecond))

            // Claim and complete with 1 and 2 worker processes (the tasks are queued first).
            for workers in workerCounts {
                try await client.query("TRUNCATE celery_tasks", logger: logger)
                for batch in stride(from: 0, to: tasks, by: 1_000) {
                    _ = try await queue.enqueueBatch(name: "noop", kwargs: (batch..<min(tasks, batch + 1_000)).map { .object(["n": .int(Int64($0))]) }, logger: logger)
                }
                // A burst of 20,000 rows into a table just truncated: statistics as autovacuum
                // keeps them on a live queue, so the planner reads the claim order off its index.
                try await client.query("ANALYZE celery_tasks", logger: logger)
                let children = try (0..<workers).map { _ in
                    try ChildProcess.spawn([ChildProcess.selfPath, "worker", "--queues", "default", "--concurrency", String(concurrency), "--poll-interval", "0.05"],
                                           environment: ["DATABASE_URL": url])
                }
                // Timed from the first completion, so process start-up is not counted.
                var first: ContinuousClock.Instant?
                var done = 0
                var peak = 0
                while done < tasks {
                    // Rarely: counting 20,000 rows takes milliseconds of the CPU the workers and
                    // PostgreSQL share, and the rate comes from the rows' completion times anyway.
                    try await Task.sleep(for: .milliseconds(250))
                    for try await n in try await client.query("SELECT count(*)::int8 FROM celery_tasks WHERE status = 'SUCCESS'", logger: logger).decode(Int64.self) {
                        done = Int(n)
                    }
                    if first == nil && done > 0 { first = ContinuousClock.now }
                    for try await n in try await client.query("SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = current_database()", logger: logger).decode(Int64.self) {
                        peak = max(peak, Int(n))
                    }
                }
                let seconds = (ContinuousClock.now - (first ?? ContinuousClock.now)).seconds
                for child in children { child.terminate() }
                let counted = try await Self.firstCompletionSpan(client, logger: logger)
                let rate = Double(tasks) / max(counted ?? seconds, 1e-9)
                results.throughput["\(workers)_worker\(workers > 1 ? "s" : "")"] = rate
                results.peakConnections["\(workers)_worker\(workers > 1 ? "s" : "")"] = peak
                print(String(format: "claim + complete, %d worker process%@ × %d at once: %.0f tasks/s (%d tasks; at most %d database connections)",
                             workers, workers > 1 ? "es" : "", concurrency, rate, tasks, peak))
            }

            // Latency of one enqueue at a steady rate.
            try await client.query("TRUNCATE celery_tasks", logger: logger)
            var latencies: [Double] = []
            let interval = 1.0 / Double(rate)
            let begin = ContinuousClock.now
            try await withThrowingTaskGroup(of: Double.self) { senders in
                for n in 0..<(rate * 5) {
                    let due = begin + .milliseconds(Int64(Double(n) * interval * 1000))
                    try await Task.sleep(until: due)
                    senders.addTask {
                        let t0 = ContinuousClock.now
                        try await queue.enqueue(NewTask(name: "noop"), logger: logger)
                        return (ContinuousClock.now - t0).seconds * 1000
                    }
                }
                for try await ms in senders { latencies.append(ms) }
            }
            latencies.sort()
            results.enqueueLatencyP50Ms = latencies[latencies.count / 2]
            results.enqueueLatencyP99Ms = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
            print(String(format: "enqueue latency at %d tasks/s: p50 %.2f ms, p99 %.2f ms", rate, results.enqueueLatencyP50Ms, results.enqueueLatencyP99Ms))
            if let json { try writeBenchJSON(results, to: json) }
        }
    }

    /// Seconds from the first completion to the last, by the database's clock.
    static func firstCompletionSpan(_ client: PostgresClient, logger: Logger) async throws -> Double? {
        for try await span in try await client.query("SELECT extract(epoch FROM max(completed_at) - min(completed_at))::float8 FROM celery_tasks", logger: logger)
            .decode(Double?.self) { return span }
        return nil
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A child process started with posix_spawn (Foundation's Process cannot be waited for from
/// Swift concurrency threads here), stopped with SIGTERM.
struct ChildProcess {
    let pid: pid_t

    static var selfPath: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0] }

    static func spawn(_ argv: [String], environment: [String: String]) throws -> ChildProcess {
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid = pid_t()
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard result == 0 else { throw ValidationError("could not start \(argv[0]): \(String(cString: strerror(result)))") }
        return ChildProcess(pid: pid)
    }

    func terminate() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
