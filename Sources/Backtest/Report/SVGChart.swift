import Foundation
import Ingest

/// A small inline SVG chart over bars: lines or a filled area, dates along the bottom, values on
/// the left. The x axis is the bar index (gaps such as weekends take no room); the y axis turns
/// logarithmic when every value is positive and they span more than a factor of 20, so a curve
/// that grew 400-fold still shows its early years. Series longer than the chart is wide are
/// decimated by `ChartData.decimate`, which keeps every bucket's extremes.
struct SVGChart {
    let width: Double
    let height: Double
    let timestamps: [Int64]
    let valueFormat: (Double) -> String
    let left = 64.0, right = 12.0, top = 12.0, bottom = 26.0

    init(width: Double, height: Double, timestamps: [Int64], valueFormat: @escaping (Double) -> String) {
        self.width = width
        self.height = height
        self.timestamps = timestamps
        self.valueFormat = valueFormat
    }

    /// Lines for each (values, colour, label), with a legend.
    func lines(_ series: [([Double], String, String)]) -> String {
        let finite = series.flatMap { $0.0 }.filter { $0.isFinite }
        guard let low = finite.min(), let high = finite.max() else { return empty() }
        let scale = YScale(low: low, high: high, logarithmic: low > 0 && high / low > 20, top: top, bottom: height - bottom)
        var svg = open() + axes(scale)
        for (values, colour, _) in series {
            let points = ChartData.decimate(values, maxPoints: Int(width) * 2).filter { values[$0].isFinite }
                .map { String(format: "%.1f,%.1f", x($0, count: values.count), scale.y(values[$0])) }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.3\" points=\"\(points.joined(separator: " "))\"/>\n"
        }
        var legendX = left + 8
        for (_, colour, label) in series {
            svg += "<rect x=\"\(legendX)\" y=\"\(top + 2)\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
                + "<text x=\"\(legendX + 14)\" y=\"\(top + 11)\" font-size=\"11\">\(HTMLReport.escape(label))</text>\n"
            legendX += 24 + Double(label.count) * 6.5
        }
        return svg + "</svg>"
    }

    /// A filled area between zero and the values (drawdown, as negative fractions).
    func area(_ values: [Double], color: String, label: String) -> String {
        let finite = values.filter { $0.isFinite }
        guard let low = finite.min() else { return empty() }
        let scale = YScale(low: Swift.min(low, -1e-9), high: 0, logarithmic: false, top: top, bottom: height - bottom)
        let keep = ChartData.decimate(values, maxPoints: Int(width) * 2).filter { values[$0].isFinite }
        guard let first = keep.first, let last = keep.last else { return empty() }
        var points = [String(format: "%.1f,%.1f", x(first, count: values.count), scale.y(0))]
        points += keep.map { String(format: "%.1f,%.1f", x($0, count: values.count), scale.y(values[$0])) }
        points.append(String(format: "%.1f,%.1f", x(last, count: values.count), scale.y(0)))
        return open() + axes(scale) + "<polygon fill=\"\(color)\" fill-opacity=\"0.35\" stroke=\"\(color)\" stroke-width=\"1\" points=\"\(points.joined(separator: " "))\"/>\n"
            + "<text x=\"\(left + 8)\" y=\"\(height - bottom - 6)\" font-size=\"11\">\(HTMLReport.escape(label))</text></svg>"
    }

    /// `svg` (a chart of `count` bars) with a dashed vertical line at each of `bars`: where a
    /// walk-forward window's out-of-sample part begins.
    func marking(_ svg: String, bars: [Int], count: Int) -> String {
        guard svg.hasSuffix("</svg>"), !bars.isEmpty else { return svg }
        let lines = bars.map { bar in
            String(format: "<line class=\"window\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"3,3\"/>",
                   x(bar, count: count), x(bar, count: count), top, height - bottom)
        }
        return String(svg.dropLast("</svg>".count)) + lines.joined(separator: "\n") + "\n</svg>"
    }

    func x(_ i: Int, count: Int) -> Double { left + (width - left - right) * Double(i) / Double(Swift.max(count - 1, 1)) }

    func open() -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"system-ui,sans-serif\">\n"
            + "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"#fcfcfc\" stroke=\"#ddd\"/>\n"
    }

    func empty() -> String { open() + "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\" fill=\"#999\">no data</text></svg>" }

    /// Grid lines with values on the left and five dates along the bottom.
    func axes(_ scale: YScale) -> String {
        var svg = ""
        for v in scale.ticks() {
            let y = scale.y(v)
            svg += String(format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, width - right, y, y)
                + String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">", left - 4, y + 3)
                + HTMLReport.escape(valueFormat(v)) + "</text>\n"
        }
        let n = timestamps.count
        guard n > 0 else { return svg }
        for k in 0...4 {
            let i = (n - 1) * k / 4
            let label = String(TimestampParser.format(timestamps[i]).prefix(10))
            let anchor = k == 0 ? "start" : (k == 4 ? "end" : "middle")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"%@\" fill=\"#555\">%@</text>\n",
                          x(i, count: n), height - 8, anchor, label)
        }
        return svg
    }

    /// Values to pixels, linear or logarithmic.
    struct YScale {
        let low: Double, high: Double, logarithmic: Bool, top: Double, bottom: Double

        func t(_ v: Double) -> Double { logarithmic ? log10(v) : v }

        func y(_ v: Double) -> Double {
            let (a, b) = (t(low), t(high))
            let span = b - a == 0 ? 1 : b - a
            return bottom - (t(v) - a) / span * (bottom - top)
        }

        /// Four or five round values across the range.
        func ticks() -> [Double] {
            if logarithmic {
                let lo = Int(floor(log10(low))), hi = Int(ceil(log10(high)))
                let step = Swift.max(1, (hi - lo + 4) / 5)
                return stride(from: lo, through: hi, by: step).map { pow(10, Double($0)) }.filter { $0 >= low && $0 <= high }
            }
            let span = high - low
            guard span > 0 else { return [low] }
            let raw = span / 4, magnitude = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
            return stride(from: ceil(low / step) * step, through: high, by: step).map { $0 }
        }
    }
}
