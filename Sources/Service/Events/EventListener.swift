import Logging
import PostgresNIO
import RedisClient
import ServiceLifecycle

/// Each server's one dedicated LISTEN connection on `qf_events` and, with Redis, its
/// subscription to the Redis channel `qf_events` (see `Events`): every event from either is
/// turned into the WebSocket message its subscribers receive and handed to the hub. Both
/// reconnect with backoff after a failure; they run until graceful shutdown. LISTEN stays on with
/// Redis: it carries what writers send while Redis is away.
public struct EventListener: ServiceLifecycle.Service {
    let configuration: PostgresConnection.Configuration
    let hub: EventHub
    let redis: RedisLink?
    let logger: Logger

    public init(configuration: PostgresConnection.Configuration, hub: EventHub, redis: RedisLink? = nil, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.redis = redis
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await listen() }
                if let redis { group.addTask { await subscribe(redis) } }
            }
        }
    }

    func subscribe(_ redis: RedisLink) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await RedisSubscriber.run(endpoint: redis.settings.primary, channel: Events.channel, connectTimeout: redis.connectTimeout,
                                              onSubscribed: { redis.markSubscribed(true) }) { payload in
                    dispatch(String(decoding: payload, as: UTF8.self))
                }
            } catch {
                redis.markSubscribed(false)
                if Task.isCancelled { return }
                attempt += 1
                if attempt == 1 { logger.warning("Redis event subscription lost; events arrive by NOTIFY meanwhile", metadata: ["error": .string(String(describing: error))]) }
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
                continue
            }
            attempt = 0
        }
        redis.markSubscribed(false)
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
