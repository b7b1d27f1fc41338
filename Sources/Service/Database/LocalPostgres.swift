import Foundation
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster of the project's own under `.qf/pg`, for development and tests when no
/// `DATABASE_URL` is given: created with `initdb` on first use (as the `postgres` user when running
/// as root, which initdb refuses), started with `pg_ctl` on a free port, reused while it runs.
/// Clients connect over a unix socket (inside `.qf/pg` when the path fits the 107-byte limit,
/// else in a short folder under /tmp) with trust authentication, local connections only.
public struct LocalPostgres: Sendable {
    /// `.qf/pg` of the project (or /tmp/qf-pg-<hash> when, as root, `postgres` cannot reach it).
    public let directory: String
    public let socketDirectory: String
    public let port: Int
    /// The cluster's superuser: `postgres` when run as root, else the current user.
    public let user: String

    /// The socket file PostgresNIO connects to.
    public var socketPath: String { "\(socketDirectory)/.s.PGSQL.\(port)" }

    /// A client configuration for `database` on this cluster.
    public func configuration(database: String) -> PostgresClient.Configuration {
        PostgresClient.Configuration(unixSocketPath: socketPath, username: user, password: nil, database: database)
    }

    /// One connection to `database` (the worker's LISTEN connection).
    public func connectionConfiguration(database: String) -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: nil, database: database)
    }

    /// The cluster as a `DATABASE_URL` (libpq's form, the socket folder as `host`).
    public func url(database: String) -> String {
        "postgres://\(user)@:\(port)/\(database)?host=\(socketDirectory)"
    }

    /// What went wrong starting the cluster, with the command's output.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private static let startLock = NSLock()

    /// Starts the cluster of `projectDirectory` (or finds it running) and returns how to reach it.
    /// Safe to call from several threads and processes at once (a lock file serialises them).
    public static func ensureRunning(projectDirectory: String) throws -> LocalPostgres {
        startLock.lock()
        defer { startLock.unlock() }
        let fm = FileManager.default
        let root = getuid() == 0
        var directory = URL(fileURLWithPath: projectDirectory).appendingPathComponent(".qf/pg").standardized.path
        // As root the server runs as `postgres`, which must reach the data folder through every
        // parent (a mktemp folder is 0700): otherwise the cluster lives under /tmp, one per project.
        if root && (try? run(["test", "-x", projectDirectory], asPostgres: true)) == nil {
            directory = "/tmp/qf-pg-\(fnv1a(URL(fileURLWithPath: projectDirectory).standardized.path))"
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lockFD = open("\(directory)/start.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lockFD >= 0 else { throw StartError(description: "cannot open \(directory)/start.lock") }
        defer { close(lockFD) }
        flock(lockFD, LOCK_EX)
        defer { flock(lockFD, LOCK_UN) }

        let user = root ? "postgres" : (ProcessInfo.processInfo.environment["USER"] ?? NSUserName())
        let bin = try binaries()
        let data = "\(directory)/data"
        if root { try run(["chown", "postgres:postgres", directory], asPostgres: false) }
        if !fm.fileExists(atPath: "\(data)/PG_VERSION") {
            try? fm.removeItem(atPath: data)
            try run(["\(bin)/initdb", "-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asPostgres: root)
        }
        // Running already? postmaster.pid holds its port (line 4) and socket folder (line 5).
        if let running = try? String(contentsOfFile: "\(data)/postmaster.pid", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false),
           running.count >= 5, let port = Int(running[3]),
           (try? run(["\(bin)/pg_ctl", "-D", data, "status"], asPostgres: root)) != nil {
            return LocalPostgres(directory: directory, socketDirectory: String(running[4]), port: port, user: user)
        }
        let inProject = "\(directory)/run"
        let socketDirectory = inProject.utf8.count + 20 < 107 ? inProject : "/tmp/qf-pg-\(fnv1a(directory))"
        try fm.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if root { try run(["chown", "postgres:postgres", socketDirectory], asPostgres: false) }
        var lastError = ""
        for _ in 0..<3 {
            let port = try freePort()
            do {
                try run(["\(bin)/pg_ctl", "-D", data, "-l", "\(directory)/server.log", "-w", "-t", "30", "-o",
                         "-p \(port) -k \(socketDirectory) -c listen_addresses='' -c max_connections=500", "start"], asPostgres: root)
                return LocalPostgres(directory: directory, socketDirectory: socketDirectory, port: port, user: user)
            } catch {
                lastError = "\(error)"
            }
        }
        throw StartError(description: "could not start PostgreSQL in \(data): \(lastError) (see \(directory)/server.log)")
    }

    /// Stops the server (fast shutdown: sessions are ended) — for tests of a database outage.
    public func stop() throws {
        try Self.run(["\(try Self.binaries())/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "-t", "60", "stop"], asPostgres: getuid() == 0)
    }

    /// Starts a stopped server again on the same port and socket folder.
    public func start() throws {
        try Self.run(["\(try Self.binaries())/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60", "-o",
                      "-p \(port) -k \(socketDirectory) -c listen_addresses='' -c max_connections=500", "start"], asPostgres: getuid() == 0)
    }

    /// A stable short name for a path (FNV-1a, 32 bits, hexadecimal): Swift's hashValue changes
    /// from process to process.
    static func fnv1a(_ text: String) -> String {
        var h: UInt32 = 2_166_136_261
        for byte in text.utf8 { h = (h ^ UInt32(byte)) &* 16_777_619 }
        return String(h, radix: 16)
    }

    /// The folder of `initdb` and `pg_ctl`: Debian's newest /usr/lib/postgresql/N/bin, or PATH.
    static func binaries() throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(base)/\(newest)/bin/initdb") { return "\(base)/\(newest)/bin" }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw StartError(description: "PostgreSQL's initdb was not found (install the postgresql package; make test does)")
    }

    /// A TCP port nothing listens on now (the server still only takes local socket connections;
    /// the port number names the socket file).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw StartError(description: "could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a command (as `postgres` through runuser when asked), throwing with its output when it
    /// fails. posix_spawn and waitpid rather than Foundation's Process: its exit monitoring never
    /// reaped `runuser` once `pg_ctl start` had left a server running (the call hung), and the
    /// output goes to a temporary file, not a pipe a daemon could keep open.
    @discardableResult
    static func run(_ arguments: [String], asPostgres: Bool) throws -> String {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : ["/usr/bin/env"] + arguments
        let log = "/tmp/qf-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid = pid_t()
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw StartError(description: "could not run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7F == 0, code = (status >> 8) & 0xFF
        guard exited && code == 0 else {
            throw StartError(description: "\(arguments.joined(separator: " ")) exited with \(exited ? code : -1): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}
