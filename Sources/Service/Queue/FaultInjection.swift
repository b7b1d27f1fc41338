/// Task handlers that fail on purpose, registered only when `QF_FAULT_INJECTION=trap` is set in a
/// worker's environment: the chaos tests use them to prove that a task which crashes its worker
/// (a trap, as an overflow or a bad index would cause) is failed after two crashes instead of
/// killing one worker after another. Never set it in production.
enum FaultInjection {
    /// The task name that traps its worker.
    static let trapTaskName = "qf.fault.trap"

    static func handlers(environment: [String: String]) -> [String: any TaskHandler] {
        guard environment["QF_FAULT_INJECTION"] == "trap" else { return [:] }
        return [trapTaskName: ClosureTaskHandler { task, _ in
            // An arithmetic overflow, as real input once caused: a trap, not a thrown error.
            let huge = Int.max - (task.key.attempt > 0 ? 0 : 1)
            return .int(Int64(huge + task.key.attempt))
        }]
    }
}
