import Backtest
import Foundation
import Ingest
import Testing

/// The same strategies on the same bars as Backtesting.py 0.6.6 and vectorbt 1.2.0, against the
/// trades, equity curves and statistics those libraries produced (Fixtures/peers.json, written by
/// Fixtures/make_peer_fixtures.py). Bars go through the real pipeline: CSV → ingest → HDF5 → columns.
@Suite struct PeerAgreementTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            struct Trade: Decodable {
                var entry_bar: Int, exit_bar: Int, size: Double, entry_price: Double, exit_price: Double, pnl: Double, `return`: Double
                var open: Bool?
            }
            var name: String, peer: String, data: String, strategy: StrategySpec, fill: String
            var commission: Double, cash: Double
            var allow_short: Bool?
            var fixed_fee: Double?, slippage_bps: Double?, freq_seconds: Double?
            var stats: [String: Double]
            var equity: [Double]
            var trades: [Trade]
        }
        var cases: [Case]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let shared: String = ProcessInfo.processInfo.environment["QF_SHARED_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized.path
    static let cases: [Fixture.Case] = {
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("peers.json"))
        return try! JSONDecoder().decode(Fixture.self, from: data).cases
    }()

    /// Ingests the case's CSV into a temporary bar file and reads it back.
    func bars(_ name: String) throws -> (open: [Double], close: [Double], times: [Int64]) {
        let csv: String
        switch name {
        case "btc": csv = "\(Self.shared)/data/trademaster/algorithmic_trading/BTC/BTC.csv"
        case "dji": csv = "\(Self.shared)/data/trademaster/portfolio_management/dj30/DJI.csv"
        default: csv = Self.fixtures.appendingPathComponent("\(name).csv").path
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = IngestOptions()
        if name == "hourly" { options.symbol = "HOURLY" }
        let out = dir.appendingPathComponent("\(name).h5").path
        _ = try CSVIngestor.ingest(csv: csv, to: out, options: options)
        let file = try BarFile(path: out)
        let symbol = file.symbols[0]
        return (try file.column("open", of: symbol), try file.column("close", of: symbol), try file.timestamps(of: symbol))
    }

    func agrees(_ ours: Double, _ theirs: Double, _ tolerance: Double = 1e-9) -> Bool {
        if ours.isNaN || theirs.isNaN { return ours.isNaN && theirs.isNaN }
        return abs(ours - theirs) <= tolerance * max(1, abs(theirs))
    }

    /// Runs a case and checks trades and the equity curve; returns the metrics for the caller.
    func run(_ c: Fixture.Case) throws -> (PerformanceMetrics, BacktestResult) {
        let (open, close, times) = try bars(c.data)
        #expect(close.count == c.equity.count, "\(c.name): bar count")
        let signals = try Strategies.signals(c.strategy, close: close)
        let settings = ExecutionSettings(fill: ExecutionSettings.Fill(rawValue: c.fill)!, commission: c.commission, fixedFee: c.fixed_fee ?? 0,
                                         slippageBps: c.slippage_bps ?? 0, initialCash: c.cash, allowShort: c.allow_short ?? false)
        let result = SignalBacktest.run(open: open, close: close, timestamps: times, signals: signals, settings: settings)
        let closed = c.trades.filter { $0.open != true }
        #expect(result.trades.count == closed.count, "\(c.name): \(result.trades.count) trades, \(c.peer) has \(closed.count)")
        for (k, (a, b)) in zip(result.trades, closed).enumerated() {
            #expect(a.entryBar == b.entry_bar && a.exitBar == b.exit_bar, "\(c.name) trade \(k): bars \(a.entryBar)–\(a.exitBar) vs \(b.entry_bar)–\(b.exit_bar)")
            #expect(agrees(a.units, b.size) && agrees(a.entryPrice, b.entry_price) && agrees(a.exitPrice, b.exit_price), "\(c.name) trade \(k): \(a) vs \(b)")
            #expect(agrees(a.pnl, b.pnl) && agrees(a.returnFraction, b.return), "\(c.name) trade \(k): pnl \(a.pnl) vs \(b.pnl)")
        }
        var worst = 0.0
        for i in c.equity.indices { worst = max(worst, abs(result.equity[i] - c.equity[i]) / max(1, abs(c.equity[i]))) }
        #expect(worst <= 1e-9, "\(c.name): equity differs by \(worst) relative")
        let convention: MetricsConvention = c.peer == "vectorbt" ? .vectorbt : .backtestingPy
        let metrics = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, convention: convention,
                                         benchmark: close, benchmarkStart: convention == .backtestingPy ? try Strategies.warmupBars(c.strategy) : 0,
                                         initialCash: c.cash, openTrade: result.openTrade)
        return (metrics, result)
    }

    @Test(arguments: cases.filter { $0.peer == "backtesting.py" }.map(\.name))
    func backtestingPy(name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let (m, _) = try run(c)
        let ours: [String: Double] = [
            "Exposure Time [%]": m.exposure * 100, "Equity Final [$]": m.equityFinal, "Equity Peak [$]": m.equityPeak,
            "Commissions [$]": m.commissions, "Return [%]": m.totalReturn * 100, "Buy & Hold Return [%]": m.buyAndHoldReturn * 100,
            "Return (Ann.) [%]": m.annualReturn * 100, "Volatility (Ann.) [%]": m.annualVolatility * 100, "CAGR [%]": m.cagr * 100,
            "Sharpe Ratio": m.sharpe, "Sortino Ratio": m.sortino, "Calmar Ratio": m.calmar, "Alpha [%]": m.alpha * 100, "Beta": m.beta,
            "Max. Drawdown [%]": -m.maxDrawdown * 100, "Avg. Drawdown [%]": -m.averageDrawdown * 100,
            "Max. Drawdown Duration": m.maxDrawdownDurationSeconds, "Avg. Drawdown Duration": m.averageDrawdownDurationSeconds,
            "# Trades": Double(m.tradeCount), "Win Rate [%]": m.winRate * 100, "Best Trade [%]": m.bestTrade * 100,
            "Worst Trade [%]": m.worstTrade * 100, "Avg. Trade [%]": m.averageTrade * 100,
            "Max. Trade Duration": m.maxTradeDurationSeconds, "Avg. Trade Duration": m.averageTradeDurationSeconds,
            "Profit Factor": m.profitFactor, "Expectancy [%]": m.expectancy * 100, "SQN": m.sqn, "Kelly Criterion": m.kellyCriterion,
        ]
        for (key, value) in ours.sorted(by: { $0.key < $1.key }) {
            let theirs = c.stats[key] ?? .nan
            #expect(agrees(value, theirs), "\(name): \(key) = \(value), Backtesting.py \(theirs)")
        }
    }

    @Test(arguments: cases.filter { $0.peer == "vectorbt" }.map(\.name))
    func vectorbt(name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let (m, result) = try run(c)
        let bar = c.freq_seconds ?? 86_400
        let ours: [String: Double] = [
            "End Value": m.equityFinal, "Total Return [%]": m.totalReturn * 100, "Benchmark Return [%]": m.buyAndHoldReturn * 100,
            "Total Fees Paid": m.commissions + (result.openTrade?.commission ?? 0), "Max Drawdown [%]": m.maxDrawdown * 100,
            "Max Drawdown Duration": Double(m.maxDrawdownDuration) * bar, "Max Drawdown Duration (s)": m.maxDrawdownDurationSeconds, "Total Trades": Double(m.tradeCount + m.openTradeCount),
            "Total Closed Trades": Double(m.tradeCount), "Win Rate [%]": m.winRate * 100, "Best Trade [%]": m.bestTrade * 100,
            "Worst Trade [%]": m.worstTrade * 100, "Profit Factor": m.profitFactor, "Expectancy": m.expectancy,
            "Sharpe Ratio": m.sharpe, "Calmar Ratio": m.calmar, "Omega Ratio": m.omega, "Sortino Ratio": m.sortino,
        ]
        for (key, value) in ours.sorted(by: { $0.key < $1.key }) {
            let theirs = c.stats[key.replacingOccurrences(of: " (s)", with: "")] ?? .nan
            #expect(agrees(value, theirs), "\(name): \(key) = \(value), vectorbt \(theirs)")
        }
    }
}
