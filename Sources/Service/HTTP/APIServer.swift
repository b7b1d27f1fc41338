import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import PostgresNIO
import ServiceLifecycle

/// The service's router: the envelope middleware first, then every route group. `qf serve` runs
/// it; tests drive it through HummingbirdTesting without a network.
public enum APIServer {
    /// The router over the composition root's parts (what `qf serve` and the tests use).
    public static func router(_ dependencies: ServiceDependencies) -> Router<APIContext> {
        router(database: dependencies.database, auth: dependencies.auth, data: dependencies.data, metrics: dependencies.metrics,
               cors: dependencies.configuration.cors, redis: dependencies.redis, stores: dependencies.stores)
    }

    /// `router` behind the request deadline (`RequestDeadline`) on `clock`, as `qf serve` runs it:
    /// what a test's `Application` takes (with a clock of its own, to decide exactly when the
    /// deadline passes).
    static func responder<C: Clock>(_ router: Router<APIContext>, _ dependencies: ServiceDependencies,
                                    clock: C = ContinuousClock()) -> RequestDeadline<Router<APIContext>, C> where C.Duration == Duration {
        RequestDeadline(inner: router, limit: dependencies.configuration.httpLimits.handlerTimeout, clock: clock, cors: dependencies.configuration.cors,
                        metrics: dependencies.metrics)
    }

    /// The application over the composition root's parts, listening on `host:port`, with the
    /// log writer, an embedded worker and the Slurm autoscaler when given.
    public static func application(_ dependencies: ServiceDependencies, logWriter: SystemLogWriter?, worker: Worker?, autoscaler: SlurmAutoscaler? = nil,
                                   host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        application(database: dependencies.database, auth: dependencies.auth, data: dependencies.data, logWriter: logWriter, worker: worker,
                    autoscaler: autoscaler, events: dependencies.configuration.database.primaryConnection, host: host, port: port,
                    limits: dependencies.configuration.httpLimits, cors: dependencies.configuration.cors, redis: dependencies.redis,
                    metrics: dependencies.metrics, stores: dependencies.stores, logger: logger)
    }

    /// The router over these parts; `stores` default to PostgreSQL's over `database`.
    public static func router(database: Database, auth: AuthService, data: DataSettings, metrics: APIMetrics = APIMetrics(),
                              cors: CORSPolicy = .sameOriginOnly, redis: RedisLink? = nil, stores: ServiceStores? = nil) -> Router<APIContext> {
        let stores = stores ?? ServiceStores(database: database)
        let router = Router(context: APIContext.self)
        // Metrics first: they see the final status, after the envelope middleware's translation.
        router.add(middleware: metrics.middleware)
        // CORS outside the envelope, so error answers carry its headers too.
        router.add(middleware: CORSMiddleware(policy: cors))
        router.add(middleware: EnvelopeMiddleware())
        router.add(middleware: QueryTextMiddleware())
        router.add(middleware: DatabaseGateMiddleware(availability: database.availability))
        HealthRoutes(database: database).register(on: router)
        metrics.register(on: router, pools: database.observedPools, availability: database.availability, redis: redis)
        OpenAPIDocument.register(on: router)
        AuthRoutes(auth: auth).register(on: router)
        UserRoutes(auth: auth).register(on: router)
        StrategyRoutes(stores: stores, database: database, auth: auth).register(on: router)
        LogRoutes(store: stores.logs, auth: auth).register(on: router)
        let results = redis.map(ResultCache.init)
        DatasetRoutes(stores: stores, database: database, auth: auth, settings: data, cache: results).register(on: router)
        TrainingRoutes(stores: stores, database: database, auth: auth, data: data).register(on: router)
        EvaluationRoutes(stores: stores, database: database, auth: auth, settings: data, cache: results).register(on: router)
        return router
    }

    /// The application listening on `host:port`, running beside it the database pools, the
    /// log writer (when given), the daily maintenance, an embedded worker and the Slurm autoscaler
    /// (when given).
    public static func application(database: Database, auth: AuthService, data: DataSettings, logWriter: SystemLogWriter?, worker: Worker?,
                                   autoscaler: SlurmAutoscaler? = nil, events: PostgresConnection.Configuration, host: String, port: Int,
                                   limits: HTTPLimits = HTTPLimits(), cors: CORSPolicy = .sameOriginOnly, redis: RedisLink? = nil,
                                   metrics: APIMetrics = APIMetrics(), stores: ServiceStores? = nil, logger: Logger) -> some ApplicationProtocol {
        let hub = EventHub()
        let webSockets = WebSocketRoutes(auth: auth, hub: hub, database: database)
        let refusals = UpgradeRefusals()
        let routes = router(database: database, auth: auth, data: data, metrics: metrics, cors: cors, redis: redis, stores: stores)
        var app = Application(router: RequestDeadline(inner: routes, limit: limits.handlerTimeout, clock: ContinuousClock(), cors: cors, metrics: metrics),
                              server: server(webSocketRouter: webSockets.router(refusals: refusals), refusals: refusals, limits: limits),
                              configuration: .init(address: .hostname(host, port: port)), logger: logger)
        app.addServices(EventListener(configuration: events, hub: hub, redis: redis, logger: logger))
        app.addServices(DatabaseService(database: database), DailyMaintenance(database: database, logger: logger))
        if let logWriter { app.addServices(LogWriterService(writer: logWriter)) }
        if let worker { app.addServices(WorkerService(worker: worker, database: database)) }
        if let autoscaler { app.addServices(autoscaler) }
        return app
    }
}

extension APIServer {
    /// HTTP/1.1 with the WebSocket upgrade, behind `RequestHeadGuard` (head size and time limits),
    /// with Hummingbird's idle timeout and the writer of refused upgrades' answers.
    static func server(webSocketRouter: Router<APIContext>, refusals: UpgradeRefusals, limits: HTTPLimits) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(additionalChannelHandlers: [UpgradeRefusalWriter(refusals: refusals)], idleTimeout: HTTPLimits.timeAmount(limits.idleTimeout)))
        return HTTPServerBuilder { responder in
            GuardedHTTPChannel(inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                               limits: limits)
        }
    }
}

/// The pools as a service of the application's lifecycle: they run until shutdown begins.
public struct DatabaseService: ServiceLifecycle.Service {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await database.run() }
    }
}

/// Flushes queued log records to `system_logs` until shutdown, then once more.
struct LogWriterService: ServiceLifecycle.Service {
    let writer: SystemLogWriter

    func run() async throws {
        await cancelWhenGracefulShutdown { await writer.run() }
    }
}

/// At start-up and then daily: creates this and next month's `system_logs` partitions, so rows
/// land in their month rather than the default partition, and runs `Housekeeping`.
struct DailyMaintenance: ServiceLifecycle.Service {
    let database: Database
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await database.waitUntilRunning()
            while !Task.isCancelled {
                do { try await SystemLogPartitions.ensure(on: database.primary, logger: logger) } catch {
                    logger.warning("could not create log partitions", metadata: ["error": .string(String(reflecting: error))])
                }
                do { try await Housekeeping.run(on: database.primary, logger: logger) } catch {
                    logger.warning("housekeeping failed", metadata: ["error": .string(String(reflecting: error))])
                }
                try? await Task.sleep(for: .seconds(86_400))
            }
        }
    }
}
