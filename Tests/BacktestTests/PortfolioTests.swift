import Backtest
import Foundation
import Testing

/// Position books, rebalancing with shared cash, target positions and weights: hand-worked cases
/// and a ledger-style reference on random data.
@Suite struct PortfolioTests {
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

    @Test func positionBookAddsReducesAndReverses() {
        var book = PositionBook()
        var trades: [TradeRecord] = []
        func order(_ delta: Double, _ price: Double, _ fee: Double, _ bar: Int) {
            let (next, closed) = book.applying(delta, price: price, fee: fee, bar: bar, time: Int64(bar))
            book = next
            trades += closed
        }
        order(10, 100, 1, 0)          // long 10 @ 100
        order(10, 110, 1, 1)          // add 10 @ 110: average 105, entry fees 2
        #expect(book.units == 20 && book.entryPrice == 105 && book.entryFees == 2 && trades.isEmpty)
        order(-5, 120, 0.5, 2)        // sell 5 @ 120: one trade, a quarter of the entry fees
        #expect(trades.count == 1 && trades[0].units == 5 && trades[0].entryPrice == 105 && trades[0].commission == 0.5 + 0.5)
        #expect(trades[0].pnl == 5 * 15 - 1 && book.units == 15 && book.entryFees == 1.5 && trades[0].entryBar == 0)
        order(-25, 90, 2.5, 3)        // reverse: close 15 @ 90 (fee 1.5 of 2.5), short 10 @ 90 (fee 1)
        #expect(trades.count == 2 && trades[1].units == 15 && close(trades[1].commission, 1.5 + 1.5))
        #expect(close(trades[1].pnl, 15 * (90 - 105) - 3))
        #expect(book.units == -10 && book.entryPrice == 90 && close(book.entryFees, 1) && book.entryBar == 3)
        order(10, 80, 1, 4)           // cover the short @ 80
        #expect(trades.count == 3 && trades[2].units == -10 && close(trades[2].pnl, 10 * 10 - 2) && book.units == 0 && book.entryFees == 0)
    }

    @Test func sharedCashBuysScaleToWhatTheCashAffords() {
        // 1,000 cash, prices 10 and 20, half each, 1% commission: the buys would cost 1,010, so
        // both are scaled by 1,000/1,010 and the cash is spent to the cent.
        let settings = ExecutionSettings(fill: .close, commission: 0.01, initialCash: 1_000, lot: .fractional)
        let state = PortfolioState(cash: 1_000, assets: 2)
        let targets = Rebalance.targetUnits(weights: [0.5, 0.5], state: state, prices: [10, 20])
        #expect(targets == [50, 25])
        let (next, fills, closed) = Rebalance.execute(state, targets: targets, prices: [10, 20], bar: 0, time: 0, settings: settings)
        #expect(closed.isEmpty && fills.count == 2)
        #expect(close(next.books[0].units, 50 / 1.01) && close(next.books[1].units, 25 / 1.01))
        #expect(abs(next.cash) < 1e-9)
        #expect(close(fills.reduce(0) { $0 + $1.fee }, 0.01 * (500 + 500) / 1.01))
        // Whole units: targets round toward zero, scaled buys round down.
        let whole = ExecutionSettings(fill: .close, commission: 0.01, initialCash: 1_000, lot: .whole)
        let (w, _, _) = Rebalance.execute(state, targets: [50, 25], prices: [10, 20], bar: 0, time: 0, settings: whole)
        #expect(w.books[0].units == 49 && w.books[1].units == 24 && close(w.cash, 1_000 - 49 * 10.1 - 24 * 20.2))
    }

    @Test func weightsDriftBetweenRebalancesAndAreRestoredOnSchedule() {
        // Asset 0 doubles over the first week, asset 1 stays; weekly rebalance to 60/40.
        let day: Int64 = 86_400_000_000_000
        let monday: Int64 = 4 * day
        let times = (0..<14).map { monday + Int64($0) * day }
        let a = (0..<14).map { $0 < 7 ? 100 * pow(2, Double($0) / 6) : 200 }, b = [Double](repeating: 50, count: 14)
        let r = PortfolioBacktest.run(open: [a, b], close: [a, b], timestamps: times, schedule: .calendar(.week),
                                      settings: ExecutionSettings(fill: .close, initialCash: 10_000, lot: .fractional)) { _ in [0.6, 0.4] }
        // Without costs, bar 0: 60 units of asset 0 and 80 of asset 1.
        #expect(close(r.units[0][0], 60) && close(r.units[1][0], 80))
        // Drift: at bar 6 asset 0 is worth 12,000 of 16,000.
        #expect(close(r.units[0][6] * a[6] / r.equity[6], 0.75))
        // Bar 7 (the next Monday) restores 60/40 of 16,000.
        #expect(close(r.units[0][7] * a[7] / r.equity[7], 0.6) && close(r.units[1][7] * b[7] / r.equity[7], 0.4))
        #expect(r.fills.count == 4 && r.units[0][13] == r.units[0][7])
        // Fees are the commission on the traded value.
        let paid = PortfolioBacktest.run(open: [a, b], close: [a, b], timestamps: times, schedule: .calendar(.week),
                                         settings: ExecutionSettings(fill: .close, commission: 0.002, fixedFee: 1, initialCash: 10_000, lot: .fractional)) { _ in [0.6, 0.4] }
        #expect(close(paid.fees, 0.002 * paid.tradedValue + Double(paid.fills.count)))
        #expect(paid.equity.last! < r.equity.last!)
    }

