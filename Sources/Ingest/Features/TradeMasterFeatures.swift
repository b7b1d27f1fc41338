/// TradeMaster's per-symbol features, computed exactly as its data files hold them:
///
/// - `zopen = open/close − 1`, `zhigh = high/close − 1`, `zlow = low/close − 1`,
///   `zadjcp = adjcp/close − 1`;
/// - `zclose = close_t / close_{t−1} − 1`;
/// - `zd_k = mean(P_{t−k+1 … t}) / P_t − 1` for k ∈ {5, 10, 15, 20, 25, 30}, with P = adjcp
///   (close when there is no adjcp);
/// - values undefined at the start (the first zclose, the first k − 1 rows of zd_k) are
///   forward-filled, then back-filled, as `df.ffill().bfill()` does.
public enum TradeMasterFeatures {
    /// The moving-average windows.
    public static let windows = [5, 10, 15, 20, 25, 30]

    /// Feature names in TradeMaster's column order.
    public static var names: [String] {
        ["zopen", "zhigh", "zlow", "zadjcp", "zclose"] + windows.map { "zd_\($0)" }
    }

    /// The features of one symbol's columns (all of equal length), by name.
    public static func compute(open: [Double], high: [Double], low: [Double], close: [Double], adjcp: [Double]?) -> [String: [Double]] {
        let n = close.count
        let lengths = [open.count, high.count, low.count, adjcp?.count ?? n]
        precondition(lengths.allSatisfy { $0 == n }, "TradeMasterFeatures: columns of unequal length")
        let price = adjcp ?? close
        var out: [String: [Double]] = [:]
        func relativeToClose(_ x: [Double]) -> [Double] { (0..<n).map { (i: Int) -> Double in x[i] / close[i] - 1 } }
        out["zopen"] = relativeToClose(open)
        out["zhigh"] = relativeToClose(high)
        out["zlow"] = relativeToClose(low)
        out["zadjcp"] = relativeToClose(price)
        var change = [Double](repeating: .nan, count: n)
        for i in 1..<max(n, 1) { change[i] = close[i] / close[i - 1] - 1 }
        out["zclose"] = fillGaps(change)
        for k in windows {
            var values = [Double](repeating: .nan, count: n)
            if n >= k {
                for t in (k - 1)..<n {
                    var sum = 0.0
                    for j in (t - k + 1)...t { sum += price[j] }
                    values[t] = sum / Double(k) / price[t] - 1
                }
            }
            out["zd_\(k)"] = fillGaps(values)
        }
        return out
    }

    /// Forward fill, then backward fill, of NaN values.
    public static func fillGaps(_ values: [Double]) -> [Double] {
        var result = values
        var last = Double.nan
        for i in result.indices {
            if result[i].isNaN { result[i] = last } else { last = result[i] }
        }
        var next = Double.nan
        for i in result.indices.reversed() {
            if result[i].isNaN { result[i] = next } else { next = result[i] }
        }
        return result
    }
}
