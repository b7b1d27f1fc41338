import Agents
import Testing

@Suite struct ExplorationScheduleTests {
    @Test func decaysLinearlyThenHolds() {
        let s = ExplorationSchedule(initial: 1, final: 0.05, fraction: 0.1, totalSteps: 10_000)
        #expect(s.epsilon(at: 0) == 1)
        #expect(abs(s.epsilon(at: 500) - 0.525) < 1e-12)
        #expect(abs(s.epsilon(at: 1000) - 0.05) < 1e-12)
        #expect(abs(s.epsilon(at: 9_999) - 0.05) < 1e-12)
        #expect(ExplorationSchedule(fraction: 0, totalSteps: 100).epsilon(at: 0) == 0.05)
    }
}
