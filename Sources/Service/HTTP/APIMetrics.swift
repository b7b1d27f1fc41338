import Dispatch
import Hummingbird
import Logging
import Metrics
import PostgresNIO
import Prometheus

/// Request counts and latencies by route and status, through swift-metrics into a Prometheus
/// registry of this server's own (not the process-wide metrics system, so tests and several
/// servers in one process keep separate figures), served as Prometheus text at `/metrics`.
/// Routes are labelled by their pattern (`/api/v1/strategies/{id}`), unmatched paths as
/// `unmatched`, so labels cannot explode with ids.
public final class APIMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }

    func record(method: String, route: String, status: Int, nanoseconds: UInt64) {
        Counter(label: "http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory).increment()
        Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(Int64(nanoseconds))
    }

    /// The middleware that records every request (put it first, so it sees the final status).
    public var middleware: MetricsRecorder { MetricsRecorder(metrics: self) }

    /// The server states reported as `db_pool_connections{state=…}` (Prometheus-friendly names).
    static let serverStates = ["active": "active", "idle": "idle", "idle in transaction": "idle_in_transaction",
                               "idle in transaction (aborted)": "idle_in_transaction_aborted"]

    /// Sets the pool gauges from each pool's current figures: `db_pool_connections{pool, state}`
    /// with state `open` (client side) and `active`, `idle`, `idle_in_transaction` (server side),
    /// `db_pool_max_connections{pool}` and `db_pool_connect_failures{pool}` (since start). A
    /// database that does not answer leaves the server-side figures out, not the scrape.
    func recordPools(_ pools: [(PoolObserver, PostgresClient)], databaseDown: Bool, logger: Logger) async {
        Gauge(label: "db_available", factory: factory).record(databaseDown ? 0 : 1)
        for (observer, client) in pools {
            let pool = ("pool", observer.pool)
            // Server side first: the query may itself open a connection, which the count includes.
            // Not while the database is away: a scrape must answer at once, from what the process knows.
            if !databaseDown, let states = try? await observer.serverStates(on: client, logger: logger) {
                for (state, name) in Self.serverStates {
                    Gauge(label: "db_pool_connections", dimensions: [pool, ("state", name)], factory: factory).record(states[state] ?? 0)
                }
            }
            let counts = observer.counts
            Gauge(label: "db_pool_connections", dimensions: [pool, ("state", "open")], factory: factory).record(counts.open)
            Gauge(label: "db_pool_max_connections", dimensions: [pool], factory: factory).record(observer.maximumConnections)
            Gauge(label: "db_pool_connect_failures", dimensions: [pool], factory: factory).record(counts.connectFailures)
        }
    }

    /// `redis_available` (whether the last Redis operation succeeded), `redis_fallbacks` (operations
    /// served by PostgreSQL because Redis failed) and `redis_outages`, since start.
    func recordRedis(_ redis: RedisLink) {
        Gauge(label: "redis_available", factory: factory).record(redis.isUp ? 1 : 0)
        Gauge(label: "redis_fallbacks", factory: factory).record(redis.fallbacks)
        Gauge(label: "redis_outages", factory: factory).record(redis.outages)
    }

    /// Registers `/metrics`; `pools` and `redis` are read at each scrape.
    public func register(on router: Router<APIContext>, pools: [(PoolObserver, PostgresClient)] = [], availability: DatabaseAvailability? = nil,
                         redis: RedisLink? = nil) {
        router.get("/metrics") { _, context in
            await self.recordPools(pools, databaseDown: availability?.isDown ?? false, logger: context.logger)
            if let redis { self.recordRedis(redis) }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
    }
}

/// Times each request and records it under its route pattern and final status.
public struct MetricsRecorder: RouterMiddleware {
    public typealias Context = APIContext
    let metrics: APIMetrics

    public func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        // Hummingbird names the not-found responder's path "NotFound"; route patterns start with "/".
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code,
                       nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        return response
    }
}
