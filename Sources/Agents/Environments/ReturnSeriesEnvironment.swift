import Compute
import Foundation

/// A position-taking environment over a series of log returns: the benchmark environment of
/// ../shared/peers/rl/trading_env.py, and, over an AR(1) series, a synthetic task with a signal an
/// agent can learn.
///
/// Observation (window + 1 floats): the last `window` log returns, then the current position.
/// Actions 0, 1, 2 set the position to −1, 0, +1. Reward: new position × next log return − cost ×
/// |position change|. An episode starts at t = window and walks the whole series
/// (returns − window steps), then reports the end.
public struct ReturnSeriesEnvironment: TradingEnvironment {
    /// logReturns[i] = log(p[i+1] / p[i]), float32 as the peer stores them.
    public let logReturns: [Float]
    public let window: Int
    public let cost: Double
    public private(set) var t = 0
    public private(set) var position = 0
    /// Σ rewards of the episode so far (the log growth of a unit account, after costs).
    public private(set) var logValue = 0.0

    public var observationCount: Int { window + 1 }
    public var actionCount: Int { 3 }
    public var portfolioValue: Double { exp(logValue) }
    public var stepsPerEpisode: Int { logReturns.count - window }

    public init(logReturns: [Float], window: Int = 10, cost: Double = 0.001) {
        precondition(logReturns.count > window, "ReturnSeriesEnvironment: \(logReturns.count) returns for a window of \(window)")
        self.logReturns = logReturns
        self.window = window
        self.cost = cost
        t = window
    }

    /// The peer's benchmark series: a geometric random walk of `prices` prices,
    /// log steps N(drift − σ²/2, σ) from a seeded generator (the same distribution as the peer's
    /// numpy draw, not the same numbers).
    public static func randomWalk(prices: Int = 100_000, sigma: Double = 0.01, drift: Double = 0, seed: UInt64 = 0,
                                  window: Int = 10, cost: Double = 0.001) -> ReturnSeriesEnvironment {
        var rng = Xoshiro256(seed: seed)
        let returns = (0..<(prices - 1)).map { _ in Float(drift - 0.5 * sigma * sigma + sigma * standardNormal(&rng)) }
        return ReturnSeriesEnvironment(logReturns: returns, window: window, cost: cost)
    }

    /// An AR(1) series of log returns, rₜ = φ·rₜ₋₁ + σ·εₜ: with φ > 0 the sign of the last returns
    /// predicts the next, which a learning agent should exploit and a random one cannot.
    public static func autoregressive(returns: Int = 20_000, phi: Double = 0.3, sigma: Double = 0.01, seed: UInt64 = 0,
                                      window: Int = 10, cost: Double = 0.0005) -> ReturnSeriesEnvironment {
        var rng = Xoshiro256(seed: seed)
        var r = 0.0
        let series = (0..<returns).map { _ -> Float in
            r = phi * r + sigma * standardNormal(&rng)
            return Float(r)
        }
        return ReturnSeriesEnvironment(logReturns: series, window: window, cost: cost)
    }

    /// A standard normal draw in double precision (Box–Muller, cosine branch).
    static func standardNormal(_ rng: inout Xoshiro256) -> Double {
        let u1 = 1 - rng.nextUnitDouble(), u2 = rng.nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public mutating func reset(seed: UInt64, observation: UnsafeMutableBufferPointer<Float>) {
        t = window
        position = 0
        logValue = 0
        observe(into: observation)
    }

    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition((0..<3).contains(action), "ReturnSeriesEnvironment: action \(action) outside 0..<3")
        guard t < logReturns.count else {
            observe(into: observation)
            return StepOutcome(reward: 0, done: true)
        }
        let next = action - 1
        let reward = Double(next) * Double(logReturns[t]) - cost * Double(abs(next - position))
        position = next
        logValue += reward
        t += 1
        observe(into: observation)
        return StepOutcome(reward: reward, done: false)
    }

    func observe(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= observationCount, "ReturnSeriesEnvironment: observation buffer of \(out.count) for \(observationCount)")
        for k in 0..<window { out[k] = logReturns[t - window + k] }
        out[window] = Float(position)
    }
}
