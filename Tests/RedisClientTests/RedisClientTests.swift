import NIOCore
import RedisServer
import Testing
@testable import RedisClient

/// The client against a real `redis-server` of the test's own.
@Suite struct RedisClientTests {
    static func endpoint(_ server: RedisServer) -> RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: server.port) }
    /// Long enough that a busy machine (the whole suite runs at once on two cores) never turns a
    /// connection or an answer into a timeout; only the timeout test uses a short command timeout.
    static let patient = TimeAmount.seconds(30)

    @Test func commandsRoundTripBinarySafeValues() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: Self.endpoint(server), connectTimeout: Self.patient, commandTimeout: Self.patient)
        defer { client.close() }
        let value = "line one\r\nline two\t é ✓ " + String(repeating: "x", count: 100_000)
        #expect(try await client.send(["SET", "k", value]) == .simpleString("OK"))
        #expect(try await client.send(["GET", "k"]).string == value)
        #expect(try await client.send(["GET", "missing"]).isNull)
        #expect(try await client.send(["RPUSH", "list", "a", "b", "c"]).integer == 3)
        #expect(try await client.send(["LRANGE", "list", "0", "-1"]).elements?.compactMap(\.string) == ["a", "b", "c"])
        #expect(try await client.send(["DEL", "k", "list"]).integer == 2)
    }

    @Test func aRefusedCommandIsAServerErrorAndTheConnectionGoesOn() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: Self.endpoint(server), connections: 1, connectTimeout: Self.patient, commandTimeout: Self.patient)
        defer { client.close() }
        try await client.send(["SET", "s", "text"])
        await #expect {
            try await client.send(["INCR", "s"])
        } throws: { error in
            guard case RedisError.server(let message) = error else { return false }
            return message.contains("not an integer")
        }
        #expect(try await client.send(["GET", "s"]).string == "text")
    }

    /// Many commands at once over one connection: each gets its own answer, in order.
    @Test func concurrentCommandsArePipelinedAndEachGetsItsOwnAnswer() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: Self.endpoint(server), connections: 1, connectTimeout: Self.patient, commandTimeout: Self.patient)
        defer { client.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<2000 {
                group.addTask {
                    try await client.send(["SET", "key:\(i)", "value:\(i)"])
                    let read = try await client.send(["GET", "key:\(i)"])
                    #expect(read.string == "value:\(i)")
                }
            }
            try await group.waitForAll()
        }
        let counters = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<500 { group.addTask { try await client.send(["INCR", "counter"]).integer ?? -1 } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(counters.sorted() == Array(1...500))
    }

    @Test func aSlowAnswerTimesOutAndTheNextCommandReconnects() async throws {
        let server = try RedisServer(options: ["--enable-debug-command", "local"])
        let client = RedisClient(endpoint: Self.endpoint(server), connections: 1, connectTimeout: Self.patient, commandTimeout: .milliseconds(100))
        defer { client.close() }
        await #expect(throws: RedisError.timedOut(milliseconds: 100)) {
            try await client.send(["DEBUG", "SLEEP", "0.5"])
        }
        // Wait for the server to finish sleeping (it answers nothing meanwhile), then use a new connection.
        var answered = false
        for _ in 0..<3000 where !answered {
            answered = (try? await client.send(["PING"])) == .simpleString("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(answered)
    }

    /// Redis killed: commands fail (quickly, during the back-off) rather than hang; restarted, the
    /// client reconnects by itself.
    @Test func anOutageFailsCommandsAndTheClientComesBackWithTheServer() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: Self.endpoint(server), connectTimeout: Self.patient, commandTimeout: Self.patient, maximumBackoff: .milliseconds(200))
        defer { client.close() }
        try await client.send(["SET", "before", "1"])
        server.stop()
        for _ in 0..<5 {
            await #expect(throws: RedisError.self) { try await client.send(["GET", "before"]) }
        }
        try server.start()
        var back = false
        for _ in 0..<3000 where !back {
            back = (try? await client.send(["PING"])) == .simpleString("PONG")
            if !back { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(back)
        #expect(try await client.send(["GET", "before"]).isNull)   // A new server without persistence.
    }

    @Test func aPasswordAndADatabaseFromTheURLAreUsed() async throws {
        let server = try RedisServer(options: ["--requirepass", "p@ss word"])
        let wrong = RedisClient(endpoint: try RedisEndpoint(url: "redis://:nope@127.0.0.1:\(server.port)", name: "REDIS_URL"), connectTimeout: Self.patient, commandTimeout: Self.patient)
        defer { wrong.close() }
        await #expect {
            try await wrong.send(["PING"])
        } throws: { error in
            String(describing: error).contains("WRONGPASS") || String(describing: error).contains("invalid")
        }
        let right = RedisClient(endpoint: try RedisEndpoint(url: "redis://:p%40ss%20word@127.0.0.1:\(server.port)/3", name: "REDIS_URL"), connectTimeout: Self.patient, commandTimeout: Self.patient)
        defer { right.close() }
        try await right.send(["SET", "in3", "yes"])
        #expect(try await right.send(["CLIENT", "INFO"]).string?.contains("db=3") == true)
    }

    @Test func aReplicaServesWhatThePrimaryWrote() async throws {
        let primary = try RedisServer()
        let replica = try RedisServer(replicaOf: primary)
        let writes = RedisClient(endpoint: Self.endpoint(primary), connectTimeout: Self.patient, commandTimeout: Self.patient)
        let reads = RedisClient(endpoint: Self.endpoint(replica), connectTimeout: Self.patient, commandTimeout: Self.patient)
        defer { writes.close(); reads.close() }
        // The replica syncs after it starts: wait until the primary counts it.
        var linked = false
        for _ in 0..<6000 where !linked {
            linked = (try await writes.send(["INFO", "replication"]).string ?? "").contains("connected_slaves:1")
            if !linked { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(linked)
        try await writes.send(["SET", "shared", "42"])
        var acknowledged: Int64 = 0
        for _ in 0..<600 where acknowledged < 1 { acknowledged = try await writes.send(["WAIT", "1", "100"]).integer ?? 0 }
        #expect(acknowledged == 1)
        #expect(try await reads.send(["GET", "shared"]).string == "42")
        await #expect(throws: RedisError.self) { try await reads.send(["SET", "x", "1"]) }   // READONLY
    }
}

/// Pub/sub against a real server: what is published after the subscription is confirmed
/// arrives, in order; a server that goes away ends the subscription with an error.
@Suite struct RedisSubscriberTests {
    @Test func publishedMessagesArriveInOrderAndAnOutageEndsTheSubscription() async throws {
        let server = try RedisServer()
        let publisher = RedisClient(endpoint: RedisClientTests.endpoint(server), connectTimeout: RedisClientTests.patient, commandTimeout: RedisClientTests.patient)
        defer { publisher.close() }
        let (subscribed, confirm) = AsyncStream.makeStream(of: Void.self)
        let (messages, deliver) = AsyncStream.makeStream(of: String.self)
        let subscription = Task {
            try await RedisSubscriber.run(endpoint: RedisClientTests.endpoint(server), channel: "events", connectTimeout: RedisClientTests.patient,
                                          onSubscribed: { confirm.yield() }, onMessage: { deliver.yield(String(decoding: $0, as: UTF8.self)) })
        }
        for await _ in subscribed { break }
        for i in 0..<100 { #expect(try await publisher.send(["PUBLISH", "events", "message \(i)\r\n✓"]).integer == 1) }
        #expect(try await publisher.send(["PUBLISH", "elsewhere", "not for us"]).integer == 0)
        var received: [String] = []
        for await message in messages {
            received.append(message)
            if received.count == 100 { break }
        }
        #expect(received == (0..<100).map { "message \($0)\r\n✓" })
        server.stop()
        await #expect(throws: RedisError.self) { try await subscription.value }
    }
}
