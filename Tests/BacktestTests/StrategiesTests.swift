import Backtest
import Foundation
import Testing

/// Indicators against independent slow forms; the crossing rule on hand-made series; errors.
@Suite struct StrategiesTests {
    func walk(_ n: Int, seed: UInt64) -> [Double] {
        var state = seed, price = 100.0
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            price *= 1 + (Double(state >> 11) * 0x1p-53 - 0.5) * 0.04
            return price
        }
    }

    @Test func smaMatchesDirectWindowMeans() {
        let x = walk(5_000, seed: 3)
        for window in [1, 2, 7, 50] {
            let m = Indicators.sma(x, window: window)
            for i in x.indices {
                if i < window - 1 { #expect(m[i].isNaN) } else {
                    let direct = x[(i - window + 1)...i].reduce(0, +) / Double(window)
                    #expect(abs(m[i] - direct) <= 1e-12 * direct, "window \(window) bar \(i)")
                }
            }
        }
    }

    @Test func emaMatchesItsClosedForm() {
        // eᵢ = (1 − α)ⁱ·x₀ + Σₖ₌₁…ᵢ α(1 − α)^(i−k)·xₖ, summed directly.
        let x = walk(60, seed: 5), span = 9
        let alpha = 2.0 / Double(span + 1)
        let e = Indicators.ema(x, span: span)
        for i in x.indices {
            if i < span - 1 { #expect(e[i].isNaN); continue }
            var direct = pow(1 - alpha, Double(i)) * x[0]
            for k in 1...i { direct += alpha * pow(1 - alpha, Double(i - k)) * x[k] }
            #expect(abs(e[i] - direct) <= 1e-12 * direct, "bar \(i)")
        }
    }

    @Test func crossingRuleIsStrictOnBothSides() throws {
        // close = 5 5 5 5 4 6 6 6 6 with fast 1 (the price) and slow 3.
        let close: [Double] = [5, 5, 5, 5, 4, 6, 6, 6, 6, 3]
        let signals = try Strategies.signals(StrategySpec(name: "sma_cross", parameters: ["fast": 1, "slow": 3]), close: close)
        // slow: −, −, 5, 5, 14/3, 5, 16/3, 6, 6, 5. Bar 4: 4 < 14/3 but bar 3 had 5 == 5 (a touch,
        // not strictly above): no signal. Bar 5: 4 < 14/3 then 6 > 5: long. Bar 7: 6 == 6, no
        // crossing. Bar 9: 6 == 6 before, so no short either.
        #expect(signals == [.hold, .hold, .hold, .hold, .hold, .long, .hold, .hold, .hold, .hold])
        let down = try Strategies.signals(StrategySpec(name: "sma_cross", parameters: ["fast": 1, "slow": 2]), close: [1, 2, 3, 1, 4])
        // slow: −, 1.5, 2.5, 2, 2.5 → bar 3: 3 > 2.5 then 1 < 2: short; bar 4: 1 < 2 then 4 > 2.5: long.
        #expect(down == [.hold, .hold, .hold, .short, .long])
    }

    @Test func smaCrossMatchesTheRuleOnRandomData() throws {
        let x = walk(3_000, seed: 9)
        let signals = try Strategies.signals(StrategySpec(name: "sma_cross", parameters: ["fast": 5, "slow": 20]), close: x)
        func mean(_ i: Int, _ w: Int) -> Double { x[(i - w + 1)...i].reduce(0, +) / Double(w) }
        var crossings = 0
        for i in x.indices {
            var expected = Signal.hold
            if i - 1 >= 19 {
                let (f0, s0, f1, s1) = (mean(i - 1, 5), mean(i - 1, 20), mean(i, 5), mean(i, 20))
                if f0 < s0 && f1 > s1 { expected = .long } else if f0 > s0 && f1 < s1 { expected = .short }
            }
            if expected != .hold { crossings += 1 }
            #expect(signals[i] == expected, "bar \(i)")
        }
        #expect(crossings > 20)
    }

    @Test func momentumAndBuyAndHold() throws {
        #expect(try Strategies.signals(StrategySpec(name: "momentum", parameters: ["lookback": 2]), close: [10, 11, 12, 11, 12, 10])
                == [.hold, .hold, .long, .hold, .hold, .short])
        let close: [Double] = [10, 11, 12, 13, 14], open: [Double] = [10, 10.5, 11.5, 12.5, 13.5]
        let signals = try Strategies.signals(StrategySpec(name: "buy_and_hold"), close: close)
        let r = SignalBacktest.run(open: open, close: close, timestamps: (0..<5).map(Int64.init), signals: signals,
                                   settings: ExecutionSettings(initialCash: 1_000))
        // floor(1000·(1 − 2⁻⁵²)/10.5) = 95 units bought at bar 1's open.
        #expect(r.positions.last == 95 && r.equity.last == 1_000 - 95 * 10.5 + 95 * 14)
    }

    @Test func badSpecsNameTheProblem() {
        func message(_ spec: StrategySpec) -> String {
            do { _ = try Strategies.signals(spec, close: [1, 2, 3]); return "ok" } catch { return "\(error)" }
        }
        #expect(message(StrategySpec(name: "macd")) == "unknown strategy 'macd' (known: bollinger, buy_and_hold, ema_cross, mean_reversion, momentum, rsi, sma_cross)")
        #expect(message(StrategySpec(name: "sma_cross", parameters: ["fast": 20, "slow": 10])).contains("'fast' (20) must be below 'slow' (10)"))
        #expect(message(StrategySpec(name: "momentum", parameters: ["lookback": 2.5])).contains("parameter 'lookback' must be an integer ≥ 1, got 2.5"))
        #expect(message(StrategySpec(name: "sma_cross")) == "ok", "defaults fill missing parameters")
        #expect(message(StrategySpec(name: "sma_cross", parameters: ["fsat": 5])) == "sma_cross: unknown parameter 'fsat' (known: fast, slow)")
        #expect(message(StrategySpec(name: "rsi", parameters: ["lower": 80])).contains("'lower' (80.0) < 'upper' (70.0)"))
        #expect(message(StrategySpec(name: "mean_reversion", parameters: ["entry": 1, "exit": 2])).contains("'exit' (2.0) must not exceed 'entry' (1.0)"))
        #expect(message(StrategySpec(name: "bollinger", parameters: ["k": -1])).contains("parameter 'k' must be a number ≥ 0.0, got -1.0"))
    }

    @Test func rollingMeanIsTheSameWhateverSliceIsComputed() {
        // Any range, computed on its own, gives the bits of the whole-series computation: the
        // fused kernels and sweeps compute blocks, strategies whole arrays.
        let x = walk(2_000, seed: 21)
        for window in [1, 3, 20, 200] {
            let whole = Indicators.sma(x, window: window)
            x.withUnsafeBufferPointer { xp in
                for range in [0..<1, 5..<300, 127..<129, 128..<1_000, 999..<2_000, 1_537..<1_538] {
                    var part = [Double](repeating: 0, count: range.count)
                    part.withUnsafeMutableBufferPointer { RollingMean.compute(xp, window: window, range: range, into: $0.baseAddress!) }
                    for (k, i) in range.enumerated() {
                        #expect(part[k].bitPattern == whole[i].bitPattern || (part[k].isNaN && whole[i].isNaN), "window \(window) range \(range) bar \(i)")
                    }
                }
            }
        }
    }

    @Test func rollingMeanSumsFollowTheirDefinitionAcrossWholeAnchorSegments() {
        // A reference written from RollingMean's definition, bar by bar: a fresh four-partial sum
        // at bar w − 1, at every multiple of the anchor spacing and around non-finite values, a
        // slide in between. Series long enough for the four-segments-at-once loop (with the
        // spacing as a constant at 1,024 and in a register above it), one with a NaN that sends
        // that loop back to the one-segment loop.
        func fresh(_ x: [Double], _ w: Int, _ i: Int) -> Double {
            var p = [0.0, 0.0, 0.0, 0.0]
            for (j, v) in x[(i - w + 1)...i].enumerated() { p[j % 4] += v }
            return (p[0] + p[1]) + (p[2] + p[3])
        }
        var withGap = walk(40_000, seed: 5)
        withGap[21_000] = .nan
        for x in [walk(40_000, seed: 3), withGap] {
            for w in [10, 20, 256, 257, 700] {
                let spacing = RollingMean.anchorSpacing(window: w)
                var expected = [Double](repeating: .nan, count: x.count)
                var sum = 0.0
                for i in (w - 1)..<x.count {
                    let d = i >= w ? x[i] - x[i - w] : .nan
                    sum = i == w - 1 || i % spacing == 0 || !(d - d == 0) ? fresh(x, w, i) : sum + d
                    expected[i] = sum
                }
                var sums = [Double](repeating: 0, count: x.count)
                x.withUnsafeBufferPointer { xp in
                    sums.withUnsafeMutableBufferPointer { RollingMean.sums(xp, window: w, range: 0..<x.count, into: $0.baseAddress!) }
                }
                let firstMismatch = x.indices.first { !(sums[$0].bitPattern == expected[$0].bitPattern || (sums[$0].isNaN && expected[$0].isNaN)) }
                #expect(firstMismatch == nil, "window \(w), spacing \(spacing)")
            }
        }
    }

    @Test func rollingMeanHandlesEqualValuesAndGaps() {
        // 0.1 summed three times is 0.30000000000000004; the all-equal rule returns 0.1 exactly.
        #expect(Indicators.sma([0.1, 0.1, 0.1, 0.1], window: 3)[2...] == [0.1, 0.1])
        // A NaN poisons the windows that hold it (pandas: NaN with min_periods = window) and
        // nothing after.
        let m = Indicators.sma([1, 2, .nan, 4, 5, 6, 7], window: 2)
        #expect(m[0].isNaN && m[1] == 1.5 && m[2].isNaN && m[3].isNaN && m[4] == 4.5 && m[5] == 5.5 && m[6] == 6.5)
        // Over a million bars the sliding sum does not drift from direct window means.
        let long = walk(1_000_000, seed: 4)
        let sma = Indicators.sma(long, window: 50)
        for i in stride(from: 49, to: long.count, by: 9_973) {
            let direct = long[(i - 49)...i].reduce(0, +) / 50
            #expect(abs(sma[i] - direct) <= 1e-13 * direct, "bar \(i)")
        }
    }

    @Test func zScoreAndRSIAgainstDirectFormulas() {
        let x = walk(400, seed: 17)
        let z = Indicators.zScore(x, window: 20)
        for i in x.indices {
            if i < 19 { #expect(z[i].isNaN); continue }
            let w = x[(i - 19)...i], mean = w.reduce(0, +) / 20
            let sigma = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20).squareRoot()
            #expect(abs(z[i] - (x[i] - mean) / sigma) <= 1e-9, "bar \(i)")
        }
        #expect(Indicators.zScore([3, 3, 3, 4], window: 3)[2] == 0)
        // RSI by hand, period 2 on 10, 11, 10, 12, 12: changes +1, −1, +2, 0.
        // Bar 2: gain 0.5, loss 0.5 → 50. Bar 3: gain (0.5 + 2)/2 = 1.25, loss 0.25 → 100 − 100/6.
        // Bar 4: gain 0.625, loss 0.125 → 100 − 100/6 again.
        let r = Indicators.rsi([10, 11, 10, 12, 12], period: 2)
        #expect(r[0].isNaN && r[1].isNaN && r[2] == 50)
        #expect(abs(r[3] - (100 - 100.0 / 6)) < 1e-12 && abs(r[4] - (100 - 100.0 / 6)) < 1e-12)
        #expect(Indicators.rsi([1, 2, 3, 4], period: 2)[3] == 100 && Indicators.rsi([5, 5, 5], period: 2)[2] == 50)
        // Against a slow recursion written from Wilder's definition over a random walk.
        let y = walk(300, seed: 8), period = 14
        let fast = Indicators.rsi(y, period: period)
        var g = (1...period).map { Swift.max(y[$0] - y[$0 - 1], 0) }.reduce(0, +) / Double(period)
        var l = (1...period).map { Swift.max(y[$0 - 1] - y[$0], 0) }.reduce(0, +) / Double(period)
        for i in period..<y.count {
            if i > period {
                g = (g * Double(period - 1) + Swift.max(y[i] - y[i - 1], 0)) / Double(period)
                l = (l * Double(period - 1) + Swift.max(y[i - 1] - y[i], 0)) / Double(period)
            }
            #expect(abs(fast[i] - 100 * g / (g + l)) <= 1e-9, "bar \(i)")
        }
    }

    @Test func meanReversionAndRSISignals() throws {
        // Window 3, entry 1, exit 0 on a series that dips, recovers, spikes and falls back.
        let close: [Double] = [10, 10, 10, 7, 10, 11, 14, 10, 10]
        let z = Indicators.zScore(close, window: 3)
        let s = try Strategies.signals(StrategySpec(name: "mean_reversion", parameters: ["window": 3, "entry": 1, "exit": 0]), close: close)
        // z (population σ): bar 3 −√2 (long), bar 4 1/√2 (back above 0: flat), bar 5 0.98 (inside
        // the band: nothing), bar 6 1.37 (short), bar 7 −0.98 (back below 0: flat), bar 8 −1/√2.
        #expect(abs(z[3] + 2.0.squareRoot()) < 1e-12 && abs(z[4] - 0.5.squareRoot()) < 1e-12 && z[5] < 1 && z[6] > 1 && z[7] < 0)
        #expect(s == [.hold, .hold, .hold, .long, .flat, .hold, .short, .flat, .hold])
        #expect(try Strategies.signals(StrategySpec(name: "bollinger", parameters: ["window": 3, "k": 1]), close: close) == s)
        let rsi = try Strategies.signals(StrategySpec(name: "rsi", parameters: ["period": 2, "lower": 30, "upper": 70]), close: [10, 11, 12, 13, 12, 8, 7, 7.5])
        let values = Indicators.rsi([10, 11, 12, 13, 12, 8, 7, 7.5], period: 2)
        #expect(rsi == values.map { $0 < 30 ? Signal.long : ($0 > 70 ? .short : .hold) })
        #expect(rsi.contains(.long) && rsi.contains(.short))
        #expect(try Strategies.warmupBars(StrategySpec(name: "sma_cross", parameters: ["fast": 10, "slow": 20])) == 19)
        #expect(try Strategies.warmupBars(StrategySpec(name: "rsi")) == 14)
    }
}

/// The rolling mean's division (a reciprocal product with two fused corrections) against IEEE
/// division.
@Suite struct RollingMeanDivisionTests {
    @Test func fusedDivisionEqualsIEEEDivision() {
        var state: UInt64 = 99
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state }
        var differing = 0
        for _ in 0..<1_000_000 {
            let w = Double(Int(next() % 2_000) + 1)
            // Sums of w prices between 1e-3 and 1e6, with full 53-bit significands.
            let price = pow(10, Double(next() >> 11) * 0x1p-53 * 9 - 3)
            let s = (w * price).nextUp
            if RollingMean.divide(s, by: w, reciprocal: 1 / w) != s / w { differing += 1 }
        }
        #expect(differing == 0, "\(differing) of 1,000,000 quotients differ from IEEE division")
    }
}
