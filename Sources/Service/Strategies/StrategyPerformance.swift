import Backtest
import PostgresNIO

extension StrategyRecord.Performance {
    /// A Backtest run's figures as the strategy's fields: returns, drawdown and win rate in
    /// percent, drawdown negative, anything not finite as null.
    init(_ metrics: PerformanceMetrics) {
        func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
        self.init(totalReturn: finite(metrics.totalReturn * 100), sharpeRatio: finite(metrics.sharpe),
                  maxDrawdown: finite(-metrics.maxDrawdown * 100), winRate: finite(metrics.winRate * 100))
    }

    /// Writes these figures and `last_run_at` to strategy `strategyID`, each held to the seed's
    /// CHECK range (total return within [-100, 1000] percent, Sharpe within [-10, 10]) and the
    /// column's precision.
    func update(strategyID: Int) -> PostgresQuery {
        """
        UPDATE strategies SET total_return = \(totalReturn.map { min(1000, max(-100, $0)) }),
            sharpe_ratio = \(sharpeRatio.map { min(10, max(-10, $0)) }), max_drawdown = \(maxDrawdown.map { min(9999, max(-9999, $0)) }),
            win_rate = \(winRate.map { min(100, max(0, $0)) }), last_run_at = CURRENT_TIMESTAMP
        WHERE id = \(strategyID)
        """
    }
}
