import Logging
import PostgresNIO

/// What workers and the API announce on `NOTIFY qf_events` for the WebSocket: a JSON payload
/// `{"channel": "training_job" | "strategy_status", "id": N, "user_id": N, "type": …, "data": {…}}`.
/// Sent inside the writer's transaction, so it goes out exactly when the change commits, and
/// every server's listener hears it whichever server or worker made the change.
public enum Events {
    public static let channel = "qf_events"

    /// The payload of an event about object `id` of `user`.
    public static func payload(channel: String, id: Int, userID: Int?, type: String, data: JSONValue) -> String {
        JSONValue.object(["channel": .string(channel), "id": .int(Int64(id)), "user_id": userID.map { .int(Int64($0)) } ?? .null,
                          "type": .string(type), "data": data]).jsonText
    }

    /// Notifies on `connection` (inside the caller's transaction). PostgreSQL limits a payload to
    /// 8,000 bytes; larger ones are cut down to the ids and type.
    public static func notify(_ payload: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \(fitted(payload)))", logger: logger)
    }

    public static func notify(_ payload: String, on client: PostgresClient, logger: Logger) async throws {
        try await client.query("SELECT pg_notify(\(channel), \(fitted(payload)))", logger: logger)
    }

    static func fitted(_ payload: String) -> String {
        guard payload.utf8.count > 7_900, let object = try? JSONValue.parse(payload).objectValue else { return payload }
        var trimmed = object
        trimmed["data"] = .object(["truncated": .bool(true)])
        return JSONValue.object(trimmed).jsonText
    }
}
