import Synchronization

/// Waits for a database statement at most a while. PostgresNIO can leave a statement waiting for
/// ever when its connection dies under it as it is sent (seen in the outage tests: a worker's
/// claim sent as PostgreSQL stopped never returned, not even when cancelled), and a worker that
/// waits for ever neither works nor shuts down. Past the deadline the caller gets
/// `StatementDeadline.Exceeded` and goes on; the statement's own task is cancelled and left to end
/// whenever it can. The worker's statements are all safe to give up on: an abandoned claim's tasks
/// come back when their lease runs out, and every outcome write is guarded by the claim.
enum StatementDeadline {
    /// A statement that did not answer in time.
    struct Exceeded: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "the database did not answer within \(Int(seconds)) s" }
    }

    /// The statement deadline for a queue with `leaseSeconds` leases: well past any statement's
    /// honest time, at least 30 s.
    static func seconds(lease leaseSeconds: Double) -> Double { max(30, 2 * leaseSeconds) }

    /// Runs `work` and returns its result, or throws `Exceeded` after `seconds`, or
    /// `CancellationError` when the caller is cancelled first.
    static func run<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let watch = watch(seconds: seconds)
        do {
            return try await watch.run(progress: watch.progress(), work)
        } catch is StallDeadline.Exceeded {
            throw Exceeded(seconds: seconds)
        }
    }

    /// One watch per deadline (a process has one or two), shared by every statement with it.
    private static func watch(seconds: Double) -> StallWatch<ContinuousClock> {
        let limit = Duration.milliseconds(Int64(seconds * 1_000))
        return watches.withLock { watches in
            if let watch = watches[limit] { return watch }
            let watch = StallWatch(limit: limit, clock: ContinuousClock())
            watches[limit] = watch
            return watch
        }
    }

    private static let watches = Mutex<[Duration: StallWatch<ContinuousClock>]>([:])
}
