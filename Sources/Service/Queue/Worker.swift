import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A worker process's loop: claims tasks of its queues up to `concurrency` at a time, runs each
/// with its handler while a heartbeat renews the lease, and records the outcome through the
/// claim's key. It wakes on `NOTIFY qf_tasks` (one dedicated LISTEN connection), when a slot
/// frees up, and at least every `pollInterval` (the fallback when notifications are lost, and
/// the time at which delayed retries come due). Every `rescueInterval` it also rescues tasks of
/// dead workers. Cancelling `run()` is the graceful shutdown: no new claims, running handlers
/// are cancelled (a training job checkpoints at its next safe point) and their claims released.
public final class Worker: Sendable {
    public let id: String
    public let queue: TaskQueue
    public let queues: [String]
    public let concurrency: Int
    public let handlers: [String: any TaskHandler]
    public let pollInterval: Duration
    public let rescueInterval: Duration
    /// Where crash journals are kept (see `CrashJournal`); nil: this worker neither journals
    /// (the caller installs the journal for its process) nor reads them.
    public let crashJournalDirectory: String?
    /// When the worker stops of its own accord (none: only when cancelled).
    public let limits: WorkerLimits
    let listenConfiguration: PostgresConnection.Configuration?
    let logger: Logger
    let wake = WakeSignal()
    let running = Mutex(0)
    /// When a task last ran (or the worker started), for `limits.exitWhenIdle`.
    let lastBusy = Mutex(ContinuousClock.now)
    let claims = Mutex<[ClaimedTask.Key: RunningClaim]>([:])
    let completions: CompletionBatcher

    /// `listen`: how to open the dedicated LISTEN connection (nil: poll only).
    public init(id: String = Worker.defaultID(), queue: TaskQueue, queues: [String] = ["default"], concurrency: Int = 1,
                handlers: [String: any TaskHandler], pollInterval: Duration = .seconds(1), rescueInterval: Duration? = nil,
                listen: PostgresConnection.Configuration?, crashJournalDirectory: String? = nil, limits: WorkerLimits = WorkerLimits(), logger: Logger) {
        self.id = id
        self.limits = limits
        self.crashJournalDirectory = crashJournalDirectory
        self.queue = queue
        self.queues = queues
        self.concurrency = max(1, concurrency)
        self.handlers = handlers
        self.pollInterval = pollInterval
        self.rescueInterval = rescueInterval ?? .milliseconds(Int64(queue.leaseSeconds * 500))
        listenConfiguration = listen
        completions = CompletionBatcher(client: queue.client, logger: logger)
        var logger = logger
        logger[metadataKey: "worker"] = .string(id)
        self.logger = logger
    }

    /// host:pid:random — unique per process, readable in `worker_name`.
    public static func defaultID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Runs until cancelled, or until one of its `limits` says stop; returns that reason then.
    /// Stopping for the maximum run time is a shutdown: running tasks are stopped at their next
    /// safe point and handed back.
    @discardableResult
    public func run() async -> WorkerLimits.Reason? {
        let clock = ContinuousClock()
        let started = clock.now
        lastBusy.withLock { $0 = started }
        var claimedTotal = 0
        var stopReason: WorkerLimits.Reason?
        await withDiscardingTaskGroup { group in
            if let listenConfiguration { group.addTask { await self.listen(listenConfiguration) } }
            group.addTask { await self.rescueLoop() }
            group.addTask { await self.heartbeatLoop() }
            group.addTask { await self.pollLoop() }
            // Claims are refilled in batches of at least half the slots (or at once when idle):
            // a claim per finished task would cost a statement — and a commit — each.
            let refill = max(1, concurrency / 2)
            while !Task.isCancelled {
                let busy = running.withLock { $0 }
                let now = clock.now
                if busy > 0 { lastBusy.withLock { $0 = now } }
                if let reason = limits.reasonToStop(busy: busy, claimed: claimedTotal, elapsed: now - started, idle: now - lastBusy.withLock { $0 }) {
                    stopReason = reason
                    logger.info("worker stopping", metadata: ["reason": .string(reason.description), "tasks": .stringConvertible(claimedTotal)])
                    break
                }
                let free = limits.claimable(free: concurrency - busy, claimed: claimedTotal)
                var claimed: [ClaimedTask] = []
                if free > 0 && (free >= refill || busy == 0) {
                    do {
                        claimed = try await bounded { [queue, id, queues, logger] in try await queue.claim(worker: id, queues: queues, limit: free, logger: logger) }
                    } catch {
                        if Task.isCancelled { break }
                        logger.warning("claim failed", metadata: ["error": .string(String(reflecting: error))])
                    }
                }
                claimedTotal += claimed.count
                for task in claimed {
                    running.withLock { $0 += 1 }
                    group.addTask {
                        await self.execute(task)
                        self.lastBusy.withLock { $0 = ContinuousClock.now }
                        self.running.withLock { $0 -= 1 }
                        self.wake.notify()
                    }
                }
                // A full batch may mean more are waiting: claim again at once.
                if free > 0 && !claimed.isEmpty && claimed.count == free { continue }
                await wake.wait()
            }
            group.cancelAll()
        }
        return stopReason
    }

