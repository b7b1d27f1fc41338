import Backtest
import Foundation
import Testing

/// The fused, block-wise, event-driven path against the readable one (`Strategies.signals` then
/// `SignalBacktest.run`): the same bits for every strategy, fill, lot and cost, across block edges.
@Suite struct FusedBacktestTests {
    /// A random walk with open ≠ previous close; `wild` makes ±30% bars so shorts get wiped out.
    static func bars(_ n: Int, seed: UInt64, wild: Bool = false) -> (open: [Double], close: [Double], times: [Int64]) {
        var state = seed
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1p-53 }
        var price = 100.0
        var open: [Double] = [], close: [Double] = []
        for i in 0..<n {
            open.append(price * (1 + (unit() - 0.5) * 0.004))
            price *= 1 + (unit() - 0.5) * (wild && i % 50 == 0 ? 0.6 : 0.02)
            // Runs of identical closes exercise the rolling mean's equal-values rule.
            close.append(i % 997 < 30 && i > 997 ? close[i - 1] : price)
        }
        return (open, close, (0..<n).map { Int64($0) * 3_600_000_000_000 })
    }

    static let specs: [StrategySpec] = [
        StrategySpec(name: "sma_cross", parameters: ["fast": 5, "slow": 23]),
        StrategySpec(name: "sma_cross", parameters: ["fast": 40, "slow": 300]),
        StrategySpec(name: "ema_cross", parameters: ["fast": 7, "slow": 19]),
        StrategySpec(name: "momentum", parameters: ["lookback": 12]),
        StrategySpec(name: "mean_reversion", parameters: ["window": 30, "entry": 1.5, "exit": 0.2]),
        StrategySpec(name: "bollinger", parameters: ["window": 20, "k": 2]),
        StrategySpec(name: "rsi", parameters: ["period": 9, "lower": 35, "upper": 65]),
        StrategySpec(name: "buy_and_hold"),
    ]

    @Test(arguments: specs)
    func sameBitsAsTheReadablePath(spec: StrategySpec) throws {
        let settingsList: [ExecutionSettings] = [
            ExecutionSettings(fill: .nextOpen, commission: 0.002),
            ExecutionSettings(fill: .close, commission: 0.001, fixedFee: 0.5, slippageBps: 3),
            ExecutionSettings(fill: .nextOpen, commission: 0.0005, slippageBps: 1, allowShort: true, lot: .size(0.25)),
            ExecutionSettings(fill: .close, commission: 0, initialCash: 1_000, allowShort: true, lot: .fractional),
        ]
        for (t, settings) in settingsList.enumerated() {
            // 10,007 bars: two full 4,096-bar blocks and a ragged one.
            let (open, close, times) = Self.bars(10_007, seed: UInt64(t + 1), wild: t == 3)
            let signals = try Strategies.signals(spec, close: close)
            let slow = SignalBacktest.run(open: open, close: close, timestamps: times, signals: signals, settings: settings)
            let fused = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
            let firstDifference = slow.equity.indices.first { slow.equity[$0].bitPattern != fused.equity[$0].bitPattern }
            #expect(firstDifference == nil, "\(spec.name) settings \(t): equity differs first at bar \(firstDifference ?? -1)")
            #expect(slow.positions == fused.positions, "\(spec.name) settings \(t): positions")
            #expect(slow.trades == fused.trades, "\(spec.name) settings \(t): \(slow.trades.count) vs \(fused.trades.count) trades")
            #expect(slow.finalState == fused.finalState, "\(spec.name) settings \(t): final state")
            #expect(!slow.trades.isEmpty || spec.name == "buy_and_hold", "\(spec.name) settings \(t) should trade")
        }
    }

    /// SMA(1) against SMA(2) crosses whenever the close turns: with random up, down and flat bars
    /// there are crossings at most bars, at every position of the finder's 64-bar words and of
    /// the blocks, with ties (a flat bar makes both means equal) between some of them.
    @Test func denseCrossingsAndTiesGiveTheSameBits() throws {
        var state: UInt64 = 11
        var price = 100.0, close: [Double] = []
        for _ in 0..<10_007 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            switch state >> 62 {
            case 0: break
            case 1: price *= 1.01
            default: price *= 0.99
            }
            close.append(price)
        }
        let open = [close[0]] + close.dropLast(), times = (0..<close.count).map { Int64($0) * 60_000_000_000 }
        let spec = StrategySpec(name: "sma_cross", parameters: ["fast": 1, "slow": 2])
        for settings in [ExecutionSettings(fill: .close, commission: 0.0001, allowShort: true), ExecutionSettings(fill: .nextOpen, commission: 0.0001)] {
            let slow = SignalBacktest.run(open: open, close: close, timestamps: times, signals: try Strategies.signals(spec, close: close), settings: settings)
            let fused = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
            #expect(slow.trades.count > 800, "\(slow.trades.count) trades")
            #expect(slow.trades == fused.trades && slow.finalState == fused.finalState)
            #expect(zip(slow.equity, fused.equity).allSatisfy { $0.bitPattern == $1.bitPattern })
        }
    }

    /// The fused path marks a run's last bars as a whole vector whose lanes run past the run,
    /// into bars where the account has already changed, and takes those lanes' minimum as a hint
    /// of a wipe-out. Here the hint is false: a short opened at 100 is reversed at bar 8, and at
    /// bar 9 the price jumps to 250, where the short would be worth less than nothing but the
    /// long that replaced it is not. Nothing may be wiped out, and both paths keep trading.
    @Test func aFalseWipeOutHintPastARunEndsNothing() throws {
        // SMA(1) vs SMA(2): a short at bar 3 (the first fall), a long at bar 8 (the first rise):
        // the short's run is bars 3..<8, five bars, so its last vector covers bars 7 to 10.
        var close: [Double] = [100, 101, 102, 100, 99, 98, 97, 96, 97, 250, 251, 249, 252, 248, 253]
        var state: UInt64 = 3
        for _ in 0..<200 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            close.append(close.last! * (state >> 63 == 0 ? 1.01 : 0.99))
        }
        let open = [close[0]] + close.dropLast(), times = (0..<close.count).map { Int64($0) * 60_000_000_000 }
        let spec = StrategySpec(name: "sma_cross", parameters: ["fast": 1, "slow": 2])
        let settings = ExecutionSettings(fill: .close, commission: 0.0001, allowShort: true, lot: .fractional)
        let slow = SignalBacktest.run(open: open, close: close, timestamps: times, signals: try Strategies.signals(spec, close: close), settings: settings)
        let fused = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
        // The premise: the short opened at bar 3, closed at bar 8, would be wiped out at bar 9.
        let short = try #require(slow.trades.first)
        #expect(short.entryBar == 3 && short.exitBar == 8 && short.units < 0)
        let cashWhileShort = settings.initialCash - short.units * short.entryPrice - short.commission
        #expect(cashWhileShort + short.units * close[9] <= settings.initialCash * ExecutionSettings.wipeOutFraction)
        #expect(!fused.finalState.isBust && fused.trades.count > 20 && fused.trades.count == slow.trades.count)
        #expect(slow.trades == fused.trades && slow.finalState == fused.finalState)
        #expect(zip(slow.equity, fused.equity).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test func indicatorsComputedInBlocksEqualWholeArrays() {
        let (_, close, _) = Self.bars(9_000, seed: 5)
        for kernel: IndicatorKernel in [.sma(1), .sma(17), .sma(600), .ema(12), .zScore(25), .rsi(14), .momentum(9)] {
            let whole = kernel.compute(close)
            var state = IndicatorKernel.State()
            var blocks = [Double](repeating: 0, count: close.count)
            close.withUnsafeBufferPointer { x in
                blocks.withUnsafeMutableBufferPointer { out in
                    var start = 0
                    for size in [1, 100, 4_096, 3, 4_800] where start < close.count {
                        let range = start..<min(start + size, close.count)
                        kernel.fill(x, range: range, into: out.baseAddress! + start, state: &state)
                        start = range.upperBound
                    }
                }
            }
            let same = zip(whole, blocks).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
            #expect(same, "\(kernel)")
        }
    }
}

