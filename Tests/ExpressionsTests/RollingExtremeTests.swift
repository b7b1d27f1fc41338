import Expressions
import Testing

/// `highest` and `lowest` run by blocks (van Herk / Gil–Werman), not by a queue; every window must
/// be exactly the extreme a slow loop finds, NaN for a window not yet full or holding a NaN, on
/// series with NaN gaps, infinities, runs of ties (±0 among them: the newer bar's zero is kept, as
/// pandas' queue keeps it), windows of 1, of the block edges and longer than the series, and real
/// DJI highs and lows.
@Suite struct RollingExtremeTests {
    /// Each window scanned from its oldest bar, a later bar winning ties (the newer zero's sign).
    static func slow(_ x: [Double], window w: Int, highest: Bool) -> [Double] {
        x.indices.map { i in
            guard i >= w - 1 else { return .nan }
            let window = x[(i - w + 1)...i]
            if window.contains(where: \.isNaN) { return .nan }
            return window.dropFirst().reduce(window.first!) { best, v in (highest ? v >= best : v <= best) ? v : best }
        }
    }

    static func series(seed: UInt64) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<3_000).map { i in
            let u = uniform()
            switch (i / 300) % 5 {
            case 0: return u * 100
            case 1: return u < 0.02 ? .nan : (u * 10).rounded()               // NaN gaps among ties
            case 2: return u < 0.3 ? 0.0 : (u < 0.6 ? -0.0 : -u)               // ±0 ties
            case 3: return u < 0.01 ? (u < 0.005 ? .infinity : -.infinity) : u  // infinities
            default: return 1_000 - Double(i)                                   // falling: a queue's worst case
            }
        }
    }

    static func expectIdentical(_ got: [Double], _ want: [Double], _ label: String) {
        #expect(got.count == want.count)
        var mismatches = 0
        for i in want.indices where !(got[i].isNaN && want[i].isNaN) && got[i].bitPattern != want[i].bitPattern {
            if mismatches < 3 { Issue.record("\(label): bar \(i) got \(got[i]), want \(want[i])") }
            mismatches += 1
        }
        #expect(mismatches == 0, "\(label): \(mismatches) bars differ")
    }

    @Test(arguments: [1, 2, 3, 7, 20, 299, 300, 301, 2_999, 3_000, 5_000])
    func extremesEqualASlowLoop(window: Int) throws {
        for seed: UInt64 in [1, 2] {
            let x = Self.series(seed: seed)
            Self.expectIdentical(try RollingStdTests.evaluate("highest(close, \(window))", on: x), Self.slow(x, window: window, highest: true), "highest w=\(window) seed \(seed)")
            Self.expectIdentical(try RollingStdTests.evaluate("lowest(close, \(window))", on: x), Self.slow(x, window: window, highest: false), "lowest w=\(window) seed \(seed)")
        }
    }

    @Test func extremesOnRealBars() throws {
        let frame = try RealData.frame("dji")
        for window in [5, 20, 55, 250] {
            Self.expectIdentical(try RollingStdTests.evaluate("highest(close, \(window))", on: frame.columns["high"]!),
                                 Self.slow(frame.columns["high"]!, window: window, highest: true), "DJI highest w=\(window)")
            Self.expectIdentical(try RollingStdTests.evaluate("lowest(close, \(window))", on: frame.columns["low"]!),
                                 Self.slow(frame.columns["low"]!, window: window, highest: false), "DJI lowest w=\(window)")
        }
    }
}
