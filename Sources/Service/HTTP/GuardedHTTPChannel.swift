import HummingbirdCore
import Logging
import NIOCore

/// A server child channel that puts `RequestHeadGuard` in front of another one's pipeline, so
/// every connection's heads are checked before the HTTP parser (and before the WebSocket upgrade
/// handler, which adds the rest of the pipeline only once the first head has arrived).
struct GuardedHTTPChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let limits: HTTPLimits
    let refused = RefusedConnections()

    init(inner: Inner, limits: HTTPLimits) {
        self.inner = inner
        self.limits = limits
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(RequestHeadGuard(limits: limits, refused: refused, logger: logger), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: refused.logger(for: value.channel, base: logger))
        refused.forget(value.channel)
    }
}
