import NIOCore
import NIOPosix
import Synchronization

/// A few pipelined connections to one Redis server, used round robin, each made again on first
/// use after it closed. When a connection cannot be made, or a command times out or loses its
/// connection, commands fail at once with `RedisError.unavailable` for a back-off (0.25 s,
/// doubling to `maximumBackoff`) instead of each waiting for its own attempt: callers that fall
/// back to another store then lose no time while Redis is away or frozen, and the first command
/// after the back-off tries again.
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    let connectTimeout: TimeAmount
    let commandTimeout: TimeAmount
    let maximumBackoff: TimeAmount
    private let state: Mutex<State>

    private enum Slot {
        case empty
        case connecting(Task<RedisConnection, any Error>)
        case ready(RedisConnection)
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var failures = 0
        var retryAt: NIODeadline?
        var closed = false
    }

    public init(endpoint: RedisEndpoint, connections: Int = 2, connectTimeout: TimeAmount = .seconds(1), commandTimeout: TimeAmount = .milliseconds(500),
                maximumBackoff: TimeAmount = .seconds(5)) {
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maximumBackoff = maximumBackoff
        state = Mutex(State(slots: Array(repeating: .empty, count: max(1, connections))))
    }

    /// Sends one command on the next connection; `-ERR` replies throw `RedisError.server`.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        let (index, connection) = try await connection()
        do {
            let reply = try await connection.send(arguments)
            state.withLock { state in
                state.failures = 0
                state.retryAt = nil
            }
            return reply
        } catch RedisError.server(let message) {
            throw RedisError.server(message)
        } catch {
            forget(index, connection)
            backOff()
            throw error
        }
    }

    /// Closes every connection; later commands fail.
    public func close() {
        let slots = state.withLock { state -> [Slot] in
            state.closed = true
            defer { state.slots = state.slots.map { _ in .empty } }
            return state.slots
        }
        for slot in slots {
            switch slot {
            case .ready(let connection): connection.close()
            case .connecting(let task): task.cancel()
            case .empty: break
            }
        }
    }

    private enum Next {
        case ready(RedisConnection)
        case wait(Task<RedisConnection, any Error>)
        case refuse(RedisError)
    }

    private func connection() async throws -> (Int, RedisConnection) {
        let endpoint = self.endpoint, connectTimeout = self.connectTimeout, commandTimeout = self.commandTimeout
        let (index, next) = state.withLock { state -> (Int, Next) in
            let index = state.next % state.slots.count
            state.next &+= 1
            if state.closed { return (index, .refuse(.unavailable("the client is closed"))) }
            switch state.slots[index] {
            case .ready(let connection) where connection.isActive:
                return (index, .ready(connection))
            case .connecting(let task):
                return (index, .wait(task))
            case .ready, .empty:
                if let retryAt = state.retryAt, retryAt > .now() {
                    return (index, .refuse(.unavailable("\(endpoint) could not be reached; trying again in \((retryAt - .now()).nanoseconds / 1_000_000) ms")))
                }
                let task = Task { try await RedisConnection.connect(to: endpoint, connectTimeout: connectTimeout, commandTimeout: commandTimeout) }
                state.slots[index] = .connecting(task)
                return (index, .wait(task))
            }
        }
        switch next {
        case .ready(let connection):
            return (index, connection)
        case .refuse(let error):
            throw error
        case .wait(let task):
            do {
                let connection = try await task.value
                state.withLock { state in
                    if case .connecting = state.slots[index], !state.closed { state.slots[index] = .ready(connection) }
                    state.failures = 0
                    state.retryAt = nil
                }
                return (index, connection)
            } catch {
                state.withLock { state in
                    if case .connecting = state.slots[index] { state.slots[index] = .empty }
                }
                backOff()
                throw error
            }
        }
    }

    /// Refuses commands for the next back-off period, doubling it each time in a row.
    private func backOff() {
        let maximum = maximumBackoff
        state.withLock { state in
            let delay = min(TimeAmount.milliseconds(250 << min(state.failures, 10)), maximum)
            state.failures += 1
            state.retryAt = .now() + delay
        }
    }

    /// Drops a connection that failed, so the next command on its slot makes a new one.
    private func forget(_ index: Int, _ connection: RedisConnection) {
        connection.close()
        state.withLock { state in
            if case .ready(let current) = state.slots[index], current === connection { state.slots[index] = .empty }
        }
    }
}
