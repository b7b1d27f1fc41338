import Foundation
@testable import Backtest
import Testing

/// Each library's own rolling-mean arithmetic on real two-decimal prices (TradeMaster's BTC and
/// DJI closes, rounded to cents), against the libraries' own output in Fixtures/grid.json
/// (written by make_grid_fixtures.py with vectorbt 1.2 and pandas / Backtesting.py):
/// - every window 2…208: the bits of our means equal vectorbt's `MA.run` and pandas'
///   `rolling(w).mean()`, whole and computed in blocks with carried state;
/// - every cell of the SMA grid (fast 2…51 × slow 10…208 step 2, 4,538 cells): under
///   `--convention vectorbt` the total return equals vectorbt's, under `backtesting.py` the trade
///   count and final equity equal Backtesting.py's.
/// Where two means tie in exact arithmetic (a few cells on these prices) only the library's own
/// rounding gives its crossing.
@Suite struct LibraryArithmeticTests {
    struct Fixture: Decodable {
        struct Data: Decodable {
            var closes: [String]
            var opens: [String]
            var vectorbt_means: [String: String]
            var pandas_means: [String: String]
            var vectorbt_grid: [Double]
            var backtesting_grid: [[Double]]
        }
        var combos: [[Int]]
        var data: [String: Data]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/grid.json")
        return try! JSONDecoder().decode(Fixture.self, from: try! Foundation.Data(contentsOf: url))
    }()

    /// The checksum the fixture holds: Σ bits[i]·(2i+1) mod 2⁶⁴, NaN as the quiet NaN.
    static func checksum(_ values: [Double]) -> String {
        var sum: UInt64 = 0
        for (i, v) in values.enumerated() {
            let bits = v.isNaN ? 0x7FF8_0000_0000_0000 : v.bitPattern
            sum = sum &+ bits &* (UInt64(i) &* 2 &+ 1)
        }
        return String(sum)
    }

