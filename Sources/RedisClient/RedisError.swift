/// What can go wrong talking to Redis. Callers that keep working without Redis (the service's
/// caches) treat every case alike: fall back and try Redis again later.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered `-ERR …` (wrong type, unknown command, bad password).
    case server(String)
    /// The bytes were not RESP.
    case protocolViolation(String)
    /// No connection could be made, or it closed with commands unanswered.
    case connectionClosed(String)
    /// No answer within the command timeout; the connection is closed, since later answers could
    /// no longer be matched to their commands.
    case timedOut(milliseconds: Int64)
    /// A recent attempt to connect failed; commands fail at once until the back-off ends.
    case unavailable(String)
    /// A `redis://` URL or a Redis setting that cannot be used.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .server(let message): "Redis refused the command: \(message)"
        case .protocolViolation(let detail): "Redis protocol violation: \(detail)"
        case .connectionClosed(let detail): "Redis connection closed: \(detail)"
        case .timedOut(let milliseconds): "Redis did not answer within \(milliseconds) ms"
        case .unavailable(let detail): "Redis unavailable: \(detail)"
        case .invalidConfiguration(let detail): detail
        }
    }
}