    @Test func aWholeEquityTargetIsVectorbtsAllIn() {
        let (open, close, times) = FusedBacktestTests.bars(300, seed: 4)
        let settings = ExecutionSettings(fill: .close, commission: 0.001, fixedFee: 2, initialCash: 10_000, lot: .fractional)
        var targets = [Double](repeating: .nan, count: 300)
        targets[0] = 1
        let target = PortfolioBacktest.run(open: open, close: close, timestamps: times, targets: targets, kind: .fraction, settings: settings)
        let signal = SignalBacktest.run(open: open, close: close, timestamps: times, signals: [.long] + [Signal](repeating: .hold, count: 299), settings: settings)
        for i in 0..<300 { #expect(self.close(target.equity[i], signal.equity[i], 1e-12), "bar \(i)") }
    }

    /// Reference for one asset: decide each fill from the rules directly, keep only a list of
    /// fills, and recompute cash, units and equity from that list at every bar.
    func reference(open: [Double], close: [Double], targets: [Double], kind: PortfolioBacktest.TargetKind, s: ExecutionSettings) -> [Double] {
        struct Fill { var units: Double; var price: Double; var fee: Double }
        var fills: [Fill] = []
        func held() -> Double { fills.reduce(0) { $0 + $1.units } }
        func cash() -> Double { s.initialCash - fills.reduce(0) { $0 + $1.units * $1.price + $1.fee } }
        var equity: [Double] = []
        var bust = false
        for i in close.indices {
            let decisionBar = s.fill == .nextOpen ? i - 1 : i
            if !bust, decisionBar >= 0, !targets[decisionBar].isNaN {
                let p = s.fill == .nextOpen ? open[i] : close[i]
                var want = kind == .units ? targets[decisionBar] : targets[decisionBar] * (cash() + held() * p) / p
                if !s.allowShort { want = max(want, 0) }
                switch s.lot {
                case .whole: want = want.rounded(.towardZero)
                case .size(let l): want = (want / l).rounded(.towardZero) * l
                case .fractional: break
                }
                var delta = want - held()
                if delta != 0 {
                    let slip = s.slippageBps / 10_000
                    let price = delta > 0 ? p * (1 + slip) : p * (1 - slip)
                    if delta > 0 && delta * price * (1 + s.commission) + s.fixedFee > cash() {
                        delta *= max(0, (cash() - s.fixedFee) / (delta * price * (1 + s.commission)))
                        switch s.lot {
                        case .whole: delta = delta.rounded(.down)
                        case .size(let l): delta = (delta / l).rounded(.down) * l
                        case .fractional: break
                        }
                    }
                    if delta != 0 { fills.append(Fill(units: delta, price: price, fee: s.fixedFee + abs(delta) * price * s.commission)) }
                }
            }
            if bust { equity.append(0); continue }
            if cash() + held() * close[i] <= s.initialCash * 1e-12 {
                bust = true
                equity.append(0)
                continue
            }
            equity.append(cash() + held() * close[i])
        }
        return equity
    }

    @Test(arguments: [ExecutionSettings.Fill.nextOpen, .close], [PortfolioBacktest.TargetKind.units, .fraction])
    func targetPositionsMatchTheReference(fill: ExecutionSettings.Fill, kind: PortfolioBacktest.TargetKind) {
        var state: UInt64 = kind == .units ? 5 : 9
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1p-53 }
        for trial in 0..<12 {
            let (open, close, times) = FusedBacktestTests.bars(400, seed: UInt64(trial + 20), wild: trial % 4 == 3)
            let targets: [Double] = (0..<400).map { _ in
                guard unit() < 0.1 else { return .nan }
                return kind == .units ? (unit() - 0.3) * 200 : (unit() - 0.3) * 1.5
            }
            let lots: [ExecutionSettings.Lot] = [.fractional, .whole, .size(0.5)]
            let settings = ExecutionSettings(fill: fill, commission: [0, 0.001, 0.003][trial % 3], fixedFee: trial % 2 == 0 ? 0 : 1,
                                             slippageBps: Double(trial % 4), initialCash: 10_000, allowShort: trial % 3 != 0, lot: lots[trial % 3])
            let r = PortfolioBacktest.run(open: open, close: close, timestamps: times, targets: targets, kind: kind, settings: settings)
            let expected = reference(open: open, close: close, targets: targets, kind: kind, s: settings)
            for i in 0..<400 {
                #expect(abs(r.equity[i] - expected[i]) <= 1e-9 * max(1, abs(expected[i])), "trial \(trial) bar \(i): \(r.equity[i]) vs \(expected[i])")
            }
            #expect(!r.fills.isEmpty, "trial \(trial) should trade")
        }
    }
}
