import NIOCore
import Synchronization

/// Whether a request's client is still connected. The server allows remote half-closure, so a
/// client that closed its socket leaves the channel active with its input closed;
/// `RequestHeadGuard` records such connections here until they go inactive. Expensive work
/// that is only worth doing for a waiting client (a bcrypt hash) asks first.
enum ClientPresence {
    /// Departed connections, with their client's port (for tests to find theirs).
    private static let departed = Mutex<[ObjectIdentifier: Int?]>([:])

    static func markDeparted(_ channel: any Channel) {
        let port = channel.remoteAddress?.port
        departed.withLock { $0[ObjectIdentifier(channel)] = port }
    }

    /// Whether the connection from the client's `port` on this host has been seen closing.
    static func hasDeparted(clientPort port: Int) -> Bool {
        departed.withLock { $0.values.contains(port) }
    }

    static func forget(_ channel: any Channel) {
        _ = departed.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// True without a channel (router tests have no socket).
    static func isThere(_ channel: (any Channel)?) -> Bool {
        guard let channel else { return true }
        return channel.isActive && departed.withLock { $0[ObjectIdentifier(channel)] == nil }
    }
}
