import Backtest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Chart data in the seed's shape, decimation that keeps extremes, the HTML report's structure,
/// and the guard against equity decaying into subnormal numbers.
@Suite struct ReportTests {
    func run() throws -> (BacktestResult, PerformanceMetrics, [Int64], [Double]) {
        let (open, close, times) = FusedBacktestTests.bars(6_000, seed: 12)
        let settings = ExecutionSettings(fill: .nextOpen, commission: 0.001, initialCash: 10_000, allowShort: true)
        let result = try FusedBacktest.run(StrategySpec(name: "sma_cross", parameters: ["fast": 10, "slow": 40]), open: open, close: close,
                                           timestamps: times, settings: settings)
        let m = PerformanceMetrics(equity: result.equity, timestamps: times, trades: result.trades, benchmark: close, initialCash: 10_000,
                                   openTrade: result.openTrade)
        return (result, m, times, close)
    }

    @Test func decimationKeepsEveryBucketsExtremes() {
        var values = (0..<100_000).map { sin(Double($0) / 500) }
        values[31_337] = 50
        values[77_777] = -50
        let keep = ChartData.decimate(values, maxPoints: 2_000)
        #expect(keep.count <= 2_000 && keep.contains(31_337) && keep.contains(77_777))
        #expect(keep.first == 0 && keep.last == 99_999 && keep == keep.sorted())
        #expect(ChartData.decimate([1, 2, 3], maxPoints: 2_000) == [0, 1, 2])
    }

    @Test func chartsHaveTheSeedsShape() throws {
        let (result, _, times, close) = try run()
        let charts = ChartData.charts(equity: result.equity, positions: result.positions, timestamps: times, trades: result.trades, benchmark: close)
        let parsed = try JSONSerialization.jsonObject(with: Data(try ChartData.json(charts).utf8)) as! [[String: Any]]
        #expect(parsed.map { $0["type"] as! String } == ["equity_curve", "drawdown", "positions", "trades"])
        for chart in parsed {
            #expect(chart["data"] is [[String: Any]] && chart["config"] is [String: Any])
        }
        let equity = parsed[0]["data"] as! [[String: Any]]
        #expect(equity.count <= 2_000 && equity.first?["time"] as? String == "1970-01-01T00:00:00Z")
        #expect((equity.last?["equity"] as! Double) == result.equity.last!)
        // Buy & hold starts where equity starts.
        #expect((equity.first?["buy_and_hold"] as! Double) == result.equity.first!)
        #expect((parsed[3]["data"] as! [[String: Any]]).count == result.trades.count)
        let drawdown = parsed[1]["data"] as! [[String: Any]]
        #expect(drawdown.allSatisfy { ($0["drawdown"] as! Double) >= 0 })
    }

    /// Collects element names of an XML document.
    final class Elements: NSObject, XMLParserDelegate {
        var names: [String] = []
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            names.append(elementName)
        }
    }

    @Test func htmlReportHasChartsStatisticsAndTrades() throws {
        let (result, m, times, close) = try run()
        let rows = StatsTable.rows(m, label: "SYN <test> & co", openTrade: result.openTrade)
        let html = HTMLReport.html(HTMLReport.Content(title: "Backtest: SYN <test> & co", metrics: m, statistics: rows, equity: result.equity,
                                                      timestamps: times, trades: result.trades, benchmark: close))
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<title>Backtest: SYN &lt;test&gt; &amp; co</title>"))
        #expect(!html.contains("<script"), "self-contained: no scripts")
        for (name, _) in rows { #expect(html.contains(name.replacingOccurrences(of: "&", with: "&amp;")), "\(name)") }
        // One table row per trade (the run has fewer than the listing limit) plus the header.
        #expect(result.trades.count < HTMLReport.tradeRows)
        let tradeRows = html.components(separatedBy: "<td>long</td>").count + html.components(separatedBy: "<td>short</td>").count - 2
        #expect(tradeRows == result.trades.count)
        // Both charts are well-formed SVG with a line and an area.
        var svgs: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            svgs.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        #expect(svgs.count == 2)
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            let elements = Elements()
            parser.delegate = elements
            #expect(parser.parse(), "SVG parses as XML")
            #expect(elements.names.contains("polyline") || elements.names.contains("polygon"))
        }
    }

    @Test func equityDecayingTowardZeroIsWipedOutNotSubnormal() throws {
        // Trading every bar with 10% fees compounds the account towards zero; past 1e-12 of the
        // initial cash it is wiped out, so no equity value is ever subnormal (where every
        // operation costs ~100×) and the figures stay defined.
        let n = 20_000
        let close = (0..<n).map { 100 + (($0 % 2 == 0) ? 0.5 : -0.5) }
        let times = (0..<n).map { Int64($0) * 60_000_000_000 }
        let settings = ExecutionSettings(fill: .close, commission: 0.1, initialCash: 10_000, allowShort: true, lot: .fractional)
        let spec = StrategySpec(name: "momentum", parameters: ["lookback": 1])
        let result = try FusedBacktest.run(spec, open: close, close: close, timestamps: times, settings: settings)
        #expect(result.finalState.isBust)
        #expect(result.equity.allSatisfy { $0 == 0 || $0 >= Double.leastNormalMagnitude })
        #expect(result.equity.last == 0 && result.equity.contains { $0 > 0 && $0 < 1e-3 })
        let slow = SignalBacktest.run(open: close, close: close, timestamps: times, signals: try Strategies.signals(spec, close: close), settings: settings)
        #expect(slow.equity == result.equity)
        // The sweep's streaming figures take the same path.
        var rows: [SweepRow] = []
        _ = try Sweep.run(SweepConfiguration(strategy: "momentum", grid: ParameterGrid(axes: [.init(name: "lookback", values: [1])]), settings: settings),
                          open: close, close: close, timestamps: times, onRows: { rows += $0 })
        #expect(rows.count == 1 && rows[0].metrics.equityFinal == 0 && rows[0].metrics.maxDrawdown == 1)
    }
}
