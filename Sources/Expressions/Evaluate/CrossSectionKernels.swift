/// Functions across the symbols of one bar (a multi-symbol file's panel): the bar's non-NaN
/// values are ranked, standardised or demeaned among themselves; a NaN stays NaN.
extension Kernels {
    /// `values` holds `symbols` series of `bars` each, one after the other.
    static func crossSection(_ function: Function, _ values: UnsafeBufferPointer<Double>, symbols: Int, bars: Int, into out: UnsafeMutableBufferPointer<Double>) {
        var row = [Double](repeating: 0, count: symbols)
        for t in 0..<bars {
            for s in 0..<symbols { row[s] = values[s * bars + t] }
            let present = row.filter { !$0.isNaN }
            let count = Double(present.count)
            switch function {
            case .csRank:
                // pandas' rank(axis=1, pct=True): average rank of ties over the non-NaN count.
                for s in 0..<symbols {
                    let v = row[s]
                    if v.isNaN { out[s * bars + t] = .nan; continue }
                    var less = 0, equal = 0
                    for u in present { if u < v { less += 1 } else if u == v { equal += 1 } }
                    out[s * bars + t] = (Double(less) + Double(equal + 1) / 2) / count
                }
            case .csDemean, .csZscore:
                let mean = present.reduce(0, +) / count
                var deviation = 1.0
                if function == .csZscore {
                    // Sample σ (ddof 1, pandas' std), two passes.
                    deviation = present.count > 1 ? (present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)).squareRoot() : .nan
                }
                for s in 0..<symbols { out[s * bars + t] = (row[s] - mean) / deviation }
            default:
                preconditionFailure("\(function) is not cross-sectional")
            }
        }
    }
}
