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
        #expect(message(StrategySpec(name: "macd")) == "unknown strategy 'macd' (known: buy_and_hold, ema_cross, momentum, sma_cross)")
        #expect(message(StrategySpec(name: "sma_cross", parameters: ["fast": 20, "slow": 10])).contains("'fast' (20) must be below 'slow' (10)"))
        #expect(message(StrategySpec(name: "momentum", parameters: ["lookback": 2.5])).contains("parameter 'lookback' must be an integer ≥ 1, got 2.5"))
        #expect(message(StrategySpec(name: "sma_cross")) == "ok", "defaults fill missing parameters")
    }
}
