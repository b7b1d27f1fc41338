import Dispatch
import Foundation

/// Runs the built `qf` as child processes (posix_spawn; waited for on a Dispatch thread so the
/// test's concurrency pool is not blocked), for tests that need separate processes.
enum ProcessRunner {
    static let qf = URL(fileURLWithPath: TestDatabase.projectDirectory).appendingPathComponent(".build/debug/qf").path

    struct Result: Sendable {
        var status: Int32
        var output: String
    }

    /// A started child: its pid and a way to wait for its exit.
    struct Child: Sendable {
        let pid: pid_t
        let wait: @Sendable () async -> Result

        func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }
    }

    /// Starts `arguments` with `environment` added to ours; returns once it has exited.
    static func start(_ arguments: [String], environment: [String: String]) throws -> @Sendable () async -> Result {
        try spawn(arguments, environment: environment).wait
    }

    static func spawn(_ arguments: [String], environment: [String: String]) throws -> Child {
        try spawn(executable: qf, arguments, environment: environment)
    }

    /// Starts `executable` (not necessarily qf) the same way.
    static func spawn(executable: String, _ arguments: [String], environment: [String: String]) throws -> Child {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("qf-child-\(UUID().uuidString).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process goes to the child. NIO's sockets and epoll descriptors are
        // not close-on-exec: a child holding a server's connection kept it open after the server
        // closed it, so the client saw no end until the child exited (a slow-client test waited
        // out a whole schemathesis run). A descriptor that closed since the listing is ignored.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(name), descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
        }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = [executable] + arguments
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw TestFailure("could not run \(executable): \(String(cString: strerror(spawned)))") }
        let child = pid
        let command = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments.prefix(3)).joined(separator: " ")
        return Child(pid: child) {
            TestTrace.note("waiting for child \(child) (\(command)) to exit")
            defer { TestTrace.note("in the test body, child \(child) exited") }
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var status: Int32 = 0
                    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    unlink(log)
                    continuation.resume(returning: Result(status: status & 0x7F == 0 ? (status >> 8) & 0xFF : -1, output: output))
                }
            }
        }
    }
}
