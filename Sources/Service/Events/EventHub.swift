import Synchronization

/// The fan-out of one server: each WebSocket connection registers a bounded outbox and the keys
/// it subscribed to (`training_job:7`, `strategy_status:3`); an event is copied into every
/// matching outbox without waiting. An outbox that is full — a client not reading — is closed and
/// its connection dropped, so a slow client never holds up the others or the listener.
public final class EventHub: Sendable {
    /// One connection's view.
    public final class Subscriber: Sendable {
        public let id: Int
        public let userID: Int
        let keys = Mutex<Set<String>>([])
        let continuation: AsyncStream<String>.Continuation
        public let messages: AsyncStream<String>

        init(id: Int, userID: Int, capacity: Int) {
            self.id = id
            self.userID = userID
            (messages, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(capacity))
        }

        public func subscribe(_ key: String) { keys.withLock { _ = $0.insert(key) } }
        public func unsubscribe(_ key: String) { keys.withLock { _ = $0.remove(key) } }
        public var subscriptions: Set<String> { keys.withLock { $0 } }

        /// Queues a message; false (and the stream finished) when the outbox was full.
        @discardableResult
        public func send(_ message: String) -> Bool {
            switch continuation.yield(message) {
            case .enqueued: return true
            case .dropped, .terminated:
                continuation.finish()
                return false
            @unknown default:
                return false
            }
        }
    }

    let state = Mutex<(next: Int, subscribers: [Int: Subscriber])>((0, [:]))
    public let capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = capacity
    }

    public func register(userID: Int) -> Subscriber {
        state.withLock { state in
            state.next += 1
            let subscriber = Subscriber(id: state.next, userID: userID, capacity: capacity)
            state.subscribers[state.next] = subscriber
            return subscriber
        }
    }

    public func remove(_ subscriber: Subscriber) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: subscriber.id) }
        subscriber.continuation.finish()
    }

    public var count: Int { state.withLock { $0.subscribers.count } }

    /// Delivers `message` to every subscriber of `key`; returns how many got it.
    @discardableResult
    public func publish(_ message: String, to key: String) -> Int {
        let targets = state.withLock { $0.subscribers.values.filter { $0.subscriptions.contains(key) } }
        var delivered = 0
        for subscriber in targets where subscriber.send(message) { delivered += 1 }
        return delivered
    }
}
