/// Several runs of one configuration (seeds, or checkpoints evaluated together): each run's test
/// figures and, for each figure, the mean, interquartile mean and bootstrap 95% interval across runs.
public struct SeedSummary: Codable, Sendable {
    /// One run: its label (seed or directory), best epoch and test report.
    public struct Run: Codable, Sendable {
        public var label: String
        public var bestEpoch: Int?
        /// The best epoch's value of the selection metric.
        public var bestScore: Double?
        public var test: TestReport

        enum CodingKeys: String, CodingKey {
            case label, test
            case bestEpoch = "best_epoch"
            case bestScore = "best_score"
        }

        public init(label: String, bestEpoch: Int?, bestScore: Double?, test: TestReport) {
            self.label = label
            self.bestEpoch = bestEpoch
            self.bestScore = bestScore
            self.test = test
        }
    }

    public var runs: [Run]
    /// By figure name (`test_total_return`, `test_sharpe`, …; `best_score` when runs have one).
    public var statistics: [String: SeedStatistics]

    /// The figures summarised, in the order tables print them.
    public static let figures: [(name: String, value: @Sendable (Run) -> Double?)] = [
        ("best_score", { $0.bestScore }),
        ("test_total_return", { $0.test.episode.totalReturn }),
        ("test_sharpe", { $0.test.episode.sharpe }),
        ("test_max_drawdown", { $0.test.episode.maxDrawdown }),
        ("test_annual_return", { $0.test.backtest.annualReturn }),
    ]

    public init(runs: [Run], seed: UInt64 = 0) {
        self.runs = runs
        var statistics: [String: SeedStatistics] = [:]
        for figure in Self.figures {
            let values = runs.compactMap(figure.value).filter(\.isFinite)
            if !values.isEmpty { statistics[figure.name] = SeedStatistics(values: values, seed: seed) }
        }
        self.statistics = statistics
    }
}
