import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Service

/// `qf user create`: makes an account (a superuser with `--superuser`) in the service's database,
/// migrating it first, so a fresh install can get its first administrator.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage service accounts.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user (or, with --superuser, create or promote an administrator).",
            discussion: """
                The password comes from QF_USER_PASSWORD, from standard input with --password-stdin, or from a prompt \
                (not echoed) on a terminal. Uses DATABASE_URL or the project's own PostgreSQL cluster.
                """)

        @Argument(help: "Username (3-50 letters, digits, '_', '-', '.').") var username: String
        @Option(help: "Email address.") var email: String
        @Option(help: "Full name.") var fullName: String?
        @Flag(help: "Make the user a superuser (promotes an existing user of that name).") var superuser = false
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

        func run() async throws {
            let password = try readPassword()
            var logger = Logger(label: "qf.user")
            logger.logLevel = .warning
            let settings = try await DatabaseSettings.resolve(logger: logger)
            var background = Logger(label: "qf.postgres")
            background.logLevel = .error
            try await ServeCommand.prepare(settings, logger: logger, background: background)
            let auth = try AuthSettings.resolve(environment: ProcessInfo.processInfo.environment, projectDirectory: FileManager.default.currentDirectoryPath)
            let database = Database(settings: settings, logger: background)
            let user = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                defer { group.cancelAll() }
                do {
                    return try await AccountCreation.create(username: username, email: email, password: password, fullName: fullName,
                                                            superuser: superuser, users: UserStore(database: database), cost: auth.bcryptCost, logger: logger)
                } catch let rejected as AccountCreation.Rejected {
                    throw ValidationError(rejected.description)
                }
            }
            print("user \(user.id) '\(user.username)' <\(user.email)>\(user.isSuperuser ? " (superuser)" : "") in \(settings.description)")
        }

        func readPassword() throws -> String {
            if let password = ProcessInfo.processInfo.environment["QF_USER_PASSWORD"] { return password }
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("--password-stdin: standard input had no password line") }
                return line
            }
            guard isatty(STDIN_FILENO) == 1, let entered = getpass("Password for \(username): ") else {
                throw ValidationError("no password: set QF_USER_PASSWORD, pass --password-stdin, or run on a terminal")
            }
            return String(cString: entered)
        }
    }
}
