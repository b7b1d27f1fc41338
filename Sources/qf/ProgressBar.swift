#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error, redrawn at most ten times a second; silent when
/// standard error is not a terminal (logs and CI stay clean).
struct ProgressBar {
    let total: Int
    let label: String
    private let enabled: Bool
    private var lastDraw: UInt64 = 0
    private let start: UInt64

    init(total: Int, label: String, enabled: Bool = standardErrorIsTerminal()) {
        self.total = max(total, 1)
        self.label = label
        self.enabled = enabled
        start = monotonicNanoseconds()
    }

    /// Redraws the bar at `done` of `total` with an optional status text.
    mutating func update(_ done: Int, status: String = "") {
        guard enabled else { return }
        let now = monotonicNanoseconds()
        guard done >= total || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let fraction = Double(min(done, total)) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = Double(now - start) / 1e9
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = "\r\(label) \(bar) \(Int(fraction * 100))% \(done)/\(total) ETA \(formatSeconds(eta)) \(status)\u{1B}[K"
        writeStandardError(line)
        if done >= total { writeStandardError("\n") }
    }
}

/// Nanoseconds from a monotonic clock.
func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

func formatSeconds(_ s: Double) -> String {
    s < 60 ? "\(Int(s.rounded()))s" : "\(Int(s) / 60)m\(Int(s) % 60)s"
}

/// Writes text to file descriptor 2 (the C `stderr` global is not concurrency-safe in Swift 6).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
