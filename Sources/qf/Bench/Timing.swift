/// Per-call timings of a closure, measured with the protocol of the peer scripts
/// (../shared/peers/rl/common.py `time_fn`): warm up, find an inner loop count that lasts at least
/// `minTime`, then take `repeats` samples of that loop and report the median per call. The same
/// protocol on both sides is what makes the ratios in BENCHMARKS.md fair.
struct Timing: Codable {
    var medianSeconds: Double
    var minSeconds: Double
    var maxSeconds: Double
    var inner: Int
    var repeats: Int

    static func measure(repeats: Int = 7, minTime: Double = 0.3, warmup: Int = 20, _ body: () -> Void) -> Timing {
        for _ in 0..<warmup { body() }
        var inner = 1
        while true {
            let t0 = monotonicNanoseconds()
            for _ in 0..<inner { body() }
            let dt = Double(monotonicNanoseconds() - t0) / 1e9
            if dt >= minTime || inner >= 1_000_000 { break }
            inner = min(1_000_000, max(inner * 2, Int(Double(inner) * minTime / max(dt, 1e-9) * 1.2)))
        }
        var samples: [Double] = []
        for _ in 0..<repeats {
            let t0 = monotonicNanoseconds()
            for _ in 0..<inner { body() }
            samples.append(Double(monotonicNanoseconds() - t0) / 1e9 / Double(inner))
        }
        samples.sort()
        return Timing(medianSeconds: samples[samples.count / 2], minSeconds: samples.first!, maxSeconds: samples.last!,
                      inner: inner, repeats: repeats)
    }
}
