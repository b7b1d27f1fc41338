import Synchronization

/// Waits for work that may never end, at most a while after its last sign of progress. The work
/// runs in a task of its own, so the caller can go on without it: PostgresNIO can lose a statement
/// whose connection dies as it is sent, and such a statement never answers, not even when
/// cancelled, so waiting for it in structured concurrency would wait for ever. Past the deadline
/// the caller gets `Exceeded` and the work's task is cancelled and left to end whenever it can.
/// `StatementDeadline` (the worker's statements) and `RequestDeadline` (the API's requests) are
/// built on it.
enum StallDeadline {
    /// Work that went `limit` without progress.
    struct Exceeded: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "no progress for \(limit)" }
    }

    /// The time of the work's last sign of progress, which the work (or whatever feeds it) notes;
    /// the deadline is `limit` after it.
    final class Progress<C: Clock>: Sendable where C.Duration == Duration {
        let clock: C
        let last: Mutex<C.Instant>

        init(clock: C) {
            self.clock = clock
            last = Mutex(clock.now)
        }

        /// The work moved on: the deadline starts again from now.
        func note() {
            let now = clock.now
            last.withLock { $0 = max($0, now) }
        }

        var lastNoted: C.Instant { last.withLock { $0 } }
    }

    /// Runs `work` and returns its result; throws `Exceeded` once `progress` has gone `limit`
    /// without a note, or `CancellationError` when the caller is cancelled first.
    static func run<T: Sendable, C: Clock>(limit: Duration, progress: Progress<C>,
                                           _ work: @escaping @Sendable () async throws -> T) async throws -> T where C.Duration == Duration {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.waiter.withLock { $0 = continuation }
                // Cancelled before the handler could see a continuation to resume: stop here.
                if Task.isCancelled, race.finish(.failure(CancellationError())) { return }
                let timer = Task {
                    // Sleeps to the deadline of the last note; a note made meanwhile moves it on.
                    while true {
                        let deadline = progress.lastNoted.advanced(by: limit)
                        try? await progress.clock.sleep(until: deadline, tolerance: nil)
                        if Task.isCancelled { return }
                        if progress.clock.now >= progress.lastNoted.advanced(by: limit) { break }
                    }
                    if race.finish(.failure(Exceeded(limit: limit))) { race.work.withLock { $0 }?.cancel() }
                }
                race.work.withLock {
                    $0 = Task {
                        let result: Result<T, any Error>
                        do { result = .success(try await work()) } catch { result = .failure(error) }
                        timer.cancel()
                        _ = race.finish(result)
                    }
                }
            }
        } onCancel: {
            if race.finish(.failure(CancellationError())) { race.work.withLock { $0 }?.cancel() }
        }
    }

    /// The work, its timer and the caller: whoever finishes first resumes the caller, once.
    final class Race<T: Sendable>: Sendable {
        let waiter = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)

        /// Resumes the caller with `result` unless someone already did; whether this call did.
        func finish(_ result: Result<T, any Error>) -> Bool {
            guard let continuation = waiter.withLock({ state -> CheckedContinuation<T, any Error>? in
                defer { state = nil }
                return state
            }) else { return false }
            continuation.resume(with: result)
            return true
        }
    }
}
