import Backtest
import Foundation
import Testing

/// The engine against a slow ledger-style reference on random data and signals, and known answers.
@Suite struct SignalBacktestTests {
    /// Reference: walk the bars, decide fills exactly as the rules say, keep a list of fills, and
    /// recompute cash, position and equity from that list at every bar.
    func reference(open: [Double], close: [Double], signals: [Signal], s: ExecutionSettings) -> (equity: [Double], trades: [(entry: Int, exit: Int, units: Double, pnl: Double)]) {
        struct Fill { var bar: Int; var units: Double; var price: Double; var fee: Double }
        var fills: [Fill] = []
        var equity: [Double] = []
        var trades: [(Int, Int, Double, Double)] = []
        func position() -> Double { fills.reduce(0) { $0 + $1.units } }
        func cash() -> Double { s.initialCash - fills.reduce(0) { $0 + $1.units * $1.price + $1.fee } }
        var bust = false
        for i in 0..<close.count {
            if bust { equity.append(0); continue }
            let signalBar = s.fill == .nextOpen ? i - 1 : i
            if signalBar >= 0 {
                let price = s.fill == .nextOpen ? open[i] : close[i]
                var want = signals[signalBar]
                if want == .short && !s.allowShort { want = .flat }
                let held = position()
                let direction: Signal = held > 0 ? .long : (held < 0 ? .short : .flat)
                if want != .hold && want != direction {
                    let slip = s.slippageBps / 10_000
                    if held != 0 {
                        let p = held > 0 ? price * (1 - slip) : price * (1 + slip)
                        let exitFee = s.commission * abs(held) * p + s.fixedFee
                        let entry = fills.last!
                        fills.append(Fill(bar: i, units: -held, price: p, fee: exitFee))
                        trades.append((entry.bar, i, held, held * (p - entry.price) - entry.fee - exitFee))
                    }
                    if want == .long || want == .short {
                        let p = want == .long ? price * (1 + slip) : price * (1 - slip)
                        var units = (cash() - s.fixedFee) * (1 - 0x1p-52) / (p * (1 + s.commission))
                        switch s.lot {
                        case .whole: units = units.rounded(.down)
                        case .size(let lot): units = (units / lot).rounded(.down) * lot
                        case .fractional: break
                        }
                        if units > 0 {
                            fills.append(Fill(bar: i, units: want == .long ? units : -units, price: p, fee: s.commission * units * p + s.fixedFee))
                        }
                    }
                }
            }
            if cash() + position() * close[i] <= s.initialCash * 1e-12 {
                // Wiped out: the position is closed at this close and nothing trades again.
                let held = position()
                if held != 0 {
                    let fee = s.commission * abs(held) * close[i] + s.fixedFee
                    let entry = fills.last!
                    fills.append(Fill(bar: i, units: -held, price: close[i], fee: fee))
                    trades.append((entry.bar, i, held, held * (close[i] - entry.price) - entry.fee - fee))
                }
                bust = true
                equity.append(0)
                continue
            }
            equity.append(cash() + position() * close[i])
        }
        return (equity, trades)
    }

    @Test(arguments: [ExecutionSettings.Fill.nextOpen, .close], [false, true])
    func matchesReferenceOnRandomData(fill: ExecutionSettings.Fill, allowShort: Bool) {
        var state: UInt64 = allowShort ? 11 : 7
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1p-53 }
        var wipedOut = 0
        for trial in 0..<20 {
            let n = 300
            var price = 100.0
            var open: [Double] = [], close: [Double] = []
            for _ in 0..<n {
                open.append(price * (1 + (unit() - 0.5) * 0.01))
                // Every fifth trial swings ±40% a bar, so shorts get wiped out.
                price *= 1 + (unit() - 0.5) * (trial % 5 == 4 ? 0.8 : 0.06)
                close.append(price)
            }
            let signals: [Signal] = (0..<n).map { _ in
                let u = unit()
                return u < 0.8 ? .hold : (u < 0.87 ? .long : (u < 0.94 ? .short : .flat))
            }
            let lots: [ExecutionSettings.Lot] = [.whole, .fractional, .size(0.5)]
            let settings = ExecutionSettings(fill: fill, commission: [0, 0.001, 0.002][trial % 3], fixedFee: trial % 2 == 0 ? 0 : 1.5,
                                             slippageBps: Double(trial % 4) * 2.5, initialCash: 10_000, allowShort: allowShort, lot: lots[trial % 3])
            let result = SignalBacktest.run(open: open, close: close, timestamps: (0..<n).map(Int64.init), signals: signals, settings: settings)
            let expected = reference(open: open, close: close, signals: signals, s: settings)
            if result.finalState.isBust { wipedOut += 1 }
            for i in 0..<n {
                #expect(abs(result.equity[i] - expected.equity[i]) <= 1e-9 * abs(expected.equity[i]), "trial \(trial) bar \(i)")
            }
            #expect(result.trades.count == expected.trades.count, "trial \(trial)")
            for (a, b) in zip(result.trades, expected.trades) {
                // Fractional sizes come from cash kept two ways (running balance vs sum of fills),
                // so they agree to rounding, not bit for bit: 1e-9 relative, as for equity.
                #expect(a.entryBar == b.entry && a.exitBar == b.exit && abs(a.units - b.units) <= 1e-9 * abs(b.units), "trial \(trial): \(a) vs \(b)")
                #expect(abs(a.pnl - b.pnl) <= 1e-9 * max(1, abs(b.pnl)), "trial \(trial)")
            }
        }
        if allowShort { #expect(wipedOut > 0, "some trials must exercise the wipe-out rule") }
    }

