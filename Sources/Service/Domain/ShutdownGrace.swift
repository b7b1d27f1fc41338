import Logging
import PostgresNIO
import Synchronization

/// Runs work that ends when cancelled, such as a connection pool's `run()`, and once cancelled
/// waits for it to end at most `grace`. PostgresNIO's pool `run()` returns only when every task it
/// started has ended, and one of them can wait for ever (a keep-alive or statement its connection
/// lost as it closed): a process stopping, or a test tearing its harness down, would then wait for
/// ever too. Past the grace the work is left behind, still cancelled, and `onLeftBehind` is told.
enum ShutdownGrace {
    static func run<C: Clock>(grace: Duration, clock: C, onLeftBehind: @escaping @Sendable () -> Void = {},
                              _ work: @escaping @Sendable () async -> Void) async where C.Duration == Duration {
        let ended = Latch()
        let running = Task {
            await work()
            ended.open()
        }
        await withTaskCancellationHandler {
            await ended.wait()
        } onCancel: {
            running.cancel()
            Task {
                try? await clock.sleep(for: grace)
                if !ended.isOpen {
                    onLeftBehind()
                    ended.open()
                }
            }
        }
    }
}

extension ShutdownGrace {
    /// How long a stopping process waits for a connection pool to close: it takes milliseconds.
    public static let pool = Duration.seconds(10)

    /// `work` (pools named `what` in the log) with the `pool` grace on the real clock; an error is
    /// logged if it is left behind.
    static func runPools(_ what: String, logger: Logger, _ work: @escaping @Sendable () async -> Void) async {
        await run(grace: pool, clock: ContinuousClock(), onLeftBehind: {
            logger.error("\(what) did not close within \(pool) of the shutdown; left behind")
        }, work)
    }
}

extension PostgresClient {
    /// `run()`, except that once cancelled it waits for the pool to close at most
    /// `ShutdownGrace.pool` (see `ShutdownGrace`), then leaves it behind with an error logged.
    public func runWithShutdownGrace(logger: Logger) async {
        await ShutdownGrace.runPools("a database pool", logger: logger) { await self.run() }
    }
}
