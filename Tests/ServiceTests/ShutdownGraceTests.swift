import Synchronization
@testable import Service
import Testing

/// A pool that never closes must not hold a stopping process (or a test's teardown) for ever:
/// `ShutdownGrace` waits for it the grace after the cancel, on a clock the test moves.
@Suite struct ShutdownGraceTests {
    /// Opened by the test; what a stuck pool waits for.
    final class Gate: Sendable {
        let latch = Latch()
    }

    final class Count: Sendable {
        let value = Mutex(0)
        var current: Int { value.withLock { $0 } }
        func add() { value.withLock { $0 += 1 } }
    }

    @Test func workThatEndsWhenCancelledIsWaitedForWithoutTheGrace() async {
        let clock = ManualClock(), leftBehind = Count(), ended = Count()
        let running = Task {
            await ShutdownGrace.run(grace: .seconds(10), clock: clock, onLeftBehind: { leftBehind.add() }) {
                try? await Task.sleep(for: .seconds(3600))
                ended.add()
            }
        }
        running.cancel()
        // Nothing moves the clock here: returning at all shows the grace was not waited out.
        await running.value
        #expect(ended.current == 1 && leftBehind.current == 0, "the work ended, so it was not left behind")
    }

    @Test func workThatNeverEndsIsLeftBehindAfterTheGrace() async {
        let clock = ManualClock(), leftBehind = Count(), gate = Gate(), returned = Count()
        let running = Task {
            await ShutdownGrace.run(grace: .seconds(10), clock: clock, onLeftBehind: { leftBehind.add() }) {
                await gate.latch.wait()   // ignores cancellation, as a lost statement does
            }
            returned.add()
        }
        running.cancel()
        // The grace's sleep is armed: until the clock passes it, the run must still be waiting.
        while !clock.hasSleeperAhead { await Task.yield() }
        clock.advance(by: .seconds(9))
        for _ in 0..<100 { await Task.yield() }
        #expect(returned.current == 0 && leftBehind.current == 0, "9 s into a 10 s grace it still waits")
        clock.advance(by: .seconds(1))
        await running.value
        #expect(returned.current == 1 && leftBehind.current == 1, "left behind once, at the grace")
        gate.latch.open()
    }

    @Test func workThatEndsByItselfNeedsNoCancel() async {
        let clock = ManualClock(), leftBehind = Count()
        await ShutdownGrace.run(grace: .seconds(10), clock: clock, onLeftBehind: { leftBehind.add() }) {}
        #expect(leftBehind.current == 0)
    }
}