    let days: [Int64] = (0..<5).map { Int64($0) * 86_400_000_000_000 }

    @Test func neverTradingKeepsCash() {
        let r = SignalBacktest.run(open: [1, 2, 3, 4, 5], close: [1, 2, 3, 4, 5], timestamps: days, signals: Array(repeating: .hold, count: 5),
                                   settings: ExecutionSettings(initialCash: 1_000))
        #expect(r.equity == Array(repeating: 1_000, count: 5) && r.trades.isEmpty)
    }

    @Test func constantPriceLosesExactlyTheCommissions() {
        // Buy on bar 0's signal at bar 1's open (100): units = floor(1000·(1 − 2⁻⁵²)/(100·1.01)) = 9;
        // sell on bar 2's signal at bar 3's open. Commission 1% each way on 900: 9 + 9.
        let r = SignalBacktest.run(open: Array(repeating: 100, count: 5), close: Array(repeating: 100, count: 5), timestamps: days,
                                   signals: [.long, .hold, .flat, .hold, .hold], settings: ExecutionSettings(commission: 0.01, initialCash: 1_000))
        #expect(r.trades.count == 1 && r.trades[0].units == 9 && r.trades[0].pnl == -18)
        #expect(r.equity == [1_000, 991, 991, 982, 982])
    }

    @Test func feesLargerThanProfitsLose() {
        // A 1% rise with 2% commission each way (close fills, fractional units) loses money.
        let r = SignalBacktest.run(open: [100, 100, 101, 101, 101], close: [100, 100, 101, 101, 101], timestamps: days,
                                   signals: [.long, .hold, .flat, .hold, .hold], settings: ExecutionSettings(fill: .close, commission: 0.02, initialCash: 1_000))
        let units = 1_000 * (1 - 0x1p-52) / (100 * 1.02)
        let expected = units * (101 - 100) - 0.02 * units * 100 - 0.02 * units * 101
        #expect(abs(r.trades[0].pnl - expected) < 1e-9 && r.trades[0].pnl < 0)
    }

    @Test func aShortCanLoseMoreThanTheCash() {
        // Short floor(1000·(1 − 2⁻⁵²)/100) = 9 at 100 with 1000 cash; the price triples: equity
        // 1000 + 9·100 − 9·300 = −800 at bar 2's close. The account is wiped out there, as in
        // Backtesting.py: the short is bought back at that close (a 1800 loss, more than the cash),
        // and equity stays 0 with no further trading.
        let r = SignalBacktest.run(open: [100, 100, 300, 300, 300], close: [100, 100, 300, 300, 300], timestamps: days,
                                   signals: [.short, .hold, .hold, .long, .hold], settings: ExecutionSettings(initialCash: 1_000, allowShort: true))
        #expect(r.positions == [0, -9, 0, 0, 0] && r.equity == [1_000, 1_000, 0, 0, 0])
        #expect(r.trades.count == 1 && r.trades[0].pnl == -1_800 && r.trades[0].exitBar == 2 && r.finalState.isBust)
        // Without shorting, the same signal does nothing.
        let longOnly = SignalBacktest.run(open: [100, 100, 300, 300, 300], close: [100, 100, 300, 300, 300], timestamps: days,
                                          signals: [.short, .hold, .hold, .hold, .hold], settings: ExecutionSettings(initialCash: 1_000))
        #expect(longOnly.positions.allSatisfy { $0 == 0 })
    }

    @Test func reversalClosesThenOpens() {
        let r = SignalBacktest.run(open: [10, 10, 12, 12, 12], close: [10, 10, 12, 12, 12], timestamps: days,
                                   signals: [.long, .short, .hold, .hold, .hold], settings: ExecutionSettings(initialCash: 100, allowShort: true))
        // Long 9 at 10 (bar 1), then at bar 2's open (12) the long closes (+18) and a short opens:
        // floor(118·(1 − 2⁻⁵²)/12) = 9 units.
        #expect(r.trades.count == 1 && r.trades[0].pnl == 18 && r.positions[2] == -9)
    }
}

/// The fast floor division used for Backtesting.py's sizing against CPython's algorithm.
@Suite struct FloorDivisionTests {
    @Test func fastFloorDivisionEqualsCPythons() {
        var state: UInt64 = 3
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1p-53 }
        for _ in 0..<200_000 {
            // Cash·(1 − 2⁻⁵²) over a price with commission, across the magnitudes sizing sees.
            let a = pow(10, unit() * 12) * (1 - 0x1p-52), b = pow(10, unit() * 6 - 2) * (1 + unit() * 0.01)
            #expect(OrderExecution.pythonFloorDivide(a, b) == OrderExecution.pythonFloorDivideReference(a, b), "\(a) // \(b)")
        }
        // Exact multiples and the quotients just below them.
        for (a, b) in [(9.0, 1.0), (0.3, 0.1), (1e6 * (1 - 0x1p-52), 100.0), (7.0, 7.0 + 0x1p-50), (0.0, 3.0), (2.5, 5.0)] {
            #expect(OrderExecution.pythonFloorDivide(a, b) == OrderExecution.pythonFloorDivideReference(a, b), "\(a) // \(b)")
        }
        #expect(OrderExecution.pythonFloorDivide(0.3, 0.1) == 2, "0.3 // 0.1 is 2.0 in Python")
    }
}
