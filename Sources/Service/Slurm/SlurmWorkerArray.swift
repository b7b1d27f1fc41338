import Foundation

/// A job array of `qf worker`s for Slurm: how many, where, with which resources and limits, and
/// the batch script that runs one worker per array element.
///
/// Each element's worker runs one task per CPU it was given (`concurrency = cpusPerWorker`), with
/// single-threaded BLAS to match; it leaves when idle (`exitWhenIdle`), so an empty queue holds no
/// allocation, and it stops claiming `margin` before the time limit, hands running work back at
/// its next safe point and exits. Slurm's own warning (`--signal=B:USR1@margin`) and a
/// preemption's SIGTERM end it the same way.
public struct SlurmWorkerArray: Sendable, Equatable {
    public var workers: Int
    public var queues: [String]
    public var partition: String?
    public var cpusPerWorker = 1
    /// As Slurm takes it (`4G`, `8000M`); nil: the partition's default.
    public var memory: String?
    /// Slurm's time format (`1:00:00`, `2-00:00:00`); nil: the partition's default, and then the
    /// worker has no maximum run time of its own.
    public var time: String?
    public var account: String?
    public var qos: String?
    /// More `sbatch` options, each a whole option (`--constraint=avx512`).
    public var extra: [String] = []
    public var jobName = "qf-worker"
    public var exitWhenIdleSeconds = 60.0
    /// The `qf` executable the nodes run (on the shared filesystem or installed on every node).
    public var executable: String
    /// Where each element writes its output (`%x-%A_%a.out`); on the shared filesystem.
    public var outputDirectory: String

    public init(workers: Int, queues: [String], executable: String, outputDirectory: String) {
        self.workers = workers
        self.queues = queues
        self.executable = executable
        self.outputDirectory = outputDirectory
    }

    /// What is wrong with the request, naming the option; nil when it can be submitted.
    public func problem() -> String? {
        if workers < 1 || workers > 100_000 { return "--workers must be from 1 to 100000, got \(workers)" }
        if cpusPerWorker < 1 { return "--cpus-per-worker must be at least 1, got \(cpusPerWorker)" }
        if let time, SlurmTime.parse(time) == nil { return "--time '\(time)': expected Slurm's format, such as 30, 1:00:00 or 2-00:00:00" }
        if let time, let limit = SlurmTime.parse(time), limit < .seconds(60) { return "--time '\(time)': at least a minute, so a worker can hand its work back before the limit" }
        if let memory, memory.range(of: #"^[0-9]+[KMGT]?$"#, options: .regularExpression) == nil { return "--mem '\(memory)': expected a size such as 4G or 8000M" }
        if !(exitWhenIdleSeconds > 0 && exitWhenIdleSeconds <= 31_536_000) { return "--exit-when-idle must be seconds between 0 and a year, got \(exitWhenIdleSeconds)" }
        for option in extra where !option.hasPrefix("--") || option.contains("\n") { return "--extra '\(option)': each must be one sbatch option starting with --" }
        // Each goes into a line of the batch script: no whitespace may end it and start a command.
        for (option, value) in [("--partition", partition), ("--account", account), ("--qos", qos)] {
            if let value, value.isEmpty || value.contains(where: { $0.isWhitespace }) { return "\(option) '\(value)' must be one word" }
        }
        if outputDirectory.contains(where: \.isNewline) || executable.contains(where: \.isNewline) { return "paths with a line break cannot go into a batch script" }
        if queues.isEmpty { return "--queues: at least one queue" }
        if jobName.isEmpty || jobName.contains(where: { $0.isWhitespace }) { return "the job name '\(jobName)' must be one word" }
        return nil
    }

    /// How long before the time limit the worker stops claiming and hands running work back: a
    /// tenth of the limit, between 30 s and 5 minutes (a training epoch's checkpoint must fit).
    public var margin: Duration? {
        guard let limit = time.flatMap(SlurmTime.parse) else { return nil }
        let tenth = limit / 10
        return min(max(tenth, .seconds(30)), .seconds(300))
    }

    /// The batch script `sbatch` runs for each element of the array.
    public func script() -> String {
        var lines = ["#!/bin/bash",
                     "#SBATCH --job-name=\(jobName)",
                     "#SBATCH --array=0-\(workers - 1)",
                     "#SBATCH --ntasks=1",
                     "#SBATCH --cpus-per-task=\(cpusPerWorker)",
                     "#SBATCH --output=\(outputDirectory)/%x-%A_%a.out"]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let memory { lines.append("#SBATCH --mem=\(memory)") }
        if let time { lines.append("#SBATCH --time=\(time)") }
        if let account { lines.append("#SBATCH --account=\(account)") }
        if let qos { lines.append("#SBATCH --qos=\(qos)") }
        // Slurm may send the warning up to a minute before the time asked for, so only a limit
        // of several minutes gets one; every worker stops at its --max-runtime anyway.
        if let margin, let limit = time.flatMap(SlurmTime.parse), limit >= .seconds(300) {
            lines.append("#SBATCH --signal=B:USR1@\(margin.components.seconds)")
        }
        lines += extra.map { "#SBATCH \($0)" }
        var worker = ["exec", Self.quote(executable), "worker", "--concurrency", "\(cpusPerWorker)", "--queues"] + queues.map(Self.quote)
        worker += ["--exit-when-idle", Self.number(exitWhenIdleSeconds)]
        if let limit = time.flatMap(SlurmTime.parse), let margin { worker += ["--max-runtime", "\((limit - margin).components.seconds)s"] }
        lines += ["",
                  "# One task per CPU, each with single-threaded BLAS. The worker leaves when idle, stops",
                  "# claiming before the time limit, and hands running work back on SIGUSR1 or SIGTERM.",
                  "export OPENBLAS_NUM_THREADS=1 QF_BLAS_THREADS=1",
                  "export QF_SLURM_JOB=\"${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}_${SLURM_ARRAY_TASK_ID:-0}\"",
                  worker.joined(separator: " "),
                  ""]
        return lines.joined(separator: "\n")
    }

    static func quote(_ text: String) -> String {
        text.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }) ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
