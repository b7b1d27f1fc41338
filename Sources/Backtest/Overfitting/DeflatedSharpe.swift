import Foundation

/// The deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014): the
/// probability that the selected strategy's true Sharpe ratio exceeds the best one expected from
/// `trials` strategies without skill, given how many returns it rests on and how far they are
/// from normal. Everything is per period (not annualised), as in the paper.
public struct DeflatedSharpe: Sendable, Codable, Equatable {
    /// The selected strategy's Sharpe ratio per period (mean over sample standard deviation).
    public var sharpe: Double
    /// Strategies tried (cells of the sweep) before this one was selected.
    public var trials: Int
    /// Returns the Sharpe ratio rests on (T).
    public var observations: Int
    /// Skewness (γ₃) and kurtosis (γ₄, 3 for normal returns) of the selected strategy's returns.
    public var skewness: Double
    public var kurtosis: Double
    /// Variance across the trials of their per-period Sharpe ratios.
    public var trialSharpeVariance: Double
    /// SR₀: the expected maximum Sharpe ratio of `trials` unskilled strategies with that variance.
    public var expectedMaximum: Double
    /// DSR = PSR(SR₀): significant at 95% when above 0.95.
    public var probability: Double

    /// Euler–Mascheroni γ, in the paper's approximation of the expected maximum.
    static let eulerGamma = 0.5772156649015329

    enum CodingKeys: String, CodingKey {
        case sharpe, trials, observations, skewness, kurtosis, trialSharpeVariance = "trial_sharpe_variance", expectedMaximum = "expected_maximum", probability
    }

    public init(sharpe: Double, trials: Int, observations: Int, skewness: Double, kurtosis: Double, trialSharpeVariance: Double) {
        self.sharpe = sharpe
        self.trials = trials
        self.observations = observations
        self.skewness = skewness
        self.kurtosis = kurtosis
        self.trialSharpeVariance = trialSharpeVariance
        expectedMaximum = Self.expectedMaximum(trials: trials, variance: trialSharpeVariance)
        probability = Self.probabilisticSharpe(sharpe, benchmark: expectedMaximum, observations: observations, skewness: skewness, kurtosis: kurtosis)
    }

    /// E[max SR] of `trials` strategies whose Sharpe ratios vary by `variance` around zero:
    /// √V·((1−γ)Φ⁻¹(1−1/N) + γΦ⁻¹(1−1/(N·e))); zero for a single trial (nothing was selected).
    public static func expectedMaximum(trials: Int, variance: Double) -> Double {
        guard trials > 1, variance > 0 else { return 0 }
        let n = Double(trials)
        return variance.squareRoot() * ((1 - eulerGamma) * NormalDistribution.quantile(1 - 1 / n)
            + eulerGamma * NormalDistribution.quantile(1 - 1 / (n * M_E)))
    }

    /// PSR: Φ((SR − SR*)·√(T−1) / √(1 − γ₃·SR + (γ₄−1)/4·SR²)); NaN when it is undefined
    /// (under two returns, or moments that make the variance term non-positive).
    public static func probabilisticSharpe(_ sharpe: Double, benchmark: Double, observations: Int, skewness: Double, kurtosis: Double) -> Double {
        let spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe
        guard observations > 1, spread > 0, sharpe.isFinite else { return .nan }
        return NormalDistribution.cdf((sharpe - benchmark) * Double(observations - 1).squareRoot() / spread.squareRoot())
    }
}
