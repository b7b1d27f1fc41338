/// One indicator column of a price series, computed over consecutive ranges of bars with the
/// state it carries from one range to the next. Whole-array indicators (`Indicators`), the fused
/// backtests and sweeps all compute through here, so every path sees the same bits.
public enum IndicatorKernel: Hashable, Sendable, CustomStringConvertible {
    /// `RollingMean` over a window.
    case sma(Int)
    /// `ewm(span=s, adjust=False).mean()`, NaN before bar s − 1.
    case ema(Int)
    /// (x − mean) / σ over a trailing window, population σ; 0 for a constant window.
    case zScore(Int)
    /// Wilder's RSI over a period.
    case rsi(Int)
    /// xᵢ / xᵢ₋ₗ − 1 over a lookback.
    case momentum(Int)

    public var description: String {
        switch self {
        case .sma(let w): return "sma(\(w))"
        case .ema(let s): return "ema(\(s))"
        case .zScore(let w): return "zscore(\(w))"
        case .rsi(let p): return "rsi(\(p))"
        case .momentum(let l): return "momentum(\(l))"
        }
    }

    /// What an indicator carries between consecutive ranges.
    public struct State: Sendable {
        /// The next bar the kernel expects (ranges must follow each other for carried kernels).
        public var nextBar = 0
        /// Whose rounding the rolling means follow; a library's needs ranges in order from bar 0.
        public var arithmetic: MeanArithmetic
        var value = 0.0
        var gain = 0.0
        var loss = 0.0
        var library = LibraryMeanState()
        public init(arithmetic: MeanArithmetic = .quantforge) {
            self.arithmetic = arithmetic
        }
    }

    /// Writes the indicator for every bar of `range` into out[i − range.lowerBound]. `x` is the
    /// whole series (kernels read the bars before the range that they need). EMA and RSI carry
    /// their state and require ranges in order from bar 0.
    public func fill(_ x: UnsafeBufferPointer<Double>, range: Range<Int>, into out: UnsafeMutablePointer<Double>, state: inout State) {
        precondition(range.upperBound <= x.count, "IndicatorKernel: range \(range) past \(x.count) bars")
        let first = range.lowerBound
        switch self {
        case .sma(let w):
            precondition(w >= 1, "sma: window must be at least 1")
            switch state.arithmetic {
            case .quantforge:
                RollingMean.compute(x, window: w, range: range, into: out)
            case .vectorbt:
                precondition(first == state.nextBar, "sma (vectorbt arithmetic): ranges must be consecutive from bar 0 (expected \(state.nextBar), got \(first))")
                state.library.vectorbt(x, window: w, range: range, into: out)
            case .pandas:
                precondition(first == state.nextBar, "sma (pandas arithmetic): ranges must be consecutive from bar 0 (expected \(state.nextBar), got \(first))")
                state.library.pandas(x, window: w, range: range, into: out)
            }
        case .ema(let span):
            precondition(span >= 1, "ema: span must be at least 1")
            precondition(first == state.nextBar, "ema: ranges must be consecutive from bar 0 (expected \(state.nextBar), got \(first))")
            let alpha = 2.0 / Double(span + 1)
            var e = state.value
            for i in range {
                e = i == 0 ? x[0] : alpha * x[i] + (1 - alpha) * e
                out[i - first] = i >= span - 1 ? e : .nan
            }
            state.value = e
        case .zScore(let w):
            precondition(w >= 2, "zScore: window must be at least 2")
            RollingMean.compute(x, window: w, range: range, into: out)
            let wd = Double(w)
            for i in range where i >= w - 1 {
                // Two passes over the window (mean, then squared deviations): no cancellation.
                let m = out[i - first]
                var squares = 0.0
                for j in (i - w + 1)...i { squares += (x[j] - m) * (x[j] - m) }
                let sigma = (squares / wd).squareRoot()
                out[i - first] = sigma > 0 ? (x[i] - m) / sigma : (m.isNaN ? .nan : 0)
            }
        case .rsi(let period):
            precondition(period >= 1, "rsi: period must be at least 1")
            precondition(first == state.nextBar, "rsi: ranges must be consecutive from bar 0 (expected \(state.nextBar), got \(first))")
            let p = Double(period)
            var gain = state.gain, loss = state.loss
            for i in range {
                if i < period { out[i - first] = .nan; continue }
                if i == period {
                    gain = 0
                    loss = 0
                    for j in 1...period {
                        let d = x[j] - x[j - 1]
                        if d > 0 { gain += d } else { loss -= d }
                    }
                    gain /= p
                    loss /= p
                } else {
                    let d = x[i] - x[i - 1]
                    gain = (gain * (p - 1) + Swift.max(d, 0)) / p
                    loss = (loss * (p - 1) + Swift.max(-d, 0)) / p
                }
                out[i - first] = loss == 0 ? (gain == 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss)
            }
            state.gain = gain
            state.loss = loss
        case .momentum(let lookback):
            precondition(lookback >= 1, "momentum: lookback must be at least 1")
            for i in range { out[i - first] = i >= lookback ? x[i] / x[i - lookback] - 1 : .nan }
        }
        state.nextBar = range.upperBound
    }

    /// The indicator over every bar of `x`, rolling means in `arithmetic`.
    public func compute(_ x: [Double], arithmetic: MeanArithmetic = .quantforge) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        var state = State(arithmetic: arithmetic)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { fill(xp, range: 0..<x.count, into: $0.baseAddress!, state: &state) }
        }
        return out
    }
}
