/// Deterministic synthetic OHLCV bars for demos, tests and benchmarks: a geometric random walk
/// whose drift and volatility switch between bull, bear and sideways regimes (a Markov chain that
/// stays in a regime with probability `persistence` per bar), with intrabar highs and lows and a
/// volume that rises with the size of the move. The same seed gives the same bars.
public struct SyntheticBars: Sendable {
    public var seed: UInt64
    public var startPrice = 100.0
    /// Per-bar (drift, volatility) of the bull, bear and sideways regimes.
    public var regimes: [(drift: Double, volatility: Double)] = [(0.0008, 0.012), (-0.0010, 0.020), (0.0, 0.008)]
    public var persistence = 0.98

    public init(seed: UInt64) { self.seed = seed }

    /// `count` bars for symbol number `symbolIndex` (each symbol gets its own stream).
    public func generate(count: Int, symbolIndex: Int = 0) -> (open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double], regime: [Double]) {
        var rng = SplitMix64(seed: seed &+ UInt64(symbolIndex) &* 0x9E37_79B9_7F4A_7C15)
        var open = [Double](), high = [Double](), low = [Double](), close = [Double](), volume = [Double](), regime = [Double]()
        open.reserveCapacity(count); high.reserveCapacity(count); low.reserveCapacity(count)
        close.reserveCapacity(count); volume.reserveCapacity(count); regime.reserveCapacity(count)
        var state = Int(rng.next() % 3)
        var price = startPrice
        for _ in 0..<count {
            if rng.unit() > persistence { state = Int(rng.next() % 3) }
            let (drift, sigma) = regimes[state]
            let move = drift + sigma * rng.normal()
            let o = price * (1 + 0.1 * sigma * rng.normal())
            let c = price * (1 + move).clamped(0.5, 1.5)
            let h = max(o, c) * (1 + abs(sigma * 0.5 * rng.normal()))
            let l = min(o, c) * (1 - abs(sigma * 0.5 * rng.normal())).clamped(0.5, 1)
            open.append(o); high.append(h); low.append(l); close.append(c)
            volume.append((1_000 * (1 + 50 * abs(move)) * (0.5 + rng.unit())).rounded())
            regime.append(Double(state))
            price = c
        }
        return (open, high, low, close, volume, regime)
    }
}

extension Double {
    fileprivate func clamped(_ lo: Double, _ hi: Double) -> Double { Swift.min(Swift.max(self, lo), hi) }
}

#if canImport(Glibc)
import Glibc
#endif
