import Synchronization

/// A handler running in a task of its own, and the worker's wait for its outcome. Stopping it
/// (a cancel request, a lost lease, a shutdown) cancels its task and gives it a grace period to
/// reach a safe point; a handler still running after that (stuck in a statement PostgresNIO lost)
/// is left behind with `DidNotStop` as its outcome, so the worker's slot and its shutdown never
/// wait for ever. Whatever the abandoned handler still writes is refused by its claim.
final class HandlerRun: Sendable {
    typealias Outcome = Result<JSONValue, any Error>

    /// The handler did not end within the grace period after it was stopped.
    struct DidNotStop: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "the task did not stop within \(Int(seconds)) s of being asked to; left behind" }
    }

    let task: Task<Outcome, Never>
    let graceSeconds: Double
    let state = Mutex<(outcome: Outcome?, waiter: CheckedContinuation<Outcome, Never>?, stopping: Bool)>((nil, nil, false))

    init(graceSeconds: Double, _ body: @escaping @Sendable () async throws -> JSONValue) {
        self.graceSeconds = graceSeconds
        task = Task {
            do { return .success(try await body()) } catch { return .failure(error) }
        }
        Task { [self] in give(await task.value) }
    }

    /// Cancels the handler; after the grace period its outcome is `DidNotStop` unless it ended.
    func stop() {
        task.cancel()
        let first = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        let seconds = graceSeconds
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
            give(.failure(DidNotStop(seconds: seconds)))
        }
    }

    /// The first outcome: the handler's own, or `DidNotStop`.
    var outcome: Outcome {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Outcome? in
                    if let outcome = state.outcome { return outcome }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    func give(_ outcome: Outcome) {
        let waiter = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }
}
