import Foundation
import Logging

/// Everything the service is told from outside, read once: the database (`DATABASE_URL`,
/// `DATABASE_READ_URL`, or the project's own cluster), signing and login limits (`QF_JWT_*`,
/// `QF_LOGIN_*`, `QF_BCRYPT_*`), the data folder (`QF_DATA_DIR`), Redis (`REDIS_URL`,
/// `REDIS_READ_URL`), queue timing, HTTP limits, CORS and Slurm. Each type's own `resolve` says
/// what its variables mean; a bad value is an error naming the variable, before anything starts.
public struct ServiceConfiguration: Sendable {
    public var database: DatabaseSettings
    public var auth: AuthSettings
    public var data: DataSettings
    public var redis: RedisSettings?
    public var queueTiming: QueueTiming
    public var httpLimits: HTTPLimits
    public var cors: CORSPolicy
    public var slurm: SlurmDefaults

    public init(database: DatabaseSettings, auth: AuthSettings, data: DataSettings, redis: RedisSettings? = nil, queueTiming: QueueTiming = QueueTiming(),
                httpLimits: HTTPLimits = HTTPLimits(), cors: CORSPolicy = .sameOriginOnly, slurm: SlurmDefaults = SlurmDefaults()) {
        self.database = database
        self.auth = auth
        self.data = data
        self.redis = redis
        self.queueTiming = queueTiming
        self.httpLimits = httpLimits
        self.cors = cors
        self.slurm = slurm
    }

    /// What the process is: a server answers requests; a worker only runs tasks.
    public enum Role: Sendable {
        case server, worker
    }

    /// Reads `environment`; `workingDirectory` holds `.qf` (the generated JWT secret, the data
    /// folder and the project's cluster by default). A worker signs and checks no tokens, so it
    /// gets a random key held in memory: it needs neither `QF_JWT_SECRET` nor a writable `.qf`.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment,
                               workingDirectory: String = FileManager.default.currentDirectoryPath, role: Role = .server,
                               logger: Logger) async throws -> ServiceConfiguration {
        let auth = role == .server ? try AuthSettings.resolve(environment: environment, projectDirectory: workingDirectory) : AuthSettings.unusedKey()
        return ServiceConfiguration(
            database: try await DatabaseSettings.resolve(environment: environment, projectDirectory: workingDirectory, logger: logger),
            auth: auth,
            data: try DataSettings.resolve(environment: environment, workingDirectory: workingDirectory),
            redis: try RedisSettings.resolve(environment: environment),
            queueTiming: try QueueTiming.resolve(environment: environment),
            httpLimits: try HTTPLimits.resolve(environment: environment),
            cors: try CORSPolicy.resolve(environment: environment),
            slurm: try SlurmDefaults.resolve(environment: environment))
    }
}
