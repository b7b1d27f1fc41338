/// The Slurm settings an operator gives once, in the environment, for every array QuantForge
/// submits on its own (`qf serve`'s autoscaler, `--slurm` on sweeps and searches):
/// `QF_SLURM_PARTITION`, `QF_SLURM_CPUS_PER_WORKER`, `QF_SLURM_MEM`, `QF_SLURM_TIME`,
/// `QF_SLURM_ACCOUNT`, `QF_SLURM_QOS`, `QF_SLURM_EXTRA` (sbatch options separated by spaces),
/// `QF_SLURM_MAX_WORKERS` (default 8); for the autoscaler also `QF_SLURM_QUEUES` (default all),
/// `QF_SLURM_IDLE_SECONDS` (a worker's `--exit-when-idle`, default 60) and `QF_SLURM_INTERVAL`
/// (seconds between its rounds, default 10).
public struct SlurmDefaults: Sendable, Equatable {
    public var partition: String?
    public var cpusPerWorker = 1
    public var memory: String?
    public var time: String?
    public var account: String?
    public var qos: String?
    public var extra: [String] = []
    public var maxWorkers = 8
    public var queues = TaskQueues.all
    public var idleSeconds = 60.0
    public var intervalSeconds = 10.0

    /// Whether `qf serve` runs the autoscaler: a partition is named.
    public var autoscales: Bool { partition != nil }

    public init() {}

    /// Reads the `QF_SLURM_*` variables; an unreadable number is an error naming its variable.
    public static func resolve(environment: [String: String]) throws -> SlurmDefaults {
        var defaults = SlurmDefaults()
        defaults.partition = environment["QF_SLURM_PARTITION"].flatMap { $0.isEmpty ? nil : $0 }
        defaults.memory = environment["QF_SLURM_MEM"].flatMap { $0.isEmpty ? nil : $0 }
        defaults.time = environment["QF_SLURM_TIME"].flatMap { $0.isEmpty ? nil : $0 }
        defaults.account = environment["QF_SLURM_ACCOUNT"].flatMap { $0.isEmpty ? nil : $0 }
        defaults.qos = environment["QF_SLURM_QOS"].flatMap { $0.isEmpty ? nil : $0 }
        defaults.extra = environment["QF_SLURM_EXTRA"].map { $0.split(separator: " ").map(String.init) } ?? []
        for (name, apply) in [("QF_SLURM_CPUS_PER_WORKER", { (n: Int) in defaults.cpusPerWorker = n }), ("QF_SLURM_MAX_WORKERS", { (n: Int) in defaults.maxWorkers = n })] {
            guard let text = environment[name], !text.isEmpty else { continue }
            guard let value = Int(text), value >= 1, value <= 100_000 else { throw SlurmClient.Failure(description: "\(name): a whole number from 1, got '\(text)'") }
            apply(value)
        }
        for (name, apply) in [("QF_SLURM_IDLE_SECONDS", { (v: Double) in defaults.idleSeconds = v }), ("QF_SLURM_INTERVAL", { (v: Double) in defaults.intervalSeconds = v })] {
            guard let text = environment[name], !text.isEmpty else { continue }
            guard let value = Double(text), value > 0, value <= 86_400 else { throw SlurmClient.Failure(description: "\(name): seconds above 0, got '\(text)'") }
            apply(value)
        }
        if let text = environment["QF_SLURM_QUEUES"], !text.isEmpty {
            let queues = text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            for queue in queues where !TaskQueues.all.contains(queue) {
                throw SlurmClient.Failure(description: "QF_SLURM_QUEUES: unknown queue '\(queue)'; known: \(TaskQueues.all.joined(separator: ", "))")
            }
            defaults.queues = queues
        }
        return defaults
    }

    /// A worker array with these settings.
    public func array(workers: Int, queues: [String], executable: String, outputDirectory: String, jobName: String, exitWhenIdleSeconds: Double) -> SlurmWorkerArray {
        var array = SlurmWorkerArray(workers: workers, queues: queues, executable: executable, outputDirectory: outputDirectory)
        array.partition = partition
        array.cpusPerWorker = cpusPerWorker
        array.memory = memory
        array.time = time
        array.account = account
        array.qos = qos
        array.extra = extra
        array.jobName = jobName
        array.exitWhenIdleSeconds = exitWhenIdleSeconds
        return array
    }
}
