import ArgumentParser
import Foundation
import Service

/// `--slurm` and its settings on commands that queue work (`qf sweep --distributed`, `qf tune
/// --distributed`): submit the workers for that work to Slurm in the same step. Settings not
/// given here come from `QF_SLURM_*` (see `SlurmDefaults`).
struct SlurmOptions: ParsableArguments {
    @Flag(help: "Also submit the workers for this work to Slurm (a job array), and end them when it is done.") var slurm = false
    @Option(help: "With --slurm: workers (default: one per shard or trial, at most QF_SLURM_MAX_WORKERS).") var slurmWorkers: Int?
    @Option(help: "With --slurm: partition (default QF_SLURM_PARTITION).") var slurmPartition: String?
    @Option(help: "With --slurm: CPUs per worker (default QF_SLURM_CPUS_PER_WORKER or 1).") var slurmCpusPerWorker: Int?
    @Option(help: "With --slurm: memory per worker (default QF_SLURM_MEM).") var slurmMem: String?
    @Option(help: "With --slurm: time limit per worker (default QF_SLURM_TIME).") var slurmTime: String?
    @Option(help: "With --slurm: account (default QF_SLURM_ACCOUNT).") var slurmAccount: String?
    @Option(help: "With --slurm: QOS (default QF_SLURM_QOS).") var slurmQos: String?
    @Option(parsing: .unconditionalSingleValue, help: "With --slurm: another sbatch option, whole; repeatable.") var slurmExtra: [String] = []

    /// The array for `units` shards or trials on `queues`, named `qf-<kind>-<id>`; nil without --slurm.
    func array(units: Int, queues: [String], jobName: String) throws -> SlurmWorkerArray? {
        guard slurm else { return nil }
        let environment = ProcessInfo.processInfo.environment
        let defaults = try SlurmDefaults.resolve(environment: environment)
        let data = try DataSettings.resolve(environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
        let executable = ChildProcess.selfPath
        let cpus = slurmCpusPerWorker ?? defaults.cpusPerWorker
        let workers = slurmWorkers ?? max(1, min(defaults.maxWorkers, (units + cpus - 1) / cpus))
        // Idle workers leave soon: the command ends them when the work is done anyway.
        var array = defaults.array(workers: workers, queues: queues, executable: executable, outputDirectory: data.slurmOutput,
                                   jobName: jobName, exitWhenIdleSeconds: 30)
        array.cpusPerWorker = cpus
        if let slurmPartition { array.partition = slurmPartition }
        if let slurmMem { array.memory = slurmMem }
        if let slurmTime { array.time = slurmTime }
        if let slurmAccount { array.account = slurmAccount }
        if let slurmQos { array.qos = slurmQos }
        array.extra += slurmExtra
        if let problem = array.problem() { throw ValidationError(problem.replacingOccurrences(of: "--", with: "--slurm-")) }
        return array
    }

    /// Submits `array`, printing what Slurm gave it; returns the job id.
    static func submit(_ array: SlurmWorkerArray) async throws -> String {
        try FileManager.default.createDirectory(atPath: array.outputDirectory, withIntermediateDirectories: true)
        let id = try await SlurmClient().submit(array.script())
        print("Slurm job array \(id): \(array.workers) worker(s) × \(array.cpusPerWorker) CPU(s) (output in \(array.outputDirectory))")
        return id
    }

    /// Ends the array once its work is done (idle workers would leave by themselves, later).
    static func finish(_ id: String) async {
        do { try await SlurmClient().cancel(ids: [id]) } catch { print("could not cancel Slurm job \(id): \(error)") }
    }
}
