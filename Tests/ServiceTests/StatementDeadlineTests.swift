@testable import Service
import Testing

/// A worker's statement that never answers (PostgresNIO can lose one whose connection dies as it
/// is sent) is given up on after the deadline, and a cancelled caller stops waiting at once; a
/// task handler stuck in such a statement is left behind once the grace after stopping it ends.
@Suite struct StatementDeadlineTests {
    /// Work that never ends and ignores cancellation, like the lost statement.
    static func never() async -> Int {
        await withCheckedContinuation { (_: CheckedContinuation<Int, Never>) in }
    }

    @Test func anAnswerInTimeIsReturned() async throws {
        #expect(try await StatementDeadline.run(seconds: 60) { 42 } == 42)
        await #expect(throws: TestFailure.self) { try await StatementDeadline.run(seconds: 60) { () -> Int in throw TestFailure("refused") } }
    }

    @Test func aStatementThatNeverAnswersIsGivenUpOn() async throws {
        await #expect(throws: StatementDeadline.Exceeded.self) { try await StatementDeadline.run(seconds: 0.2) { await Self.never() } }
    }

    @Test func aCancelledCallerStopsWaitingAtOnce() async throws {
        let waiting = Task { try await StatementDeadline.run(seconds: 3_600) { await Self.never() } }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func aStoppedHandlerThatCannotStopIsLeftBehind() async throws {
        let run = HandlerRun(graceSeconds: 0.2) { .int(Int64(await Self.never())) }
        run.stop()
        let outcome = await run.outcome
        #expect(throws: HandlerRun.DidNotStop.self) { try outcome.get() }
    }

    @Test func aStoppedHandlerThatStopsGivesItsOwnOutcome() async throws {
        // A long grace: the handler ends as soon as it sees the cancellation, however busy the machine.
        let run = HandlerRun(graceSeconds: 3_600) {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
            return .string("stopped at a safe point")
        }
        run.stop()
        #expect(try await run.outcome.get() == .string("stopped at a safe point"))
        let finished = HandlerRun(graceSeconds: 3_600) { .int(7) }
        #expect(try await finished.outcome.get() == .int(7), "not stopped: its own outcome")
    }
}
