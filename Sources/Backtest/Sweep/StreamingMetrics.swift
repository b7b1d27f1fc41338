import Foundation

/// The figures a sweep reports for each combination, in the conventions of `PerformanceMetrics`
/// and equal to its figures for the same run to rounding (tested to 1e-9).
public struct SweepMetrics: Sendable, Codable, Equatable {
    public var equityFinal: Double
    public var totalReturn: Double
    public var cagr: Double
    public var annualReturn: Double
    public var annualVolatility: Double
    public var sharpe: Double
    public var sortino: Double
    public var calmar: Double
    public var maxDrawdown: Double
    public var exposure: Double
    public var trades: Int
    public var winRate: Double
    public var profitFactor: Double
    public var expectancy: Double
    public var sqn: Double

    /// Column names, in the order of `values`.
    public static let names = ["equity_final", "total_return", "cagr", "annual_return", "annual_volatility", "sharpe", "sortino", "calmar",
                               "max_drawdown", "exposure", "trades", "win_rate", "profit_factor", "expectancy", "sqn"]

    public var values: [Double] {
        [equityFinal, totalReturn, cagr, annualReturn, annualVolatility, sharpe, sortino, calmar, maxDrawdown, exposure, Double(trades),
         winRate, profitFactor, expectancy, sqn]
    }

    /// The value of a column by name, nil for an unknown name.
    public func value(_ name: String) -> Double? {
        SweepMetrics.names.firstIndex(of: name).map { values[$0] }
    }
}

extension SweepMetrics {
    /// The figures from `values` (in the order of `names`), as another process sent them; nil
    /// when the count is not the columns'.
    public init?(values v: [Double]) {
        guard v.count == SweepMetrics.names.count else { return nil }
        self.init(equityFinal: v[0], totalReturn: v[1], cagr: v[2], annualReturn: v[3], annualVolatility: v[4], sharpe: v[5], sortino: v[6], calmar: v[7],
                  maxDrawdown: v[8], exposure: v[9], trades: v[10].isFinite ? Int(v[10]) : 0, winRate: v[11], profitFactor: v[12], expectancy: v[13], sqn: v[14])
    }
}

/// What the sweep needs to know about the series once, for every combination.
struct SeriesFacts {
    let convention: MetricsConvention
    let initialCash: Double
    /// D, returns per year in the convention.
    let periodsPerYear: Double
    /// First and last time of the series (ns), the span of the CAGR.
    let start: Int64, end: Int64
    /// Backtesting.py: the last bar of each calendar period (nil for vectorbt).
    let periodEnds: UnsafePointer<Bool>?
    /// The blocks each combination's returns are folded into for the overfitting statistics
    /// (nil: not kept).
    var blocks: ReturnBlocks? = nil

    /// Returns a run makes over `bars` bars: one per bar (vectorbt) or one per calendar period
    /// after the first (Backtesting.py).
    static func returnCount(convention: MetricsConvention, bars: Int, periodEnds: [Bool]) -> Int {
        convention == .vectorbt ? bars : Swift.max(0, periodEnds.filter { $0 }.count - 1)
    }
}

/// `PerformanceMetrics`' figures folded from runs of equity and trade records as they come, in
/// fixed memory: sums of returns and of their squares (shifted by the first return, so the
/// variance keeps its digits), the running peak and deepest ratio to it, trade counts and a
/// Welford mean and variance of trade pnl.
struct StreamingMetrics: RunObserver {
    let facts: SeriesFacts
    var first = Double.nan, last = Double.nan
    var bars = 0
    // Returns r: count, shift, Σ(r − shift), Σ(r − shift)², Σ min(r, 0)².
    var returns = 0
    var shift = Double.nan
    var sum = 0.0, sumSquares = 0.0, downsideSquares = 0.0
    /// vectorbt: the previous bar's equity (the initial cash at first); Backtesting.py: the
    /// previous period's closing equity (NaN before the first period closes).
    var previous: Double
    var firstPeriod = Double.nan, lastPeriod = Double.nan
    var growthWentNonPositive = false
    var peak = -Double.infinity
    var lowestRatio = 1.0
    var exposedBars = 0
    var lastExposedBar = -1
    var tradeCount = 0, wins = 0
    var pnlMean = 0.0, pnlM2 = 0.0
    var basisGains = 0.0, basisLosses = 0.0, basisSum = 0.0
    /// The returns folded for the overfitting statistics, when the sweep keeps them (not an
    /// optional: testing an optional that holds an array for nil costs a retain and a release on
    /// every bar, which tripled a sweep's time).
    var blocks: ReturnBlocks.Accumulator
    let keepsBlocks: Bool

    /// The folded returns, or nil when the sweep does not keep them.
    var returnBlocks: ReturnBlocks.Accumulator? { keepsBlocks ? blocks : nil }

