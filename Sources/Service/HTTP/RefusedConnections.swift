import Logging
import NIOCore
import Synchronization

/// The connections `RequestHeadGuard` has refused and closed, while their handling ends. The
/// WebSocket upgrade handler underneath logs an error when its connection closes before a first
/// head; for a refused connection that is the guard's doing, already logged at info, so the
/// connection's logger (`logger(for:base:)`) lowers such records to debug.
final class RefusedConnections: Sendable {
    private let refused = Mutex<Set<ObjectIdentifier>>([])

    func markRefused(_ channel: any Channel) {
        _ = refused.withLock { $0.insert(ObjectIdentifier(channel)) }
    }

    func contains(_ channel: any Channel) -> Bool {
        refused.withLock { $0.contains(ObjectIdentifier(channel)) }
    }

    func forget(_ channel: any Channel) {
        _ = refused.withLock { $0.remove(ObjectIdentifier(channel)) }
    }

    /// `base`, with warnings and errors lowered to debug once `channel` has been refused.
    func logger(for channel: any Channel, base: Logger) -> Logger {
        let key = ObjectIdentifier(channel)
        let handler = LoweringLogHandler(wrapped: base.handler) { [self] in refused.withLock { $0.contains(key) } }
        return Logger(label: base.label, factory: { _ in handler })
    }
}

/// A log handler that passes records on, lowering warnings and errors to debug while `lower()`.
struct LoweringLogHandler: LogHandler {
    var wrapped: any LogHandler
    let lower: @Sendable () -> Bool

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= .warning, lower() else {
            wrapped.log(event: event)
            return
        }
        guard wrapped.logLevel <= .debug else { return }
        var lowered = event
        lowered.level = .debug
        wrapped.log(event: lowered)
    }
}
