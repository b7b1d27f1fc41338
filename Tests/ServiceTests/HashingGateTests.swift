import Foundation
import HTTPTypes
import NIOCore
@testable import Service
import Synchronization
import Testing

/// Bounded bcrypt (issue 16): a fixed number of hashes at once, a short queue, 503 with
/// `Retry-After` beyond it, and no hash for a client that has gone. Each test holds the gate's
/// slots with work that waits for the test's signal, so nothing depends on how fast hashing is.
@Suite struct HashingGateTests {
    /// Work that runs until `release()`.
    final class Blocker: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation
        let started = Atomic(0)

        init() { (stream, continuation) = AsyncStream.makeStream() }

        func hold() async {
            started.add(1, ordering: .sequentiallyConsistent)
            for await _ in stream { return }
        }

        func release() { continuation.yield(); continuation.finish() }
    }

    /// Waits until `condition` holds, failing only if nothing changes for a long time.
    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<12_000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        guard condition() else { throw TestFailure("never happened: \(what)") }
    }

    @Test func aFullQueueIsToldWhenToComeBackAndWaitersRunInTurn() async throws {
        let gate = HashingGate(slots: 1, queueLimit: 1)
        let blocker = Blocker()
        let ran = Atomic(0)
        async let first: Void = gate.run(clientIsThere: { true }) { await blocker.hold() }
        try await Self.eventually("the first holds the slot") { blocker.started.load(ordering: .sequentiallyConsistent) == 1 }
        async let second: Void = gate.run(clientIsThere: { true }) { ran.add(1, ordering: .sequentiallyConsistent) }
        try await Self.eventually("the second waits") { gate.load.waiting == 1 }
        // Slot and queue are full: the third is refused at once with a time to come back.
        let refusal = await #expect(throws: APIError.self) { try await gate.run(clientIsThere: { true }) { ran.add(1, ordering: .sequentiallyConsistent) } }
        #expect(refusal?.status == .serviceUnavailable && (refusal?.retryAfterSeconds ?? 0) >= 1)
        #expect(ran.load(ordering: .sequentiallyConsistent) == 0)
        blocker.release()
        try await first
        try await second
        #expect(ran.load(ordering: .sequentiallyConsistent) == 1, "the waiter ran once its turn came")
        #expect(gate.load == (0, 0))
    }

    @Test func aWaiterWhoseClientLeftIsDroppedUnhashed() async throws {
        let gate = HashingGate(slots: 1, queueLimit: 4)
        let blocker = Blocker()
        let present = Atomic(true), ran = Atomic(0)
        async let first: Void = gate.run(clientIsThere: { true }) { await blocker.hold() }
        try await Self.eventually("the first holds the slot") { blocker.started.load(ordering: .sequentiallyConsistent) == 1 }
        let waiter = Task { try await gate.run(clientIsThere: { present.load(ordering: .sequentiallyConsistent) }) { ran.add(1, ordering: .sequentiallyConsistent) } }
        try await Self.eventually("the second waits") { gate.load.waiting == 1 }
        present.store(false, ordering: .sequentiallyConsistent)
        blocker.release()
        try await first
        let outcome = await waiter.result
        #expect(throws: ChannelError.self) { try outcome.get() }
        #expect(ran.load(ordering: .sequentiallyConsistent) == 0, "no hash for a client that has gone")
        #expect(gate.load == (0, 0))
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let gate = HashingGate(slots: 1, queueLimit: 4)
        let blocker = Blocker()
        async let first: Void = gate.run(clientIsThere: { true }) { await blocker.hold() }
        try await Self.eventually("the first holds the slot") { blocker.started.load(ordering: .sequentiallyConsistent) == 1 }
        let waiter = Task { try await gate.run(clientIsThere: { true }) {} }
        try await Self.eventually("the second waits") { gate.load.waiting == 1 }
        waiter.cancel()
        try await Self.eventually("the cancelled waiter left") { gate.load.waiting == 0 }
        blocker.release()
        try await first
        #expect(gate.load == (0, 0))
    }

    /// Through the API: with the only slot held and no queue, a login is a 503 in the envelope
    /// with `Retry-After`; once the slot is free, the same login succeeds.
    @Test func loginsBeyondTheQueueAre503WithRetryAfter() async throws {
        try await TestAPI.with("hashing_gate", auth: { $0.bcryptSlots = 1; $0.bcryptQueue = 0 }) { api in
            _ = try await api.signUp("crowd")
            let blocker = Blocker()
            async let holding: Void = api.auth.hasher.gate.run(clientIsThere: { true }) { await blocker.hold() }
            try await Self.eventually("the slot is held") { blocker.started.load(ordering: .sequentiallyConsistent) == 1 }
            let busy = try await api.call(.post, "/api/v1/auth/login", json: ["username": "crowd", "password": "correct-horse-42"])
            #expect(busy.status == .serviceUnavailable && busy.body.error["type"] as? String == "service_unavailable")
            #expect(Int(busy.headers[.retryAfter] ?? "") ?? 0 >= 1)
            blocker.release()
            try await holding
            #expect(try await api.call(.post, "/api/v1/auth/login", json: ["username": "crowd", "password": "correct-horse-42"]).status == .ok)
        }
    }
}
