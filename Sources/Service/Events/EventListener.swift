import Logging
import PostgresNIO
import ServiceLifecycle

/// Each server's one dedicated LISTEN connection on `qf_events`: every notification is turned
/// into the WebSocket message its subscribers receive and handed to the hub. Reconnects with
/// backoff after a failure; runs until graceful shutdown.
public struct EventListener: ServiceLifecycle.Service {
    let configuration: PostgresConnection.Configuration
    let hub: EventHub
    let logger: Logger

    public init(configuration: PostgresConnection.Configuration, hub: EventHub, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await listen() }
    }

    func listen() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: Int.random(in: 0...Int(Int32.max)), logger: logger)
                defer { Task { try? await connection.close() } }
                attempt = 0
                try await connection.listen(on: Events.channel) { notifications in
                    for try await notification in notifications { dispatch(notification.payload) }
                }
            } catch {
                if Task.isCancelled { return }
                attempt += 1
                logger.warning("event LISTEN connection lost", metadata: ["error": .string(String(reflecting: error))])
                try? await Task.sleep(for: .milliseconds(min(30_000, 250 * (1 << min(attempt, 7)))))
            }
        }
    }

    /// `{"channel", "id", "type", "data"}` → message `{"type", "data"}` to subscribers of `channel:id`.
    func dispatch(_ payload: String) {
        guard let event = try? JSONValue.parse(payload).objectValue, let channel = event["channel"]?.stringValue,
              case .int(let id)? = event["id"], let type = event["type"]?.stringValue else { return }
        let message = JSONValue.object(["type": .string(type), "data": event["data"] ?? .null]).jsonText
        hub.publish(message, to: "\(channel):\(id)")
    }
}
