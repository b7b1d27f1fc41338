/// When a worker stops on its own, for workers that run inside a batch allocation (a Slurm job):
/// an allocation must not be held by a worker with nothing to do, and must be left before its
/// time limit with the running work checkpointed and handed back rather than killed.
public struct WorkerLimits: Sendable, Equatable {
    /// Exit after this long with no task running and none claimed.
    public var exitWhenIdle: Duration?
    /// Claim at most this many tasks in the worker's life; exit when the last of them ends.
    public var maxTasks: Int?
    /// From this long after the start: claim nothing more, stop the running tasks at their next
    /// safe point (a training job checkpoints), hand them back to the queue and exit.
    public var maxRuntime: Duration?

    public init(exitWhenIdle: Duration? = nil, maxTasks: Int? = nil, maxRuntime: Duration? = nil) {
        self.exitWhenIdle = exitWhenIdle
        self.maxTasks = maxTasks
        self.maxRuntime = maxRuntime
    }

    /// Why a worker with limits stopped of its own accord.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        case idle(Duration), maxTasks(Int), maxRuntime(Duration)

        public var description: String {
            switch self {
            case .idle(let d): return "idle for \(d)"
            case .maxTasks(let n): return "ran its \(n) task(s)"
            case .maxRuntime(let d): return "reached its maximum run time of \(d)"
            }
        }
    }

    /// The reason to stop now, if any: `busy` tasks running, `claimed` in the worker's life,
    /// `elapsed` since it started, `idle` since it last had a task.
    func reasonToStop(busy: Int, claimed: Int, elapsed: Duration, idle: Duration) -> Reason? {
        if let maxRuntime, elapsed >= maxRuntime { return .maxRuntime(maxRuntime) }
        if let maxTasks, claimed >= maxTasks, busy == 0 { return .maxTasks(maxTasks) }
        if let exitWhenIdle, busy == 0, idle >= exitWhenIdle { return .idle(exitWhenIdle) }
        return nil
    }

    /// How many more tasks the worker may claim.
    func claimable(free: Int, claimed: Int) -> Int {
        guard let maxTasks else { return free }
        return max(0, min(free, maxTasks - claimed))
    }
}
