import Foundation
import Synchronization

/// Slurm's command-line tools (`sbatch`, `squeue`, `scancel`), run as processes: what QuantForge
/// submits and sees. Slurm is only how workers get started; the queue in PostgreSQL stays the
/// record of every task.
public struct SlurmClient: Sendable {
    /// The environment the tools run with (`SLURM_CONF`, and what `sbatch --export=ALL` hands to
    /// the workers: `DATABASE_URL`, `QF_DATA_DIR`, …).
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// A Slurm tool failed or is missing; the message names the command and what it printed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// One job (or array element) as `squeue` lists it.
    public struct Job: Sendable, Equatable {
        public let id: String
        public let name: String
        public let state: String
        public let elapsed: String
        public let timeLimit: String
        public let nodes: String
        public let reason: String
    }

    /// Submits `script`; returns the job id Slurm gave it.
    public func submit(_ script: String) async throws -> String {
        let output = try await run("sbatch", ["--parsable"], input: script)
        guard let id = output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw Failure(description: "sbatch printed no job id: \(output)")
        }
        return id
    }

    /// Checks `script` with `sbatch --test-only` (nothing is submitted); returns Slurm's verdict.
    public func check(_ script: String) async throws -> String {
        try await run("sbatch", ["--test-only"], input: script)
    }

    /// The jobs whose names start with `prefix` (QuantForge's all start with `qf-`), elements of
    /// arrays listed one by one.
    public func jobs(namePrefix prefix: String = "qf-") async throws -> [Job] {
        let output = try await run("squeue", ["-h", "-r", "-o", "%i|%j|%T|%M|%l|%N|%r"], input: nil)
        return output.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 7, f[1].hasPrefix(prefix) else { return nil }
            return Job(id: f[0], name: f[1], state: f[2], elapsed: f[3], timeLimit: f[4], nodes: f[5], reason: f[6])
        }
    }

    /// Jobs that have ended in the last `hours`, from Slurm's accounting (`sacct`); nil when the
    /// cluster keeps no accounting (no slurmdbd), as on a single-node test cluster.
    public func finishedJobs(namePrefix prefix: String = "qf-", hours: Int = 24) async -> [Job]? {
        guard let output = try? await run("sacct", ["-n", "-X", "-P", "-S", "now-\(hours)hours", "-o", "JobID,JobName,State,Elapsed,Timelimit,NodeList,Reason"], input: nil),
              !output.contains("accounting storage is disabled") else { return nil }
        return output.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 7, f[1].hasPrefix(prefix), !["PENDING", "RUNNING"].contains(f[2]) else { return nil }
            return Job(id: f[0], name: f[1], state: f[2], elapsed: f[3], timeLimit: f[4], nodes: f[5], reason: f[6])
        }
    }

    /// Changes a job's (or array element's) time limit, as an operator does with `scontrol`;
    /// a limit already passed ends the job as a time limit does (SIGTERM, then SIGKILL).
    public func setTimeLimit(_ id: String, to limit: String) async throws {
        _ = try await run("scontrol", ["update", "JobId=\(id)", "TimeLimit=\(limit)"], input: nil)
    }

    /// Cancels jobs by id, or every job named `name`.
    public func cancel(ids: [String] = [], name: String? = nil) async throws {
        var arguments = ids
        if let name { arguments.append("--name=\(name)") }
        guard !arguments.isEmpty else { return }
        _ = try await run("scancel", arguments, input: nil)
    }

    /// Bytes read on another thread.
    final class Collected: Sendable {
        let data = Mutex(Data())
        func set(_ value: Data) { data.withLock { $0 = value } }
        func get() -> Data { data.withLock { $0 } }
    }

    /// Runs `tool` on a Dispatch thread: waiting for a process must not hold one of Swift's
    /// few cooperative threads (on 2 cores, two such waits stall every task of the process —
    /// in a test run, other tests' heartbeats).
    func run(_ tool: String, _ arguments: [String], input: String?) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try self.runBlocking(tool, arguments, input: input) })
            }
        }
    }

    func runBlocking(_ tool: String, _ arguments: [String], input: String?) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.environment = environment
        let output = Pipe(), errors = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do { try process.run() } catch {
            throw Failure(description: "\(tool) could not be started (\(error.localizedDescription)); is Slurm installed here?")
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        // Both pipes are drained at once: a tool that filled one while we read the other would
        // block for ever.
        let errorText = Collected()
        let reading = DispatchGroup()
        let errorHandle = errors.fileHandleForReading
        DispatchQueue.global().async(group: reading) { errorText.set(errorHandle.readDataToEndOfFile()) }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        let err = errorText.get()
        process.waitUntilExit()
        let text = String(decoding: out, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let message = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\(tool) \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)): \(message.isEmpty ? text : message)")
        }
        // `sbatch --test-only` answers on stderr.
        return text.isEmpty ? String(decoding: err, as: UTF8.self) : text
    }
}
