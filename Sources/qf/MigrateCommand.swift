import ArgumentParser
import Logging
import PostgresNIO
import Service

/// `qf migrate up|down|status`: the schema's versioned migrations against `DATABASE_URL` or the
/// project's local cluster.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply, roll back or list the database migrations.",
        discussion: "Uses DATABASE_URL, or starts (or reuses) the project's own PostgreSQL cluster under .qf/pg.")

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case up, down, status
    }

    @Argument(help: "up (apply pending), down (roll back), status (list).") var action: Action
    @Argument(help: "down: how many to roll back (default 1; 'all' for every one). up: apply up to this version.") var count: String?

    func run() async throws {
        let logger = Logger(label: "qf.migrate")
        let settings = try await DatabaseSettings.resolve(logger: logger)
        // The pool's own chatter (connection leases while it starts) stays below errors.
        var background = Logger(label: "qf.postgres")
        background.logLevel = .error
        let client = PostgresClient(configuration: settings.primary, backgroundLogger: background)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.runWithShutdownGrace(logger: logger) }
            defer { group.cancelAll() }
            let migrator = Migrator(client: client, logger: logger)
            print("database: \(settings.description)")
            switch action {
            case .status:
                for entry in try await migrator.status() {
                    print(String(format: "%3d  %@  %@", entry.version, entry.applied ? "applied" : "pending", entry.name))
                }
            case .up:
                let target = try count.map { text -> Int in
                    guard let n = Int(text), n >= 1 else { throw ValidationError("up: the target version must be a positive number, got '\(text)'") }
                    return n
                }
                let done = try await migrator.up(to: target)
                print(done.isEmpty ? "nothing to apply" : "applied \(done.map(String.init).joined(separator: ", "))")
            case .down:
                let n: Int
                switch count {
                case nil: n = 1
                case "all": n = .max
                case let text?:
                    guard let value = Int(text), value >= 1 else { throw ValidationError("down: give a positive count or 'all', got '\(text)'") }
                    n = value
                }
                let done = try await migrator.down(count: n)
                print(done.isEmpty ? "nothing to roll back" : "rolled back \(done.map(String.init).joined(separator: ", "))")
            }
        }
    }
}
