import Synchronization

/// Wakes a waiting worker loop: a notification arrived, a slot freed up, or the poll interval
/// passed. A signal given while nobody waits is kept (once), so a wake-up is never lost between
/// two waits; a spare one costs one extra claim query.
final class WakeSignal: Sendable {
    struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let state = Mutex(State())

    func notify() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns on the next signal (or at once if one is pending), or when the task is cancelled.
    /// There is no timeout here: the worker's poll loop signals every poll interval instead, so
    /// a wait costs no timer — arming and cancelling one per wait was a fifth of a busy worker's
    /// CPU, and the cancelled timers' late signals doubled its claim queries.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            notify()
        }
    }
}
