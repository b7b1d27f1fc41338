import Logging
import PostgresNIO
import Synchronization

/// What workers and the API announce for the WebSocket: a JSON payload
/// `{"channel": "training_job" | "strategy_status", "id": N, "user_id": N, "type": …, "data": {…}}`,
/// heard by every server's listener whichever server or worker made the change.
///
/// Without Redis it is a `NOTIFY qf_events` sent inside the writer's transaction, so it goes out
/// exactly when the change commits. With Redis (the `Database` has an `eventRelay`), the
/// payloads a transaction announces are kept until it commits and then published on the Redis
/// channel `qf_events`; when Redis fails, or no server subscribes there, they are sent with
/// `NOTIFY` instead, which every server still listens to.
public enum Events {
    public static let channel = "qf_events"

    /// The payloads announced inside the current transaction of a relaying `Database`.
    @TaskLocal static var outbox: Outbox?

    /// Payloads waiting for their transaction to commit.
    final class Outbox: Sendable {
        let payloads = Mutex<[String]>([])
        func add(_ payload: String) { payloads.withLock { $0.append(payload) } }
        func take() -> [String] { payloads.withLock { payloads in defer { payloads = [] }; return payloads } }
    }

    /// The payload of an event about object `id` of `user`.
    public static func payload(channel: String, id: Int, userID: Int?, type: String, data: JSONValue) -> String {
        JSONValue.object(["channel": .string(channel), "id": .int(Int64(id)), "user_id": userID.map { .int(Int64($0)) } ?? .null,
                          "type": .string(type), "data": data]).jsonText
    }

    /// Notifies on `connection` (inside the caller's transaction). PostgreSQL limits a payload to
    /// 8,000 bytes; larger ones are cut down to the ids and type.
    public static func notify(_ payload: String, on connection: PostgresConnection, logger: Logger) async throws {
        if let outbox {
            outbox.add(payload)
            return
        }
        try await connection.query("SELECT pg_notify(\(channel), \(fitted(payload)))", logger: logger)
    }

    /// Notifies outside any transaction (through Redis when `database` relays).
    public static func notify(_ payload: String, database: Database, logger: Logger) async throws {
        if let relay = database.eventRelay {
            await publish([payload], through: relay, fallback: database.primary, logger: logger)
        } else {
            try await notify(payload, on: database.primary, logger: logger)
        }
    }

    public static func notify(_ payload: String, on client: PostgresClient, logger: Logger) async throws {
        try await client.query("SELECT pg_notify(\(channel), \(fitted(payload)))", logger: logger)
    }

    /// Publishes on Redis; what Redis cannot take, or no server hears there, goes by NOTIFY.
    /// Never throws: the change is committed, and an event lost here is one WebSocket message
    /// (logged), which a client recovers by reading the object.
    static func publish(_ payloads: [String], through relay: RedisLink, fallback: PostgresClient, logger: Logger) async {
        for payload in payloads {
            let heard = await relay.attempt("publish") { try await $0.primary.send(["PUBLISH", channel, payload]).integer ?? 0 }
            if let heard, heard > 0 {
                relay.countPublished()
                continue
            }
            do {
                try await notify(payload, on: fallback, logger: logger)
            } catch {
                logger.warning("event lost: neither Redis nor NOTIFY took it", metadata: ["error": .string(String(reflecting: error))])
            }
        }
    }

    static func fitted(_ payload: String) -> String {
        guard payload.utf8.count > 7_900, let object = try? JSONValue.parse(payload).objectValue else { return payload }
        var trimmed = object
        trimmed["data"] = .object(["truncated": .bool(true)])
        return JSONValue.object(trimmed).jsonText
    }
}
