import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOCore
@testable import Service
import Synchronization
import Testing

/// A request whose handler stalls — waiting on a statement PostgresNIO lost, which never answers
/// and ignores cancellation — is answered 503 `request_stalled` once it has gone the handler
/// timeout without progress, instead of hanging its client; the server keeps serving, and the
/// stalled handler may still end later. A request body arriving chunk by chunk is progress, so an
/// upload is never cut while its bytes come.
@Suite struct RequestDeadlineTests {
    /// Something a handler waits on that only the test can end: it ignores cancellation, like the
    /// lost statement.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state -> Bool in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            for waiter in state.withLock({ state -> [CheckedContinuation<Void, Never>] in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }) { waiter.resume() }
        }
    }

    /// A value several tasks read and write.
    final class Shared<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        func withLock<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
    }

    /// On a clock the test moves: the stalled request is answered once the clock passes the
    /// default 60 s; every other request meanwhile has its whole 60 s, however busy the machine.
    @Test func aStalledRequestIsAnswered503AndTheServerGoesOn() async throws {
        let gate = Gate()
        let finished = Shared(false)
        let clock = ManualClock()
        let origin = "https://research.example.com"
        let policy = try CORSPolicy.resolve(environment: ["QF_CORS_ORIGINS": origin])
        #expect(HTTPLimits().handlerTimeout == .seconds(60))
        try await TestAPI.with("request_deadline", extraRoutes: { router in
            router.get("/test/stall") { _, _ -> String in
                await gate.wait()
                finished.withLock { $0 = true }
                return "late"
            }
        }, cors: policy, deadlineClock: clock) { api in
            var headers = HTTPFields()
            headers[EnvelopeMiddleware.requestIDField] = "stall-1"
            headers[.origin] = origin
            // Without the deadline the route would wait for ever, and nothing would sleep on the
            // clock: a minute later (real time, only ever reached when the deadline is missing)
            // the route is let go, so the test fails (a 200) instead of hanging.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                gate.open()
            }
            defer { watchdog.cancel() }
            let call = Task { try await api.client.execute(uri: "/test/stall", method: .get, headers: headers) { $0 } }
            // The request is under way once the deadline's watch sleeps; then 60 s pass.
            while !clock.hasSleeperAhead && !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            clock.advance(by: .seconds(60))
            let response = try await call.value
            let stalled = (status: response.status, headers: response.headers, body: try TestAPI.json(response))
            #expect(stalled.status == .serviceUnavailable)
            #expect((stalled.body["error"] as? [String: Any])?["type"] as? String == "request_stalled", "\(stalled.body)")
            #expect(stalled.body["request_id"] as? String == "stall-1")
            #expect(stalled.headers[EnvelopeMiddleware.requestIDField] == "stall-1")
            #expect(stalled.headers[.retryAfter] == String(DatabaseAvailability.retryAfterSeconds))
            #expect(stalled.headers[.accessControlAllowOrigin] == origin, "CORS headers on the deadline's own answer too")
            #expect(!finished.withLock { $0 }, "answered while the handler still waits")

            // The server goes on: other requests are answered as usual (the database ones too).
            #expect(try await api.call(.get, "/healthz").status == .ok)
            let (token, _, _) = try await api.signUp("after_stall")
            var own = HTTPFields()
            own[EnvelopeMiddleware.requestIDField] = "fine-1"
            let profile = try await api.call(.get, "/api/v1/users/me", token: token, headers: own)
            #expect(profile.status == .ok && profile.headers[EnvelopeMiddleware.requestIDField] == "fine-1", "the route's own answer and the client's id")
            let generated = try await api.call(.get, "/api/v1/users/me")
            #expect(generated.status == .unauthorized && generated.headers[EnvelopeMiddleware.requestIDField]?.hasPrefix("req_") == true)
            let metrics = try await api.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("http_requests_total{") && $0.contains("route=\"stalled\"") && $0.contains("status=\"503\"") },
                    "\(metrics)")

            // The stalled handler ends whenever its wait does.
            gate.open()
            while !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            try await Self.letIdleWatchEnd(clock)
        }
    }

    /// On a clock the test moves: a body whose chunks come 9 s apart keeps a 10 s deadline from
    /// firing for as long as they come (45 s in all); once the body has ended, 10 s without an
    /// answer fire it.
    @Test func bodyChunksAreProgressAndSilenceAfterThemIsNot() async throws {
        let clock = ManualClock()
        let limit = Duration.seconds(10)
        let watch = StallWatch(limit: limit, clock: clock)
        let progress = watch.progress()
        let (chunks, feed) = AsyncStream<ByteBuffer>.makeStream()
        let body = ProgressNotingBody(base: HummingbirdCore.RequestBody(asyncSequence: chunks), progress: progress)
        let (received, signal) = AsyncStream<Int>.makeStream()
        let gate = Gate()
        let sawCancellation = Shared(false)
        let outcome = Shared<Result<Int, any Error>?>(nil)
        let caller = Task {
            let result = await Result(awaiting: {
                try await watch.run(progress: progress) { () async throws -> Int in
                    var bytes = 0
                    for try await chunk in body {
                        bytes += chunk.readableBytes
                        if Task.isCancelled { sawCancellation.withLock { $0 = true } }
                        signal.yield(bytes)
                    }
                    signal.yield(-1)
                    await gate.wait()
                    return bytes
                }
            })
            outcome.withLock { $0 = result }
        }
        /// Waits until the deadline's timer sleeps again (it did not fire) or the caller has its outcome.
        func settle() async throws {
            while !clock.hasSleeperAhead && outcome.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(1)) }
        }

        defer { gate.open() }
        var receipts = received.makeAsyncIterator()
        for chunk in 1...5 {
            feed.yield(ByteBuffer(repeating: 7, count: 100))
            #expect(await receipts.next() == 100 * chunk)
            clock.advance(by: .seconds(9))
            try await settle()
            // A deadline that fired early ends the body's reader: stop here rather than wait for it.
            try #require(outcome.withLock { $0 == nil }, "chunk \(chunk): 9 s after a chunk, the deadline has not fired")
        }
        feed.finish()
        #expect(await receipts.next() == -1)
        clock.advance(by: .seconds(9))
        try await settle()
        try #require(outcome.withLock { $0 == nil }, "9 s after the body ended: not yet")
        clock.advance(by: .seconds(1))
        await caller.value
        let result = try #require(outcome.withLock { $0 })
        #expect(throws: StallDeadline.Exceeded.self) { try result.get() }
        #expect(!sawCancellation.withLock { $0 }, "never cancelled while its body was arriving")
        #expect(watch.watchedCount == 0)
        try await Self.letIdleWatchEnd(clock)
    }

    /// One watch on a 60 s limit, stalled work started 0, 30 and 45 s in, and work that answers
    /// at 45 s: each stalled one is given up on at its own deadline (60, 90, 105 s), not before.
    @Test func aWatchGivesUpOnEachWorkAtItsOwnDeadline() async throws {
        let clock = ManualClock()
        let watch = StallWatch(limit: .seconds(60), clock: clock)
        let gate = Gate()
        defer { gate.open() }
        let outcomes = Shared<[String: Result<String, any Error>]>([:])
        func start(_ name: String, answering: Bool = false) -> Task<Void, Never> {
            let progress = watch.progress()
            return Task {
                let result = await Result(awaiting: {
                    try await watch.run(progress: progress) { () async throws -> String in
                        if !answering { await gate.wait() }
                        return name
                    }
                })
                outcomes.withLock { $0[name] = result }
            }
        }
        func settle() async throws {
            while !clock.hasSleeperAhead { try await Task.sleep(for: .milliseconds(1)) }
        }
        // The watch drops what it gives up on before it sleeps again: once it sleeps, its count
        // says exactly what is still watched (a broken watch fails here instead of hanging).
        let first = start("first")
        try await settle()
        clock.advance(by: .seconds(30))
        let second = start("second")
        clock.advance(by: .seconds(15))
        let third = start("third")
        await start("quick", answering: true).value
        #expect(try outcomes.withLock { $0["quick"] }?.get() == "quick")
        try await settle()
        try #require(watch.watchedCount == 3, "45 s in: nothing given up on yet")
        clock.advance(by: .seconds(15))
        try await settle()
        try #require(watch.watchedCount == 2, "60 s in: the first given up on")
        await first.value
        #expect(throws: StallDeadline.Exceeded.self) { try outcomes.withLock { $0["first"] }?.get() }
        clock.advance(by: .seconds(29))
        try await settle()
        try #require(watch.watchedCount == 2, "89 s in: not yet the second")
        clock.advance(by: .seconds(1))
        try await settle()
        try #require(watch.watchedCount == 1, "90 s in: the second given up on")
        clock.advance(by: .seconds(15))
        await second.value
        await third.value
        for name in ["second", "third"] {
            #expect(throws: StallDeadline.Exceeded.self, "\(name)") { try outcomes.withLock { $0[name] }?.get() }
        }
        #expect(watch.watchedCount == 0)
        try await Self.letIdleWatchEnd(clock)
    }

    /// Moves `clock` past a watch's idle spell once its watching task sleeps, so that task ends.
    static func letIdleWatchEnd(_ clock: ManualClock) async throws {
        while !clock.hasSleeperAhead { try await Task.sleep(for: .milliseconds(1)) }
        clock.advance(by: .seconds(3_600))
    }
}

extension Result where Failure == any Error {
    /// The outcome of `body`, thrown errors included.
    init(awaiting body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