    init(facts: SeriesFacts) {
        self.facts = facts
        keepsBlocks = facts.blocks != nil
        blocks = facts.blocks?.accumulator() ?? ReturnBlocks.Accumulator(blockLengths: [Int.max])
        previous = facts.convention == .vectorbt ? facts.initialCash : .nan
    }

    @inline(__always)
    mutating func equityDestination(_ range: Range<Int>) -> UnsafeMutablePointer<Double>? { nil }

    @inline(__always)
    mutating func run(_ range: Range<Int>, equity: UnsafePointer<Double>, units: Double) {
        let count = range.count
        if bars == 0 { first = equity[0] }
        bars &+= count
        last = equity[count &- 1]
        // A flat run's equity is its cash on every bar (unless a close is not finite): past its
        // first bar nothing can set a peak or a low and every return is 0, so the rest is
        // folded at once. Most bars of a rule that waits for its signal are flat.
        let flat = units == 0 && count > 1 && Self.allEqual(equity, count: count)
        trackDrawdown(equity, count: flat ? 1 : count)
        if facts.convention == .vectorbt {
            if units != 0 { exposedBars &+= count }
            if flat {
                barReturns(equity, count: 1)
                zeroReturns(count &- 1)
            } else {
                barReturns(equity, count: count)
            }
        } else {
            periodReturns(equity, bars: range)
        }
    }

    /// Peak and deepest equity/peak ratio, with the ratio divided out only for bars that may set a
    /// new low (the multiply test has a few ulps of slack, so the division decides exactly).
    @inline(__always)
    mutating func trackDrawdown(_ equity: UnsafePointer<Double>, count: Int) {
        var peak = self.peak, lowest = self.lowestRatio
        for k in 0..<count {
            let e = equity[k]
            if e >= peak { peak = e } else if e <= lowest * peak * (1 + 0x1p-50) {
                let ratio = e / peak
                if ratio < lowest { lowest = ratio }
            }
        }
        self.peak = peak
        lowestRatio = lowest
    }

    @inline(__always)
    mutating func add(_ r: Double) {
        if returns == 0 { shift = r }
        returns &+= 1
        let d = r - shift
        sum += d
        sumSquares += d * d
        if r < 0 { downsideSquares += r * r }
        if keepsBlocks { blocks.add(r) }
    }

    /// vectorbt: one return per bar against the bar before. The sums are folded in locals, one
    /// stretch of bars per return block, and stored once a stretch: kept in the struct, every
    /// bar's adds waited on the stores of the bar before (half a sweep's time on a long series).
    /// The additions are `add`'s, in its order, so the figures are the same bits. (Written out
    /// here rather than calling `add` on a struct of the sums: that copy ran 15–20% slower.)
    @inline(__always)
    mutating func barReturns(_ equity: UnsafePointer<Double>, count: Int) {
        var previous = self.previous, returns = self.returns, shift = self.shift
        var sum = self.sum, sumSquares = self.sumSquares, downsideSquares = self.downsideSquares
        @inline(__always)
        func next(_ k: Int) -> Double {
            let e = equity[k]
            let r = e == previous ? 0 : ReturnSeries.vectorbtReturn(from: previous, to: e)
            previous = e
            if returns == 0 { shift = r }
            returns &+= 1
            let d = r - shift
            sum += d
            sumSquares += d * d
            // A select, not a branch: the sign of a held position's returns is a coin toss to the
            // branch predictor. Adding +0 leaves a sum of squares as it is.
            downsideSquares += r < 0 ? r * r : 0
            return r
        }
        if keepsBlocks {
            var k = 0
            while k < count {
                let (room, open) = blocks.openBlock()
                let stretch = Swift.min(room, count &- k)
                var block = open
                for i in k..<(k &+ stretch) {
                    let r = next(i), r2 = r * r
                    block += SIMD4(r, r2, r2 * r, r2 * r2)
                }
                blocks.setOpenBlock(block, after: stretch)
                k &+= stretch
            }
        } else {
            for k in 0..<count { _ = next(k) }
        }
        self.previous = previous
        self.returns = returns
        self.shift = shift
        self.sum = sum
        self.sumSquares = sumSquares
        self.downsideSquares = downsideSquares
    }

    /// `add(0)` `count` times after at least one return (so `shift` is set): each adds −shift and
    /// shift², summed here as count·(−shift) and count·shift², within an ulp of the additions.
    @inline(__always)
    mutating func zeroReturns(_ count: Int) {
        guard count > 0 else { return }
        returns &+= count
        let d = 0 - shift
        sum += Double(count) * d
        sumSquares += Double(count) * (d * d)
        if keepsBlocks { blocks.addZeros(count) }
    }

