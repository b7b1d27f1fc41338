@testable import Service
import Testing

/// A worker's statement that never answers (PostgresNIO can lose one whose connection dies as it
/// is sent) is given up on after the deadline, and a cancelled caller stops waiting at once.
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
}