/// The slow, bar-by-bar reference loop against the fused engine directly, on random data with
/// random strategies, parameters and settings (every fill, lot, cost and shorting).
@Suite struct ReferenceLoopTests {
    @Test func fusedEngineMatchesTheReferenceLoop() throws {
        var state: UInt64 = 77
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1p-53 }
        func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(unit() * Double(hi - lo + 1)) }
        let reference = SignalBacktestTests()
        for trial in 0..<40 {
            let spec: StrategySpec
            switch trial % 6 {
            case 0: let f = int(2, 20); spec = StrategySpec(name: "sma_cross", parameters: ["fast": Double(f), "slow": Double(int(f + 1, 80))])
            case 1: let f = int(2, 20); spec = StrategySpec(name: "ema_cross", parameters: ["fast": Double(f), "slow": Double(int(f + 1, 60))])
            case 2: spec = StrategySpec(name: "momentum", parameters: ["lookback": Double(int(1, 30))])
            case 3: let e = 0.5 + unit() * 2; spec = StrategySpec(name: "mean_reversion", parameters: ["window": Double(int(5, 40)), "entry": e, "exit": unit() * e])
            case 4: let l = 10 + unit() * 30; spec = StrategySpec(name: "rsi", parameters: ["period": Double(int(2, 20)), "lower": l, "upper": l + 10 + unit() * 40])
            default: spec = StrategySpec(name: "bollinger", parameters: ["window": Double(int(5, 40)), "k": 0.5 + unit() * 2])
            }
            let lots: [ExecutionSettings.Lot] = [.whole, .fractional, .size(0.1)]
            let settings = ExecutionSettings(fill: unit() < 0.5 ? .nextOpen : .close, commission: unit() * 0.003, fixedFee: unit() < 0.5 ? 0 : unit() * 3,
                                             slippageBps: unit() * 5, initialCash: 10_000, allowShort: unit() < 0.5, lot: lots[int(0, 2)])
            let (open, close, times) = FusedBacktestTests.bars(int(500, 5_000), seed: UInt64(100 + trial), wild: trial % 7 == 6)
            let fused = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: settings)
            let expected = reference.reference(open: open, close: close, signals: try Strategies.signals(spec, close: close), s: settings)
            for i in close.indices {
                #expect(abs(fused.equity[i] - expected.equity[i]) <= 1e-9 * max(1, abs(expected.equity[i])), "trial \(trial) \(spec) bar \(i)")
            }
            #expect(fused.trades.count == expected.trades.count, "trial \(trial) \(spec)")
        }
    }
}
