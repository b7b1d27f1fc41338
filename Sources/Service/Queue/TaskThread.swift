import Foundation

/// Runs a task's long, CPU-bound work — a training run, an evaluation shard, an ingest — on a
/// thread of its own. NIO's shared blocking pool has one thread per core and also serves short
/// blocking work (bcrypt for every login): a training run there for minutes left logins and
/// uploads waiting behind it, in `qf serve --worker` as in the tests. A worker runs at most its
/// `concurrency` tasks at once, so these threads are bounded by it.
enum TaskThread {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            // The stack a main thread has: training and HDF5 were written for it.
            thread.stackSize = 8 << 20
            thread.name = "qf-task"
            thread.start()
        }
    }
}
