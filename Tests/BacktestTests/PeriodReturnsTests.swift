@testable import Backtest
import Testing

/// Returns by calendar period against values worked out by hand, and the bar slice by time.
@Suite struct PeriodReturnsTests {
    static let day: Int64 = 86_400_000_000_000
    // 2020-12-30, 2020-12-31, 2021-01-01, 2021-01-31, 2021-02-01 (days since the epoch: 18626…).
    static let times: [Int64] = [18_626, 18_627, 18_628, 18_658, 18_659].map { $0 * day }
    static let equity: [Double] = [105, 110, 99, 121, 133.1]

    @Test func monthlyAndYearlyReturnsChainFromTheInitialValue() {
        let monthly = PeriodReturns.table(equity: Self.equity, timestamps: Self.times, initialValue: 100, period: .month)
        #expect(monthly.map(\.label) == ["2020-12", "2021-01", "2021-02"])
        // Dec: 110/100 − 1; Jan: 121/110 − 1; Feb: 133.1/121 − 1.
        let expected = [0.1, 0.1, 0.1]
        #expect(zip(monthly.map(\.value), expected).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(monthly.map(\.firstBar) == [0, 2, 4] && monthly.map(\.lastBar) == [1, 3, 4])
        let yearly = PeriodReturns.table(equity: Self.equity, timestamps: Self.times, initialValue: 100, period: .year)
        #expect(yearly.map(\.label) == ["2020", "2021"])
        #expect(abs(yearly[0].value - 0.1) < 1e-12 && abs(yearly[1].value - 0.21) < 1e-12)
        let total = yearly.reduce(1.0) { $0 * (1 + $1.value) } - 1
        #expect(abs(total - (133.1 / 100 - 1)) < 1e-12, "the periods compound to the total return")
    }

    @Test func aSliceKeepsTheBarsInsideTheRangeInclusive() {
        let bars = BarSeries(symbol: "X", open: [1, 2, 3, 4, 5], close: [1.5, 2.5, 3.5, 4.5, 5.5], timestamps: Self.times)
        let middle = bars.slice(from: Self.times[1], to: Self.times[3])
        #expect(middle.close == [2.5, 3.5, 4.5] && middle.open == [2, 3, 4] && middle.timestamps == Array(Self.times[1...3]))
        #expect(bars.slice(from: nil, to: Self.times[0]).count == 1 && bars.slice(from: Self.times[4] + 1, to: nil).count == 0)
        #expect(bars.slice(from: Self.times[3], to: Self.times[1]).count == 0)
    }
}
