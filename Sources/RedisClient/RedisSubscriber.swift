import NIOCore

/// Pub/sub: a connection of its own in subscribe mode (Redis allows nothing else on it).
public enum RedisSubscriber {
    /// Subscribes to `channel` and hands every message's payload to `onMessage` until the task is
    /// cancelled (returns) or the connection ends (throws `RedisError.connectionClosed`).
    /// `onSubscribed` runs once Redis has confirmed the subscription: messages published from then
    /// on arrive.
    public static func run(endpoint: RedisEndpoint, channel: String, connectTimeout: TimeAmount = .seconds(1),
                           onSubscribed: @Sendable () -> Void = {}, onMessage: @escaping @Sendable ([UInt8]) -> Void) async throws {
        let connection = try await RedisConnection.connect(to: endpoint, connectTimeout: connectTimeout, commandTimeout: .seconds(10)) { value in
            guard let parts = value.elements, parts.count == 3, parts[1].string == channel, case .bulkString(let payload?) = parts[2] else { return }
            onMessage(payload)
        }
        try await withTaskCancellationHandler {
            defer { connection.close() }
            let confirmation = try await connection.send(["SUBSCRIBE", channel])
            guard confirmation.elements?.first?.string == "subscribe" else {
                throw RedisError.protocolViolation("SUBSCRIBE answered \(confirmation)")
            }
            onSubscribed()
            await connection.closed()
            if !Task.isCancelled { throw RedisError.connectionClosed("the subscription to \(channel) on \(endpoint) ended") }
        } onCancel: {
            connection.close()
        }
    }
}
