import Backtest
import Logging

/// Where strategies and their versions are kept: what the strategy, evaluation and training routes
/// and the paper-trade handler need. `StrategyStore` (PostgreSQL) is the implementation; its
/// errors are `StoreError`s.
public protocol StrategyStoring: Sendable {
    func list(for user: AuthenticatedUser, filters: StrategyStore.Filters, query: ListQuery, logger: Logger) async throws -> Page<StrategyRecord>
    /// One of `user`'s strategies (any, for a superuser).
    func find(_ id: Int, for user: AuthenticatedUser, reading freshness: ReadFreshness, logger: Logger) async throws -> StrategyRecord
    /// A strategy regardless of owner (a worker's view); nil when gone.
    func find(_ id: Int, logger: Logger) async throws -> StrategyRecord?
    func create(_ new: StrategyStore.NewStrategy, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord
    func update(_ id: Int, change: StrategyStore.Change, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord
    func delete(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws
    func transition(_ id: Int, _ action: StrategyLifecycle.Action, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord
    func versions(of id: Int, for user: AuthenticatedUser, query: ListQuery, logger: Logger) async throws -> Page<StrategyVersionRecord>
    func activate(_ id: Int, version: String, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord
    func version(_ version: String, of id: Int, logger: Logger) async throws -> (config: JSONValue, parameters: JSONValue)?
    func recordPerformance(_ metrics: PerformanceMetrics, strategyID: Int, logger: Logger) async throws
    func endPaperTrade(_ strategy: StrategyRecord, status: StrategyStatus, reason: String, logger: Logger) async throws
}

extension StrategyStoring {
    /// From any replica.
    public func find(_ id: Int, for user: AuthenticatedUser, logger: Logger) async throws -> StrategyRecord {
        try await find(id, for: user, reading: .anyReplica, logger: logger)
    }
}

extension StrategyStore: StrategyStoring {}