    /// Whether every value of `equity[0..<count]` equals the first (false for a NaN).
    @inline(__always)
    static func allEqual(_ equity: UnsafePointer<Double>, count: Int) -> Bool {
        let first = equity[0]
        let first8 = SIMD8(repeating: first)
        var k = 0
        while k &+ 8 <= count {
            if any(UnsafeRawPointer(equity + k).loadUnaligned(as: SIMD8<Double>.self) .!= first8) { return false }
            k &+= 8
        }
        while k < count {
            if equity[k] != first { return false }
            k &+= 1
        }
        return true
    }

    /// Backtesting.py: one return per calendar period, at its last bar.
    @inline(__always)
    mutating func periodReturns(_ equity: UnsafePointer<Double>, bars range: Range<Int>) {
        guard let ends = facts.periodEnds else { return }
        let lower = range.lowerBound
        for i in range where ends[i] {
            let e = equity[i &- lower]
            if e.isNaN { continue }
            if lastPeriod.isNaN {
                firstPeriod = e
            } else {
                let r = e / lastPeriod - 1
                if !r.isNaN {
                    add(r)
                    if 1 + r <= 0 { growthWentNonPositive = true }
                }
            }
            lastPeriod = e
        }
    }

    mutating func trade(_ t: TradeRecord) {
        tradeCount &+= 1
        let pnl = t.pnl
        if pnl > 0 { wins &+= 1 }
        let delta = pnl - pnlMean
        pnlMean += delta / Double(tradeCount)
        pnlM2 += delta * (pnl - pnlMean)
        let basis = facts.convention == .backtestingPy ? t.returnFraction : pnl
        basisSum += basis
        if basis > 0 { basisGains += basis } else if basis < 0 { basisLosses -= basis }
        if facts.convention == .backtestingPy {
            // Bars from entry to exit, inclusive, counted once where trades meet.
            let from = Swift.max(t.entryBar, lastExposedBar + 1)
            if t.exitBar >= from {
                exposedBars &+= t.exitBar - from + 1
                lastExposedBar = t.exitBar
            }
        }
    }

    /// The figures after the last bar.
    func finish() -> SweepMetrics {
        let nan = Double.nan
        let d = facts.periodsPerYear
        let n = Double(returns)
        let mean = returns > 0 ? shift + sum / n : nan
        let variance = returns > 1 ? Swift.max(0, (sumSquares - sum * sum / n) / (n - 1)) : nan
        let downside = (downsideSquares / n).squareRoot()
        let maxDrawdown = 1 - lowestRatio
        let totalReturn: Double, annualReturn: Double, volatility: Double, sharpe: Double, sortino: Double
        switch facts.convention {
        case .backtestingPy:
            totalReturn = (last - first) / first
            let g = returns == 0 ? nan : (growthWentNonPositive ? 0 : Foundation.pow(lastPeriod / firstPeriod, 1 / n) - 1)
            annualReturn = Foundation.pow(1 + g, d) - 1
            volatility = (Foundation.pow(variance + (1 + g) * (1 + g), d) - Foundation.pow(1 + g, 2 * d)).squareRoot()
            sharpe = volatility == 0 ? nan : (annualReturn * 100) / (volatility * 100)
            sortino = annualReturn / (downside * d.squareRoot())
        case .vectorbt:
            totalReturn = (last - facts.initialCash) / facts.initialCash
            annualReturn = Foundation.pow(last / facts.initialCash, d / n) - 1
            let std = variance.squareRoot()
            volatility = std * d.squareRoot()
            sharpe = std == 0 || returns < 2 ? nan : mean / std * d.squareRoot()
            sortino = returns < 2 ? nan : mean * d / (downside * d.squareRoot())
        }
        let pnlStd = tradeCount > 1 ? (pnlM2 / Double(tradeCount - 1)).squareRoot() : nan
        return SweepMetrics(
            equityFinal: last, totalReturn: totalReturn,
            cagr: ReturnSeries.cagr(first: first, last: last, start: facts.start, end: facts.end),
            annualReturn: annualReturn, annualVolatility: volatility, sharpe: sharpe, sortino: sortino,
            calmar: maxDrawdown == 0 ? nan : annualReturn / maxDrawdown, maxDrawdown: maxDrawdown,
            exposure: bars > 0 ? Double(exposedBars) / Double(bars) : nan, trades: tradeCount,
            winRate: tradeCount == 0 ? nan : Double(wins) / Double(tradeCount),
            profitFactor: tradeCount == 0 || basisLosses == 0 ? nan : basisGains / basisLosses,
            expectancy: tradeCount == 0 ? nan : basisSum / Double(tradeCount),
            sqn: tradeCount > 1 && pnlStd > 0 ? Double(tradeCount).squareRoot() * pnlMean / pnlStd : nan)
    }
}
