import Foundation

/// The arithmetic of every operation over one symbol's bars (the series functions) or over one
/// bar's values (bar by bar), pandas' semantics: a rolling window's value is NaN until the window
/// is full and while it holds a NaN (`min_periods` = window), comparisons with NaN are false
/// (`!=` true), division by zero gives ±inf or NaN as IEEE says.
public enum Kernels {
    /// The value of a bar-by-bar operation on `inputs` (nil for series functions).
    /// `operation` over `count` bars of `inputs` into `out`, the common ones as plain loops the
    /// compiler vectorises (whole series and a sweep cell's blocks use this one loop).
    static func elementwise(_ operation: ExpressionGraph.Operation, _ x: [UnsafePointer<Double>], count: Int, into out: UnsafeMutablePointer<Double>) {
        switch (operation, x.count) {
        case (.add, 2): for i in 0..<count { out[i] = x[0][i] + x[1][i] }
        case (.subtract, 2): for i in 0..<count { out[i] = x[0][i] - x[1][i] }
        case (.multiply, 2): for i in 0..<count { out[i] = x[0][i] * x[1][i] }
        case (.divide, 2): for i in 0..<count { out[i] = x[0][i] / x[1][i] }
        case (.greater, 2): for i in 0..<count { out[i] = x[0][i] > x[1][i] ? 1 : 0 }
        case (.less, 2): for i in 0..<count { out[i] = x[0][i] < x[1][i] ? 1 : 0 }
        default:
            var arguments = [Double](repeating: 0, count: x.count)
            for i in 0..<count {
                for k in x.indices { arguments[k] = x[k][i] }
                out[i] = elementwise(operation, arguments)!
            }
        }
    }

    public static func elementwise(_ operation: ExpressionGraph.Operation, _ v: [Double]) -> Double? {
        func truth(_ b: Bool) -> Double { b ? 1 : 0 }
        switch operation {
        case .negate: return -v[0]
        case .add: return v[0] + v[1]
        case .subtract: return v[0] - v[1]
        case .multiply: return v[0] * v[1]
        case .divide: return v[0] / v[1]
        case .less: return truth(v[0] < v[1])
        case .lessOrEqual: return truth(v[0] <= v[1])
        case .greater: return truth(v[0] > v[1])
        case .greaterOrEqual: return truth(v[0] >= v[1])
        case .equal: return truth(v[0] == v[1])
        case .notEqual: return truth(v[0] != v[1])
        case .and: return truth(v[0] != 0 && v[1] != 0)
        case .or: return truth(v[0] != 0 || v[1] != 0)
        case .not: return truth(v[0] == 0)
        case .function(let f, _):
            switch f {
            case .abs: return Swift.abs(v[0])
            case .log: return Foundation.log(v[0])
            case .exp: return Foundation.exp(v[0])
            case .sqrt: return v[0].squareRoot()
            case .sign: return v[0].isNaN ? .nan : (v[0] > 0 ? 1 : (v[0] < 0 ? -1 : 0))
            case .min: return v[0].isNaN || v[1].isNaN ? .nan : Swift.min(v[0], v[1])
            case .max: return v[0].isNaN || v[1].isNaN ? .nan : Swift.max(v[0], v[1])
            case .where: return v[0] != 0 ? v[1] : v[2]
            default: return nil
            }
        case .column, .constant: return nil
        }
    }

    /// A rolling mean other than the default (Backtest plugs in the built-in strategies' own, so
    /// `sma` in an expression is bit for bit the built-in `sma_cross`'s): the mean of x[i−w+1…i]
    /// into out[i], NaN before bar w − 1.
    public typealias RollingMean = @Sendable (_ x: UnsafeBufferPointer<Double>, _ window: Int, _ out: UnsafeMutableBufferPointer<Double>) -> Void

    /// Rolling sums of x over `w` bars (NaN before bar w − 1 and while the window holds a
    /// non-finite value... computed afresh then, so an infinity gives ±inf, not NaN, as it leaves).
    /// Between fresh sums the window slides with Neumaier's compensation; a fresh sum every 1,024
    /// bars keeps the error from drifting.
    static func rollingSum(_ x: UnsafeBufferPointer<Double>, window w: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        var nonFinite = 0
        var sum = 0.0, compensation = 0.0
        var fresh = true
        func add(_ value: Double) {
            let t = sum + value
            compensation += Swift.abs(sum) >= Swift.abs(value) ? (sum - t) + value : (value - t) + sum
            sum = t
        }
        for i in 0..<n {
            if !x[i].isFinite { nonFinite += 1 }
            if i >= w, !x[i - w].isFinite { nonFinite -= 1 }
            if i < w - 1 { out[i] = .nan; continue }
            if nonFinite > 0 {
                var s = 0.0
                for j in (i - w + 1)...i { s += x[j] }
                out[i] = s
                fresh = true
                continue
            }
            if fresh || (i % 1_024) == 0 {
                sum = 0
                compensation = 0
                for j in (i - w + 1)...i { add(x[j]) }
                fresh = false
            } else {
                add(x[i])
                add(-x[i - w])
            }
            out[i] = sum + compensation
        }
        if w > n { for i in 0..<n { out[i] = .nan } }
    }
}
