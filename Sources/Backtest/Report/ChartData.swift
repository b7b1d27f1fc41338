import Foundation
import Ingest

/// One chart of a backtest in the shape the seed's `evaluations.charts` column holds:
/// `{"type": "equity_curve", "data": [...], "config": {...}}`.
public struct Chart: Sendable, Codable, Equatable {
    /// A value in a chart's data: a number, a text or nothing (NaN is written as null).
    public enum Value: Sendable, Codable, Equatable {
        case number(Double)
        case text(String)

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let v): if v.isFinite { try c.encode(v) } else { try c.encodeNil() }
            case .text(let s): try c.encode(s)
            }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .number(.nan) } else if let v = try? c.decode(Double.self) { self = .number(v) } else { self = .text(try c.decode(String.self)) }
        }
    }

    public var type: String
    public var data: [[String: Value]]
    public var config: [String: Value]
}

/// The charts of a backtest: equity (with the buy & hold benchmark scaled to the same start),
/// drawdown, position and trades. Long series are decimated to at most `maxPoints` points per
/// chart, keeping each bucket's first, lowest, highest and last bar so that no peak or trough
/// disappears from the picture.
public enum ChartData {
    public static func charts(equity: [Double], positions: [Double], timestamps: [Int64], trades: [TradeRecord], benchmark: [Double]?,
                              maxPoints: Int = 2_000) -> [Chart] {
        let n = equity.count
        let keep = decimate(equity, maxPoints: maxPoints)
        func time(_ i: Int) -> Chart.Value { .text(TimestampParser.format(timestamps[i])) }
        var drawdown = [Double](repeating: 0, count: n)
        equity.withUnsafeBufferPointer { e in drawdown.withUnsafeMutableBufferPointer { Drawdown.series(equity: e, into: $0) } }
        let benchmarkScale: Double? = {
            guard let b = benchmark, let b0 = b.first, b0 != 0, let e0 = equity.first else { return nil }
            return e0 / b0
        }()
        let equityPoints: [[String: Chart.Value]] = keep.map { i in
            var point: [String: Chart.Value] = ["time": time(i), "equity": .number(equity[i])]
            if let b = benchmark, let s = benchmarkScale { point["buy_and_hold"] = .number(b[i] * s) }
            return point
        }
        let drawdownKeep = decimate(drawdown.map { -$0 }, maxPoints: maxPoints)
        let decimated: Chart.Value = .number(Double(n))
        return [
            Chart(type: "equity_curve", data: equityPoints,
                  config: ["x": .text("time"), "y": .text("equity"), "bars": decimated, "points": .number(Double(keep.count))]),
            Chart(type: "drawdown", data: drawdownKeep.map { ["time": time($0), "drawdown": .number(drawdown[$0])] },
                  config: ["x": .text("time"), "y": .text("drawdown"), "unit": .text("fraction of the running peak"), "bars": decimated]),
            Chart(type: "positions", data: decimate(positions, maxPoints: maxPoints).map { ["time": time($0), "units": .number(positions[$0])] },
                  config: ["x": .text("time"), "y": .text("units"), "bars": decimated]),
            Chart(type: "trades", data: trades.map { t in
                ["entry_time": .text(TimestampParser.format(t.entryTime)), "exit_time": .text(TimestampParser.format(t.exitTime)),
                 "entry_bar": .number(Double(t.entryBar)), "exit_bar": .number(Double(t.exitBar)),
                 "entry_price": .number(t.entryPrice), "exit_price": .number(t.exitPrice), "units": .number(t.units),
                 "pnl": .number(t.pnl), "return": .number(t.returnFraction), "commission": .number(t.commission)]
            }, config: ["count": .number(Double(trades.count))]),
        ]
    }

    /// Indices of at most `maxPoints` bars that draw `values` faithfully: all of them when few,
    /// otherwise the first, lowest, highest and last bar of each of maxPoints / 4 buckets.
    public static func decimate(_ values: [Double], maxPoints: Int) -> [Int] {
        let n = values.count
        guard n > maxPoints, maxPoints >= 4 else { return Array(0..<n) }
        let buckets = maxPoints / 4
        var out: [Int] = []
        out.reserveCapacity(maxPoints)
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = (b + 1) * n / buckets
            guard lo < hi else { continue }
            var low = lo, high = lo
            for i in lo..<hi {
                if values[i] < values[low] { low = i }
                if values[i] > values[high] { high = i }
            }
            for i in Set([lo, low, high, hi - 1]).sorted() { out.append(i) }
        }
        return out
    }

    /// The charts as JSON text.
    public static func json(_ charts: [Chart]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(charts), as: UTF8.self)
    }
}