    /// Why a handler was cancelled.
    enum StopReason: Sendable {
        case cancelRequested, leaseLost
    }

    /// Set by the heartbeat when the handler must stop.
    final class StopBox: Sendable {
        let reason = Mutex<StopReason?>(nil)
    }

    /// A task being run: what the heartbeat loop needs to renew its lease or stop it.
    struct RunningClaim: Sendable {
        let key: ClaimedTask.Key
        let context: TaskContext
        let stop: StopBox
        let cancel: @Sendable () -> Void
    }

    /// Renews every running claim's lease at a third of the lease, in one statement per round
    /// (one timer per worker, not one per task: per-task timers were a third of a busy worker's
    /// CPU); stops the handlers whose task was asked to stop or is no longer this worker's.
    func heartbeatLoop() async {
        let interval = Duration.milliseconds(Int64(queue.leaseSeconds * 1000 / 3))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            let running = claims.withLock { Array($0.values) }
            if running.isEmpty { continue }
            do {
                let progress = running.map { ($0.key, $0.context.takeProgress()) }
                let beats = try await bounded { [queue, logger] in try await queue.heartbeat(progress, logger: logger) }
                for claim in running {
                    switch beats[claim.key.id] {
                    case false?: continue
                    case true?: claim.stop.reason.withLock { $0 = .cancelRequested }
                    case nil: claim.stop.reason.withLock { $0 = .leaseLost }
                    }
                    claim.cancel()
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": .string(String(reflecting: error))])
            }
        }
    }

    func execute(_ task: ClaimedTask) async {
        var taskLogger = self.logger
        taskLogger[metadataKey: "task_id"] = .string(task.id)
        taskLogger[metadataKey: "task"] = .string(task.name)
        let logger = taskLogger
        guard let handler = handlers[task.name] else {
            await finish { try await self.queue.fail(task.key, error: "no handler for task '\(task.name)' in worker \(self.id)", retryable: false, logger: logger) }
            return
        }
        let context = TaskContext(queue: queue, key: task.key, logger: logger)
        let stop = StopBox()
        // Operators find the process that runs a job from these two lines: at info for tasks of a
        // job, dataset or evaluation, at debug for the rest (thousands a second of no-op probes).
        let level: Logger.Level = task.relatedType == nil ? .debug : .info
        let related: Logger.MetadataValue = .string(task.relatedType.map { "\($0) \(task.relatedID ?? 0)" } ?? "none")
        logger.log(level: level, "task started", metadata: ["attempt": .stringConvertible(task.key.attempt), "related": related])
        let journalSlot = crashJournalDirectory == nil ? -1 : CrashJournal.enter(task.key)
        defer { CrashJournal.leave(journalSlot) }
        // The handler runs in a task of its own so the worker's one heartbeat loop can stop it
        // (a cancel request, a lost lease); a shutdown cancelling this task cancels it too.
        let run = HandlerRun(graceSeconds: StatementDeadline.seconds(lease: queue.leaseSeconds)) { try await handler.run(task, context: context) }
        let claim = RunningClaim(key: task.key, context: context, stop: stop, cancel: { run.stop() })
        claims.withLock { $0[task.key] = claim }
        let outcome = await withTaskCancellationHandler {
            await run.outcome
        } onCancel: {
            run.stop()
        }
        _ = claims.withLock { $0.removeValue(forKey: task.key) }
        if case .failure(let error as HandlerRun.DidNotStop) = outcome {
            logger.error("a stopped task did not end; left behind", metadata: ["error": .string(error.description)])
        }
        let reason = stop.reason.withLock { $0 }
        let shuttingDown = Task.isCancelled
        let ending: String
        switch (reason, outcome) {
        case (let reason?, _): ending = "\(reason)"
        case (nil, _) where shuttingDown: ending = "shutdown"
        case (nil, .success): ending = "success"
        case (nil, .failure): ending = "failure"
        }
        logger.log(level: level, "task finished", metadata: ["attempt": .stringConvertible(task.key.attempt), "related": related, "outcome": .string(ending)])
        switch (outcome, reason) {
        case (_, .leaseLost?):
            logger.warning("lease lost; another worker owns the task now")
        case (.failure, .cancelRequested?):
            await finish { _ = try await self.queue.revoke(task.key, logger: logger) }
        case (.success(let result), _):
            await finish {
                if !(try await self.completions.complete(task.key, result: result)) {
                    logger.warning("completion refused: the claim is no longer this worker's")
                }
            }
        case (.failure(let error), nil) where shuttingDown && !(error is PermanentTaskFailure):
            // Stopped by the shutdown (or failing as it stopped): handed back, no retry counted.
            // A permanent failure is recorded even now — running it again cannot help.
            await finish { _ = try await self.queue.release(task.key, logger: logger) }
        case (.failure(let error), nil):
            let permanent = error is PermanentTaskFailure
            await finish { _ = try await self.queue.fail(task.key, error: String(describing: error), retryable: !permanent, logger: logger) }
        }
    }

