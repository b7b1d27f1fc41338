import Foundation
import Synchronization

/// Runs independent pieces of work on up to `parallelism` threads and returns their results in
/// order. Each piece builds its own state (a training run is not shared between threads); the
/// first error stops handing out pieces and is rethrown once the running ones end.
public enum ParallelWork {
    public static func run<T: Sendable>(count: Int, parallelism: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
        let state = Mutex<(next: Int, results: [Int: T], error: (any Error)?)>((0, [:], nil))
        let threads = max(1, min(parallelism, count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while true {
                let index: Int? = state.withLock { s in
                    guard s.error == nil, s.next < count else { return nil }
                    defer { s.next += 1 }
                    return s.next
                }
                guard let index else { return }
                do {
                    let result = try body(index)
                    state.withLock { $0.results[index] = result }
                } catch {
                    state.withLock { s in if s.error == nil { s.error = error } }
                }
            }
        }
        return try state.withLock { s in
            if let error = s.error { throw error }
            return (0..<count).map { s.results[$0]! }
        }
    }
}
