import Foundation
import NIOCore
import Synchronization

/// Admission to bcrypt: at most `slots` hashes at once (the cores) and at most `queueLimit`
/// waiting for one. One hash at cost 12 is a few hundred milliseconds of a core; 50 concurrent
/// logins used to queue without bound (p50 15 s) and kept hashing for clients that had gone.
/// Beyond the queue a login is a 503 with `Retry-After` (how long the queue ahead takes to
/// drain at the measured hash time); a waiter whose client has disconnected is dropped when its
/// turn comes, before any hashing.
final class HashingGate: Sendable {
    let slots: Int
    let queueLimit: Int

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiting: [Waiter] = []
        var nextID: UInt64 = 0
        /// Seconds per hash, smoothed; a first guess until one is measured.
        var secondsPerHash = 0.25
    }

    private let state = Mutex(State())

    init(slots: Int, queueLimit: Int) {
        self.slots = max(1, slots)
        self.queueLimit = max(0, queueLimit)
    }

    /// Runs `work` when a slot is free, unless the queue is full (503) or `clientIsThere()` has
    /// turned false by then (the work is skipped, as the client's doing).
    func run<T: Sendable>(clientIsThere: @Sendable () -> Bool, _ work: @Sendable () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        guard clientIsThere() else { throw ChannelError.ioOnClosedChannel }
        let started = ContinuousClock.now
        let result = try await work()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        state.withLock { $0.secondsPerHash = 0.8 * $0.secondsPerHash + 0.2 * seconds }
        return result
    }

    /// What a full queue answers.
    static func busy(retryAfterSeconds: Int) -> APIError {
        APIError(.serviceUnavailable, type: "service_unavailable",
                 message: "Too many sign-ins at once; try again in \(retryAfterSeconds) s", retryAfterSeconds: retryAfterSeconds)
    }

    private enum Admission {
        case now
        case wait
        case refused(Int)
    }

    private func enter() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let admission = state.withLock { state -> Admission in
                    if state.running < slots {
                        state.running += 1
                        return .now
                    }
                    guard state.waiting.count < queueLimit else {
                        // Come back about when the queue ahead has drained: earlier finds it
                        // still full, later leaves the cores idle.
                        let ahead = Double(state.waiting.count + state.running) / Double(slots)
                        return .refused(Int(min(3_600, max(1, (ahead * state.secondsPerHash).rounded()))))
                    }
                    state.waiting.append(Waiter(id: id, continuation: continuation))
                    return .wait
                }
                switch admission {
                case .now: continuation.resume()
                case .wait: break
                case .refused(let seconds): continuation.resume(throwing: Self.busy(retryAfterSeconds: seconds))
                }
            }
        } onCancel: {
            let removed = state.withLock { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Hands the slot to the next waiter, or frees it.
    private func leave() {
        let next = state.withLock { state -> Waiter? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume()
    }

    /// Hashes running and waiting (for tests and metrics).
    var load: (running: Int, waiting: Int) {
        state.withLock { ($0.running, $0.waiting.count) }
    }
}
