import Logging

/// The service's composition root: every long-lived part built once, from a configuration, in
/// the order they depend on each other. `qf serve`, `qf worker` and the tests build the service
/// through it, so this file is where to look to see what uses what:
///
/// - `redis`: the Redis link when `REDIS_URL` is set (sessions, login limits, events, results);
/// - `database`: the pools, publishing its writes' events through `redis` when there is one;
/// - `auth`: users, sessions and login limits — PostgreSQL's stores, with Redis's in front when set;
/// - `stores`: the stores of strategies, datasets, training jobs, evaluations and logs (PostgreSQL's);
/// - `metrics`: the `/metrics` registry.
///
/// Routes get these through `APIServer.router(_:)`; task handlers through `ServiceWorkers`.
public struct ServiceDependencies: Sendable {
    public let configuration: ServiceConfiguration
    public let redis: RedisLink?
    public let database: Database
    public let auth: AuthService
    public let stores: ServiceStores
    public let metrics: APIMetrics

    /// Builds the graph; `logger` is the pools' and Redis's background logger.
    public static func build(_ configuration: ServiceConfiguration, logger: Logger) async -> ServiceDependencies {
        let redis = configuration.redis.map { RedisLink(settings: $0, logger: logger) }
        let database = Database(settings: configuration.database, logger: logger, eventRelay: redis)
        let auth = await AuthService(settings: configuration.auth, database: database, redis: redis)
        return ServiceDependencies(configuration: configuration, redis: redis, database: database, auth: auth, stores: ServiceStores(database: database),
                                   metrics: APIMetrics())
    }

    /// The data folder's settings.
    public var data: DataSettings { configuration.data }

    /// Closes what is not closed by the pools' own shutdown (Redis's connections).
    public func close() {
        redis?.close()
    }
}