    /// Runs the closing write outside the task's cancellation, so a shutdown still records it
    /// (and gives up on it past the statement deadline, so a shutdown still ends).
    func finish(_ write: @escaping @Sendable () async throws -> Void) async {
        let logger = self.logger
        let seconds = StatementDeadline.seconds(lease: queue.leaseSeconds)
        await Task {
            do { try await StatementDeadline.run(seconds: seconds, write) } catch {
                logger.error("could not record a task's outcome", metadata: ["error": .string(String(reflecting: error))])
            }
        }.value
    }

    /// One of the worker's own statements, given up on past `StatementDeadline` (see there).
    func bounded<T: Sendable>(_ statement: @escaping @Sendable () async throws -> T) async throws -> T {
        try await StatementDeadline.run(seconds: StatementDeadline.seconds(lease: queue.leaseSeconds), statement)
    }

    /// Stops the handler of task `id` if this worker runs it (a cancel request announced by
    /// NOTIFY; the heartbeat would find it too, later).
    func stopRunning(_ id: String) {
        let running = claims.withLock { $0.values.filter { $0.key.id == id } }
        for claim in running {
            logger.info("cancel requested; stopping the task", metadata: ["task_id": .string(id)])
            claim.stop.reason.withLock { $0 = .cancelRequested }
            claim.cancel()
        }
    }

    /// The fallback wake-up: a signal every poll interval (lost notifications, retries coming due).
    func pollLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            wake.notify()
        }
    }

    func rescueLoop() async {
        while !Task.isCancelled {
            do {
                // Crashes first: a task whose worker died of it must not be retried as if the
                // worker had merely gone away.
                if let directory = crashJournalDirectory {
                    let (journals, crashes) = CrashJournal.pending(directory: directory)
                    if !crashes.isEmpty {
                        logger.error("workers crashed while running tasks", metadata: ["crashes": .string(crashes.map { "\($0.taskID) attempt \($0.attempt): \($0.signal)" }.joined(separator: ", "))])
                        try await bounded { [queue, logger] in try await queue.recordCrashes(crashes, logger: logger) }
                    }
                    CrashJournal.remove(journals)
                }
                let rescued = try await bounded { [queue, logger] in try await queue.rescue(logger: logger) }
                if !rescued.isEmpty {
                    logger.warning("rescued tasks with expired leases", metadata: ["tasks": .string(rescued.map { "\($0.id)→\($0.status)" }.joined(separator: ", "))])
                    wake.notify()
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("rescue failed", metadata: ["error": .string(String(reflecting: error))])
            }
            try? await Task.sleep(for: rescueInterval)
        }
    }

    /// Holds one connection LISTENing on `qf_tasks` and wakes the loop on each notification for
    /// one of this worker's queues; reconnects after a failure.
    func listen(_ configuration: PostgresConnection.Configuration) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: Int.random(in: 0...Int(Int32.max)), logger: logger)
                attempt = 0
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: TaskQueue.channel) { notifications in
                    // Catch up on anything enqueued while not listening.
                    wake.notify()
                    for try await notification in notifications {
                        if notification.payload.hasPrefix(TaskQueue.cancelPrefix) {
                            stopRunning(String(notification.payload.dropFirst(TaskQueue.cancelPrefix.count)))
                        } else if queues.contains(notification.payload) {
                            wake.notify()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                attempt += 1
                logger.warning("LISTEN connection lost; polling meanwhile", metadata: ["error": .string(String(reflecting: error))])
                try? await Task.sleep(for: .milliseconds(min(30_000, 250 * (1 << min(attempt, 7)))))
            }
        }
    }
}
