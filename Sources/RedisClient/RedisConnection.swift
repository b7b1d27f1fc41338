import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to a Redis server. Commands may be sent concurrently: they are pipelined
/// and answered in order. A command unanswered within `commandTimeout` closes the connection
/// (its later answers could no longer be matched), failing it and every command behind it.
public final class RedisConnection: Sendable {
    let channel: any Channel
    public let endpoint: RedisEndpoint
    public let commandTimeout: TimeAmount

    private init(channel: any Channel, endpoint: RedisEndpoint, commandTimeout: TimeAmount) {
        self.channel = channel
        self.endpoint = endpoint
        self.commandTimeout = commandTimeout
    }

    /// Connects, then signs in (`AUTH`) and selects the database when the endpoint says so.
    /// `onMessage` receives pub/sub messages (`["message", channel, payload]`).
    public static func connect(to endpoint: RedisEndpoint, connectTimeout: TimeAmount = .seconds(1), commandTimeout: TimeAmount = .milliseconds(500),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                               onMessage: (@Sendable (RESPValue) -> Void)? = nil) async throws -> RedisConnection {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RESPChannelHandler(onMessage: onMessage))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw RedisError.connectionClosed("could not connect to \(endpoint): \(error)")
        }
        let connection = RedisConnection(channel: channel, endpoint: endpoint, commandTimeout: commandTimeout)
        do {
            if let password = endpoint.password {
                _ = try await connection.send(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            }
            if endpoint.database != 0 { _ = try await connection.send(["SELECT", String(endpoint.database)]) }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Sends one command and waits for its reply; a `-ERR` reply throws `RedisError.server`.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        var bytes = channel.allocator.buffer(capacity: 64)
        RESPCommand.encode(arguments, into: &bytes)
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let timedOut = TimeoutFlag()
        let channel = self.channel
        let timeout = channel.eventLoop.scheduleTask(in: commandTimeout) {
            timedOut.fired.store(true, ordering: .relaxed)
            channel.close(promise: nil)
        }
        // A write that cannot happen (the connection already closed) never reaches the handler's
        // queue, so its failure must fail the request here.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { promise.fail(RedisError.connectionClosed("the command could not be written: \($0)")) }
        channel.writeAndFlush(RedisRequest(bytes: bytes, promise: promise), promise: written)
        let reply: RESPValue
        do {
            reply = try await promise.futureResult.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            if timedOut.fired.load(ordering: .relaxed) { throw RedisError.timedOut(milliseconds: commandTimeout.nanoseconds / 1_000_000) }
            throw error
        }
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Returns when the connection has closed (the server went away, or `close()`).
    public func closed() async {
        try? await channel.closeFuture.get()
    }

    /// Closes the connection; commands still waiting fail.
    public func close() {
        channel.close(promise: nil)
    }
}

/// Set by a command's timeout before it closes the connection, so the command reports a timeout
/// rather than the closed connection that follows.
private final class TimeoutFlag: Sendable {
    let fired = Atomic<Bool>(false)
}
