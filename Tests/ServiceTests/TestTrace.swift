import Dispatch
import Foundation
import Synchronization
import Testing

/// Where each running test's harness is (setting up, in its body, waiting for its workers, tearing
/// down), so a hung test says where it hangs. Thread stacks cannot: a hung test is a suspended
/// task, and every thread is idle. On SIGUSR2 (which `scripts/test-stage.sh` sends to a test
/// process that has printed nothing for ten minutes) every phase still open is written to the file
/// `QF_TEST_PHASES_FILE` names, else to standard error, with how long it has lasted. The signal is
/// read on a Dispatch queue, so it is answered even when every task is stuck.
enum TestTrace {
    struct Phase {
        let test: String
        let phase: String
        let since: ContinuousClock.Instant
    }

    private static let phases = Mutex<[UInt64: Phase]>([:])
    private static let nextSlot = Atomic<UInt64>(0)
    @TaskLocal private static var slot: UInt64?

    /// Runs `body` as one traced piece of work of the current test (a harness), starting in `phase`.
    /// Nested in traced work, it only notes `phase`.
    static func traced<T>(_ phase: String, _ body: () async throws -> T) async rethrows -> T {
        if slot != nil {
            note(phase)
            return try await body()
        }
        installed.touch()
        let slot = nextSlot.add(1, ordering: .relaxed).newValue
        let test = Test.current.map { "\($0.id)" } ?? "?"
        phases.withLock { $0[slot] = Phase(test: test, phase: phase, since: .now) }
        defer { _ = phases.withLock { $0.removeValue(forKey: slot) } }
        return try await $slot.withValue(slot) { try await body() }
    }

    /// The traced work this task belongs to is now in `phase`.
    static func note(_ phase: String) {
        guard let slot else { return }
        phases.withLock { phases in
            if let current = phases[slot] { phases[slot] = Phase(test: current.test, phase: phase, since: .now) }
        }
    }

    /// Every open phase, longest first.
    static func report() -> String {
        let now = ContinuousClock.now
        let open = phases.withLock { Array($0.values) }.sorted { $0.since < $1.since }
        let lines = open.map { "  \($0.test): \($0.phase), for \((now - $0.since).formatted(.units(allowed: [.seconds], width: .narrow)))" }
        return "Test harness phases still open (\(open.count)):\n" + lines.joined(separator: "\n") + "\n"
    }

    /// The SIGUSR2 handler, installed by the first traced work.
    private static let installed = Installation()

    /// Unchecked: the source is set once, in `init`, and Dispatch sources are thread-safe.
    private final class Installation: @unchecked Sendable {
        let source: any DispatchSourceSignal

        init() {
            signal(SIGUSR2, SIG_IGN)
            source = DispatchSource.makeSignalSource(signal: SIGUSR2, queue: .global())
            source.setEventHandler {
                let text = TestTrace.report()
                if let path = ProcessInfo.processInfo.environment["QF_TEST_PHASES_FILE"] {
                    try? text.write(toFile: path, atomically: true, encoding: .utf8)
                } else {
                    FileHandle.standardError.write(Data(text.utf8))
                }
            }
            source.resume()
        }

        func touch() {}
    }
}
