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

    /// The time of one piece of work's last sign of progress, which the work (or whatever feeds
    /// it) notes; its deadline is the watch's limit after it.
    final class Progress<C: Clock>: Sendable where C.Duration == Duration {
        let clock: C
        private let last: Mutex<C.Instant>

        init(clock: C) {
            self.clock = clock
            last = Mutex(clock.now)
        }

        /// The work moved on: its deadline starts again from now.
        func note() {
            let now = clock.now
            last.withLock { $0 = max($0, now) }
        }

        var lastNoted: C.Instant { last.withLock { $0 } }
    }

    /// The work, its watch and the caller: whoever finishes first resumes the caller, once.
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

        /// Gives up on the work (when the caller was still waiting): `error` to the caller, a
        /// cancellation to the work.
        func abandon(with error: any Error) {
            if finish(.failure(error)) { work.withLock { $0 }?.cancel() }
        }
    }
}

/// Watches every piece of work run through it for going `limit` without progress, from one task
/// that sleeps until the earliest deadline among them — not a timer per piece of work, which would
/// cost each API request more than the rest of a `/healthz` answer. Progress only moves deadlines
/// later and new work starts with the latest one, so that sleep never passes a deadline. The
/// watching task ends once nothing has been watched for `limit`, and starts again with the next work.
final class StallWatch<C: Clock>: Sendable where C.Duration == Duration {
    let limit: Duration
    let clock: C

    private struct Watched {
        let progress: StallDeadline.Progress<C>
        let giveUp: @Sendable () -> Void
    }

    private struct State {
        var watched: [UInt64: Watched] = [:]
        var nextID: UInt64 = 0
        var watching = false
    }

    private let state = Mutex(State())

    init(limit: Duration, clock: C) {
        self.limit = limit
        self.clock = clock
    }

    /// A progress record for work about to run through `run`, on this watch's clock.
    func progress() -> StallDeadline.Progress<C> { StallDeadline.Progress(clock: clock) }

    /// How many pieces of work are watched now.
    var watchedCount: Int { state.withLock { $0.watched.count } }

    /// Runs `work` and returns its result; throws `StallDeadline.Exceeded` once `progress` has gone
    /// `limit` without a note, or `CancellationError` when the caller is cancelled first.
    func run<T: Sendable>(progress: StallDeadline.Progress<C>, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = StallDeadline.Race<T>()
        let limit = self.limit
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.waiter.withLock { $0 = continuation }
                // Cancelled before the handler could see a continuation to resume: stop here.
                if Task.isCancelled, race.finish(.failure(CancellationError())) { return }
                let id = watch(Watched(progress: progress, giveUp: { race.abandon(with: StallDeadline.Exceeded(limit: limit)) }))
                race.work.withLock {
                    $0 = Task {
                        let result: Result<T, any Error>
                        do { result = .success(try await work()) } catch { result = .failure(error) }
                        self.state.withLock { _ = $0.watched.removeValue(forKey: id) }
                        _ = race.finish(result)
                    }
                }
            }
        } onCancel: {
            race.abandon(with: CancellationError())
        }
    }

    private func watch(_ watched: Watched) -> UInt64 {
        let (id, start) = state.withLock { state -> (UInt64, Bool) in
            let id = state.nextID
            state.nextID += 1
            state.watched[id] = watched
            defer { state.watching = true }
            return (id, !state.watching)
        }
        if start { Task { await self.watchUntilIdle() } }
        return id
    }

    /// Sleeps to the earliest deadline, gives up on what passed it, and again; returns once
    /// nothing has been watched for `limit`.
    private func watchUntilIdle() async {
        var idleSince: C.Instant?
        while true {
            let now = clock.now
            let wake = state.withLock { state -> C.Instant? in
                if let earliest = state.watched.values.map({ $0.progress.lastNoted }).min() {
                    idleSince = nil
                    return earliest.advanced(by: limit)
                }
                if let since = idleSince, now >= since.advanced(by: limit) {
                    state.watching = false
                    return nil
                }
                if idleSince == nil { idleSince = now }
                return idleSince?.advanced(by: limit)
            }
            guard let wake else { return }
            try? await clock.sleep(until: wake, tolerance: nil)
            let woke = clock.now
            let stalled = state.withLock { state -> [Watched] in
                let ids = state.watched.filter { $0.value.progress.lastNoted.advanced(by: limit) <= woke }.map(\.key)
                return ids.compactMap { state.watched.removeValue(forKey: $0) }
            }
            for watched in stalled { watched.giveUp() }
        }
    }
}
