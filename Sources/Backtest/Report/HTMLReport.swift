import Foundation
import Ingest

/// A self-contained HTML report of one backtest: inline SVG charts of equity (against buy & hold)
/// and drawdown, the statistics table and the trades table. No scripts, no external files: it
/// opens anywhere and prints as it shows.
public enum HTMLReport {
    /// What the report shows.
    public struct Content {
        public var title: String
        public var metrics: PerformanceMetrics
        public var statistics: [(String, String)]
        public var equity: [Double]
        public var timestamps: [Int64]
        public var trades: [TradeRecord]
        public var benchmark: [Double]?
        /// Walk-forward: the bars (indices into `equity`) where each out-of-sample part after the
        /// first begins, marked on the charts.
        public var windowStarts: [Int] = []
        /// Walk-forward: each axis's chosen value at every bar, drawn as its own chart.
        public var parameterLines: [(name: String, values: [Double])] = []

        public init(title: String, metrics: PerformanceMetrics, statistics: [(String, String)], equity: [Double], timestamps: [Int64],
                    trades: [TradeRecord], benchmark: [Double]?) {
            self.title = title
            self.metrics = metrics
            self.statistics = statistics
            self.equity = equity
            self.timestamps = timestamps
            self.trades = trades
            self.benchmark = benchmark
        }
    }

    /// Trades listed in full up to this many; beyond, the first and last halves.
    public static let tradeRows = 500

    public static func html(_ c: Content) -> String {
        var drawdown = [Double](repeating: 0, count: c.equity.count)
        c.equity.withUnsafeBufferPointer { e in drawdown.withUnsafeMutableBufferPointer { Drawdown.series(equity: e, into: $0) } }
        var benchmarkLine: [Double]?
        if let b = c.benchmark, let b0 = b.first, b0 != 0, let e0 = c.equity.first { benchmarkLine = b.map { $0 * e0 / b0 } }
        var equityChart = SVGChart(width: 960, height: 320, timestamps: c.timestamps, valueFormat: compactMoney)
            .lines([(c.equity, "#1f77b4", "Equity"), (benchmarkLine ?? [], "#999999", "Buy & hold")].filter { !$0.0.isEmpty })
        var drawdownChart = SVGChart(width: 960, height: 160, timestamps: c.timestamps, valueFormat: { String(format: "%.0f%%", $0 * 100 + 0) })
            .area(drawdown.map { -$0 }, color: "#d62728", label: "Drawdown")
        let marker = SVGChart(width: 960, height: 320, timestamps: c.timestamps, valueFormat: compactMoney)
        var parameterSection = ""
        if !c.windowStarts.isEmpty {
            equityChart = marker.marking(equityChart, bars: c.windowStarts, count: c.equity.count)
            drawdownChart = SVGChart(width: 960, height: 160, timestamps: c.timestamps, valueFormat: compactMoney)
                .marking(drawdownChart, bars: c.windowStarts, count: c.equity.count)
        }
        if !c.parameterLines.isEmpty {
            let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
            let chart = SVGChart(width: 960, height: 200, timestamps: c.timestamps, valueFormat: { number($0) })
            let lines = chart.lines(c.parameterLines.enumerated().map { ($1.values, colours[$0 % colours.count], $1.name) })
            parameterSection = "<h2>Parameters chosen per window</h2>\n" + chart.marking(lines, bars: c.windowStarts, count: c.equity.count) + "\n"
        }
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(c.title))</title>
        <style>
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#222}
        h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px} .sub{color:#666;margin:0 0 16px}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums} td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
        th{background:#f6f6f6;position:sticky;top:0} td:first-child,th:first-child{text-align:left;white-space:nowrap}
        .trades td{white-space:nowrap} .stats{columns:2;column-gap:40px} .stats table{width:100%} .neg{color:#c0392b} .pos{color:#1e8449}
        svg{display:block;margin:4px 0} .note{color:#666;font-size:12px}
        </style></head><body>
        <h1>\(escape(c.title))</h1>
        <p class="sub">\(escape(TimestampParser.format(c.metrics.startTime))) → \(escape(TimestampParser.format(c.metrics.endTime))) · \(c.equity.count) bars · \(c.metrics.tradeCount) trades · \(escape(c.metrics.convention.rawValue)) conventions</p>
        <h2>Equity</h2>
        \(equityChart)
        <h2>Drawdown</h2>
        \(drawdownChart)
        \(parameterSection)        <h2>Statistics</h2>
        <div class="stats"><table>
        """
        for (name, value) in c.statistics { html += "<tr><td>\(escape(name))</td><td>\(escape(value))</td></tr>\n" }
        html += "</table></div>\n<h2>Trades</h2>\n"
        let shown: [(Int, TradeRecord)]
        if c.trades.count > tradeRows {
            let half = tradeRows / 2
            shown = Array(c.trades.enumerated().prefix(half)) + Array(c.trades.enumerated().suffix(half))
            html += "<p class=\"note\">\(c.trades.count) trades; the first and last \(half) are listed (all of them are in the JSON charts).</p>\n"
        } else {
            shown = Array(c.trades.enumerated())
        }
        html += "<table class=\"trades\"><tr><th>#</th><th>Entry</th><th>Exit</th><th>Side</th><th>Units</th><th>Entry price</th><th>Exit price</th><th>P&amp;L</th><th>Return</th><th>Commission</th><th>Bars</th></tr>\n"
        var previous = -1
        for (k, t) in shown {
            if previous >= 0 && k != previous + 1 { html += "<tr><td colspan=\"11\" class=\"note\">…</td></tr>\n" }
            previous = k
            let sign = t.pnl >= 0 ? "pos" : "neg"
            html += "<tr><td>\(k + 1)</td><td>\(escape(shortTime(t.entryTime)))</td><td>\(escape(shortTime(t.exitTime)))</td>"
                + "<td>\(t.units > 0 ? "long" : "short")</td><td>\(number(abs(t.units)))</td><td>\(number(t.entryPrice))</td><td>\(number(t.exitPrice))</td>"
                + "<td class=\"\(sign)\">\(String(format: "%.2f", t.pnl))</td><td class=\"\(sign)\">\(String(format: "%.2f%%", t.returnFraction * 100))</td>"
                + "<td>\(String(format: "%.2f", t.commission))</td><td>\(t.durationBars)</td></tr>\n"
        }
        html += "</table>\n<p class=\"note\">Generated by QuantForge.</p>\n</body></html>\n"
        return html
    }

    /// "2021-07-06 23:59:59" (UTC) for the trades table.
    static func shortTime(_ t: Int64) -> String {
        String(TimestampParser.format(t).replacingOccurrences(of: "T", with: " ").prefix(19))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.6g", v)
    }

    static func compactMoney(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return String(format: "%.3gB", v / 1e9) }
        if a >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if a >= 1e3 { return String(format: "%.3gk", v / 1e3) }
        return String(format: "%.3g", v)
    }
}