    /// The series' means in `arithmetic`, computed in blocks of `block` bars with carried state.
    static func means(_ x: [Double], window: Int, arithmetic: MeanArithmetic, block: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        var state = IndicatorKernel.State(arithmetic: arithmetic)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                var start = 0
                while start < x.count {
                    let range = start..<min(x.count, start + block)
                    IndicatorKernel.sma(window).fill(xp, range: range, into: op.baseAddress! + start, state: &state)
                    start = range.upperBound
                }
            }
        }
        return out
    }

    @Test(arguments: ["btc", "dji"])
    func meansAreTheLibrariesOwnBits(_ name: String) throws {
        let data = try #require(Self.fixture.data[name])
        let close = data.closes.map { Double($0)! }
        for w in 2...208 {
            let vbt = IndicatorKernel.sma(w).compute(close, arithmetic: .vectorbt)
            #expect(Self.checksum(vbt) == data.vectorbt_means[String(w)], "\(name) vectorbt window \(w)")
            #expect(Self.checksum(Self.means(close, window: w, arithmetic: .vectorbt, block: 997)) == data.vectorbt_means[String(w)])
            let pandas = IndicatorKernel.sma(w).compute(close, arithmetic: .pandas)
            #expect(Self.checksum(pandas) == data.pandas_means[String(w)], "\(name) pandas window \(w)")
            #expect(Self.checksum(Self.means(close, window: w, arithmetic: .pandas, block: 997)) == data.pandas_means[String(w)])
        }
    }

    /// The sweep's rows by grid cell, for the fixture's combinations.
    static func sweep(_ data: Fixture.Data, settings: ExecutionSettings, convention: MetricsConvention) throws -> [[Int]: SweepMetrics] {
        let close = data.closes.map { Double($0)! }, open = data.opens.map { Double($0)! }
        let times = (0..<close.count).map { Int64($0) * 86_400_000_000_000 }
        let grid = ParameterGrid(axes: [try .init(parsing: "slow=10:208:2"), try .init(parsing: "fast=2:51")])
        var rows: [SweepRow] = []
        _ = try Sweep.run(SweepConfiguration(strategy: "sma_cross", grid: grid, settings: settings, convention: convention, threads: 2),
                          open: open, close: close, timestamps: times, onRows: { rows += $0 })
        var byCell: [[Int]: SweepMetrics] = [:]
        for row in rows {
            let p = grid.parameters(at: row.index)
            byCell[[Int(p["fast"]!), Int(p["slow"]!)]] = row.metrics
        }
        return byCell
    }

    static func agrees(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance * max(1, abs(b)) }

    @Test(arguments: ["btc", "dji"])
    func everyCellIsVectorbtsUnderItsConvention(_ name: String) throws {
        let data = try #require(Self.fixture.data[name])
        let rows = try Self.sweep(data, settings: ExecutionSettings(fill: .close, commission: 0.0001), convention: .vectorbt)
        var differing: [String] = []
        for (k, combo) in Self.fixture.combos.enumerated() {
            guard let m = rows[combo] else { differing.append("\(combo) missing"); continue }
            if !Self.agrees(m.totalReturn, data.vectorbt_grid[k]) { differing.append("\(combo): \(m.totalReturn) vs \(data.vectorbt_grid[k])") }
        }
        #expect(Self.fixture.combos.count == 4_538)
        #expect(differing.isEmpty, "\(name): \(differing.count) cells differ from vectorbt: \(differing.prefix(5))")
    }

    @Test(arguments: ["btc", "dji"])
    func everyCellIsBacktestingPysUnderItsConvention(_ name: String) throws {
        let data = try #require(Self.fixture.data[name])
        let settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 1_000_000)
        let rows = try Self.sweep(data, settings: settings, convention: .backtestingPy)
        var differing: [String] = []
        for (k, combo) in Self.fixture.combos.enumerated() {
            guard let m = rows[combo] else { differing.append("\(combo) missing"); continue }
            let expected = data.backtesting_grid[k]
            if Double(m.trades) != expected[0] || !Self.agrees(m.equityFinal, expected[1]) {
                differing.append("\(combo): \(m.trades) trades, \(m.equityFinal) vs \(Int(expected[0])), \(expected[1])")
            }
        }
        #expect(differing.isEmpty, "\(name): \(differing.count) cells differ from Backtesting.py: \(differing.prefix(5))")
    }

    /// A single backtest (what `qf backtest` and evaluations run) with a peer's semantics makes
    /// that peer's trades on the cells where the means tie on BTC's cents.
    @Test func singleRunsOnTiedCellsAreThePeersToo() throws {
        let data = try #require(Self.fixture.data["btc"])
        let close = data.closes.map { Double($0)! }, open = data.opens.map { Double($0)! }
        let times = (0..<close.count).map { Int64($0) * 86_400_000_000_000 }
        for combo in [[7, 14], [45, 46], [23, 184]] {
            let k = try #require(Self.fixture.combos.firstIndex(of: combo))
            let spec = StrategySpec(name: "sma_cross", parameters: ["fast": Double(combo[0]), "slow": Double(combo[1])])
            var vectorbt = ExecutionSettings(fill: .close, commission: 0.0001)
            vectorbt.peer = .vectorbt
            let v = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: vectorbt)
            #expect(Self.agrees(v.equity.last! / 10_000 - 1, data.vectorbt_grid[k]), "\(combo) vectorbt")
            var backtesting = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 1_000_000)
            backtesting.peer = .backtestingPy
            let b = try FusedBacktest.run(spec, open: open, close: close, timestamps: times, settings: backtesting)
            #expect(Double(b.trades.count) == data.backtesting_grid[k][0], "\(combo) Backtesting.py trades \(b.trades.count)")
            #expect(Self.agrees(b.equity.last!, data.backtesting_grid[k][1]), "\(combo) Backtesting.py equity")
        }
    }
}
