import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Writes log records at WARNING and above to `system_logs`, in batches, off the request path: the
/// log handler only appends to a bounded in-memory queue (the oldest records are dropped, and
/// counted, when the database falls behind), and `run()` flushes it every `interval` or as soon as
/// `batchSize` records wait, with one multi-row INSERT. A slow or absent database never blocks a
/// request.
public final class SystemLogWriter: Sendable {
    /// One queued record.
    public struct Record: Sendable, Equatable {
        public var level: String
        public var message: String
        public var module: String?
        public var function: String?
        public var requestID: String?
        public var userID: Int?
        public var metadataJSON: String
        public var time: Date
        public var stackTrace: String?
    }

    let client: PostgresClient
    let capacity: Int
    let batchSize: Int
    let interval: Duration
    let state = Mutex<(queue: [Record], dropped: Int)>(([], 0))

    public init(client: PostgresClient, capacity: Int = 10_000, batchSize: Int = 100, interval: Duration = .seconds(1)) {
        self.client = client
        self.capacity = capacity
        self.batchSize = batchSize
        self.interval = interval
    }

    /// Records dropped because the queue was full.
    public var dropped: Int { state.withLock { $0.dropped } }
    /// Records waiting.
    public var pending: Int { state.withLock { $0.queue.count } }

    /// Queues a record (never blocks on the database).
    public func enqueue(_ record: Record) {
        state.withLock { s in
            if s.queue.count >= capacity {
                s.queue.removeFirst()
                s.dropped += 1
            }
            s.queue.append(record)
        }
    }

    /// Writes what is queued, up to `batchSize` records per INSERT; returns how many were written.
    @discardableResult
    public func flush() async throws -> Int {
        var written = 0
        while true {
            let batch: [Record] = state.withLock { s in
                let n = min(batchSize, s.queue.count)
                defer { s.queue.removeFirst(n) }
                return Array(s.queue.prefix(n))
            }
            if batch.isEmpty { return written }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let levels = batch.map(\.level), messages = batch.map(\.message)
            let modules = batch.map { $0.module ?? "" }, functions = batch.map { $0.function ?? "" }
            let requests = batch.map { $0.requestID ?? "" }, users = batch.map { $0.userID.map(String.init) ?? "" }
            let metadata = batch.map(\.metadataJSON), times = batch.map { formatter.string(from: $0.time) }
            let traces = batch.map { $0.stackTrace ?? "" }
            do {
                try await client.query("""
                    INSERT INTO system_logs (level, message, module, function_name, request_id, user_id, metadata, created_at, stack_trace)
                    SELECT l::log_level, m, NULLIF(mo, ''), NULLIF(f, ''), NULLIF(r, ''),
                           (SELECT id FROM users WHERE id = NULLIF(u, '')::INTEGER), md::JSONB,
                           (t::TIMESTAMPTZ AT TIME ZONE 'UTC'), NULLIF(st, '')
                    FROM unnest(\(levels), \(messages), \(modules), \(functions), \(requests), \(users), \(metadata), \(times), \(traces))
                         AS x(l, m, mo, f, r, u, md, t, st)
                    """)
            } catch {
                // Put the batch back in front (within capacity) so a passing outage loses nothing.
                state.withLock { s in
                    s.queue.insert(contentsOf: batch, at: 0)
                    let excess = s.queue.count - capacity
                    if excess > 0 {
                        s.queue.removeFirst(excess)
                        s.dropped += excess
                    }
                }
                throw error
            }
            written += batch.count
        }
    }

    /// Flushes every `interval` (sooner when a batch is full) until cancelled, then once more.
    public func run() async {
        while !Task.isCancelled {
            var waited = Duration.zero
            while waited < interval && pending < batchSize && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                waited += .milliseconds(50)
            }
            _ = try? await flush()
        }
        _ = try? await flush()
    }

    /// A swift-log handler feeding this writer (records below `minimumLevel` are ignored).
    public func handler(label: String, minimumLevel: Logger.Level = .warning) -> SystemLogHandler {
        SystemLogHandler(label: label, writer: self, minimumLevel: minimumLevel)
    }
}

/// The swift-log side of `SystemLogWriter`: `module` is the logger's label (or the record's
/// `module` metadata), `function_name` the calling function, `request_id` and `user_id` taken
/// from the metadata of that name (a `user_id` of no existing user is stored as NULL, and kept in
/// the metadata), the rest of the metadata stored as JSON. `stack_trace`: the metadata of that
/// name when the caller has one; otherwise, for ERROR and CRITICAL, the call stack where the
/// record was logged (Swift errors carry no trace of their own; the logging site is where it
/// was handled).
public struct SystemLogHandler: LogHandler {
    public let label: String
    let writer: SystemLogWriter
    let minimumLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message, function = event.function
        guard level >= minimumLevel else { return }
        var all = metadata.merging(event.metadata ?? [:]) { $1 }
        if let error = event.error { all["error"] = .string(String(describing: error)) }
        let requestID = all.removeValue(forKey: "request_id").map { "\($0)" }
        // user_id stays in the metadata too: the column references users, so the id of a user
        // that no longer exists is stored as NULL there rather than failing the batch.
        let userID = all["user_id"].flatMap { Int("\($0)") }
        let module = all.removeValue(forKey: "module").map { "\($0)" } ?? label
        var stackTrace = all.removeValue(forKey: "stack_trace").map { "\($0)" }
        if stackTrace == nil && level >= .error {
            // The first frames are this handler and swift-log's dispatch.
            stackTrace = Thread.callStackSymbols.dropFirst(2).prefix(64).joined(separator: "\n")
        }
        let json = JSONValue.object(all.mapValues { .string("\($0)") }).jsonText
        writer.enqueue(.init(level: Self.levelName(level), message: "\(message)", module: String(module.prefix(100)),
                             function: String(function.prefix(100)), requestID: requestID, userID: userID,
                             metadataJSON: json, time: Date(), stackTrace: stackTrace))
    }

    /// swift-log's levels in the seed's `log_level` enum.
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "DEBUG"
        case .info, .notice: return "INFO"
        case .warning: return "WARNING"
        case .error: return "ERROR"
        case .critical: return "CRITICAL"
        }
    }
}
