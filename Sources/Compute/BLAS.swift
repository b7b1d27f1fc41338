import CBLAS

/// OpenBLAS configuration: thread count and build information.
///
/// OpenBLAS starts with one thread per core. Networks of the sizes trading agents use are faster on
/// one thread (a second thread costs more in synchronisation than it saves, and collapses under
/// load), so `ComputeConfiguration` sets one unless told otherwise. Results are bit-identical only
/// for the same thread count.
public enum BLAS {
    /// The number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        get { Int(qf_openblas_get_num_threads()) }
    }

    /// Sets the number of threads OpenBLAS uses (at least 1).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        // An unchanged count is left alone: OpenBLAS 0.3.21's openblas_set_num_threads restarts
        // a thread pool that `stopIdleThreads` shut down, and its new thread spins on sched_yield
        // for ~0.1 s (perf of `qf bench agents --algos ppo`: 8% of the run's samples).
        guard count != threadCount else { return }
        qf_openblas_set_num_threads(Int32(count))
    }

    /// Sets one thread and stops OpenBLAS's server threads, for a process's start, before any other
    /// thread calls BLAS. OpenBLAS starts them when it is loaded, and each spins on `sched_yield`
    /// for its first ~0.1 s, taking a core from whatever the process does meanwhile (a short sweep
    /// on 2 cores ran at half speed). A later `setThreadCount(n > 1)` and call start them again.
    public static func stopIdleThreads() {
        qf_openblas_set_num_threads(1)
        qf_openblas_stop_thread_pool()
    }

    /// The kernel OpenBLAS selected for this CPU (for example "Haswell", "SkylakeX", "Zen").
    public static var coreName: String { String(cString: qf_openblas_get_corename()) }

    /// OpenBLAS's build configuration string.
    public static var configuration: String { String(cString: qf_openblas_get_config()) }
}

/// Process-wide Compute settings read from the environment or given by the caller.
public struct ComputeConfiguration: Sendable, Equatable {
    /// OpenBLAS threads; default 1 (see `BLAS`).
    public var blasThreads: Int

    /// The default configuration: one BLAS thread.
    public init(blasThreads: Int = 1) {
        self.blasThreads = blasThreads
    }

    /// Reads `QF_BLAS_THREADS` (a positive integer) from `environment`, defaulting to 1.
    /// - Throws: `ComputeError.invalidConfiguration` naming the variable when it is not a positive integer.
    public static func fromEnvironment(_ environment: [String: String]) throws -> ComputeConfiguration {
        guard let text = environment["QF_BLAS_THREADS"] else { return ComputeConfiguration() }
        guard let count = Int(text), count >= 1 else {
            throw ComputeError.invalidConfiguration("QF_BLAS_THREADS must be a positive integer, got '\(text)'")
        }
        return ComputeConfiguration(blasThreads: count)
    }

    /// Applies the settings to the process (OpenBLAS is process-global).
    public func apply() {
        BLAS.setThreadCount(blasThreads)
    }
}

/// Errors raised by Compute for bad input that a caller can fix.
public enum ComputeError: Error, Equatable, CustomStringConvertible {
    /// A configuration value is out of range; the message names it.
    case invalidConfiguration(String)
    /// A checkpoint or tensor file does not match what was expected; the message says what differs.
    case checkpointMismatch(String)
    /// A file is not valid safetensors; the message says where.
    case malformedFile(String)
    /// A file could not be written or read; the message names it and the system's reason.
    case io(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): return "invalid configuration: \(message)"
        case .checkpointMismatch(let message): return "checkpoint mismatch: \(message)"
        case .malformedFile(let message): return "malformed file: \(message)"
        case .io(let message): return message
        }
    }
}
