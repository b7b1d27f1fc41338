import Hummingbird
import Logging
import ServiceLifecycle

/// The service's router: the envelope middleware first, then every route group. `qf serve` runs
/// it; tests drive it through HummingbirdTesting without a network.
public enum APIServer {
    public static func router(database: Database) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: EnvelopeMiddleware())
        HealthRoutes(database: database).register(on: router)
        OpenAPIDocument.register(on: router)
        return router
    }

    /// The application listening on `host:port`, running the database pools beside it.
    public static func application(database: Database, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        var app = Application(router: router(database: database), configuration: .init(address: .hostname(host, port: port)), logger: logger)
        app.addServices(DatabaseService(database: database))
        return app
    }
}

/// The pools as a service of the application's lifecycle: they run until shutdown begins.
struct DatabaseService: ServiceLifecycle.Service {
    let database: Database

    func run() async throws {
        await cancelWhenGracefulShutdown { await database.run() }
    }
}
