import Foundation

/// A real `redis-server` of a test's own (Debian's, which `make test` installs), on a loopback
/// port of its own, without persistence; `replicaOf` makes it a replica of another. Stopped by
/// `stop()` or when released. `stop()` then `start()` again
/// on the same port is how fault tests take Redis away and bring it back.
public final class RedisServer: @unchecked Sendable {
    public private(set) var port: Int
    public let replicaOf: Int?
    /// More `redis-server` options, e.g. `["--requirepass", "secret"]`.
    public let options: [String]
    private var process: Process?
    private let lock = NSLock()

    /// Starts one on a free port and waits until it answers.
    public init(replicaOf primary: RedisServer? = nil, options: [String] = []) throws {
        replicaOf = primary?.port
        self.options = options
        // A random port below Linux's ephemeral range (32768 up), where outgoing connections
        // take theirs; a taken one makes redis-server exit, and another is tried.
        port = Int.random(in: 20_000...32_000)
        for attempt in 1...10 {
            do {
                try launch()
                return
            } catch let error as RedisServerError where error.portTaken && attempt < 10 {
                port = Int.random(in: 20_000...32_000)
            }
        }
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts it again after `stop()`, on the same port, empty.
    public func start() throws {
        try launch()
    }

    /// Stops it at once (SIGKILL: an outage, not a shutdown) and waits until it is gone.
    public func stop() {
        lock.lock()
        let running = process
        process = nil
        lock.unlock()
        guard let running, running.isRunning else { return }
        kill(running.processIdentifier, SIGKILL)
        running.waitUntilExit()
    }

    /// Freezes it (SIGSTOP): connections stay open and the data stays, but nothing answers, as
    /// with a wedged server or a network partition. `resume()` lets it go on.
    public func pause() {
        lock.lock()
        defer { lock.unlock() }
        if let process { kill(process.processIdentifier, SIGSTOP) }
    }

    public func resume() {
        lock.lock()
        defer { lock.unlock() }
        if let process { kill(process.processIdentifier, SIGCONT) }
    }

    deinit {
        resume()
        stop()
    }

    private func launch() throws {
        let path = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw RedisServerError(message: "redis-server is not installed (make test installs Debian's redis-server)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        var arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                         "--loglevel", "warning", "--dir", FileManager.default.temporaryDirectory.path]
        if let replicaOf { arguments += ["--replicaof", "127.0.0.1", String(replicaOf)] }
        arguments += options
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Until it answers PING, or exits (a taken port): progress, not a clock, ends the wait;
        // the bound only keeps a wedged machine from hanging the suite.
        for _ in 0..<6000 {
            if !process.isRunning {
                let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw RedisServerError(message: "redis-server on port \(port) exited: \(said.suffix(400))", portTaken: said.contains("in use"))
            }
            if Self.answers(port: port) {
                lock.lock()
                self.process = process
                lock.unlock()
                return
            }
            usleep(10_000)
        }
        kill(process.processIdentifier, SIGKILL)
        throw RedisServerError(message: "redis-server on port \(port) did not answer PING")
    }

    /// Whether a plain socket's PING gets an answer (`+PONG`, or `-NOAUTH` with a password set).
    static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let ping = Array("PING\r\n".utf8)
        guard write(fd, ping, ping.count) == ping.count else { return false }
        var reply = [UInt8](repeating: 0, count: 16)
        let count = read(fd, &reply, reply.count)
        return count >= 5 && (reply.starts(with: Array("+PONG".utf8)) || reply.starts(with: Array("-NOAUTH".utf8)))
    }
}

/// Why a test's Redis could not start.
public struct RedisServerError: Error, CustomStringConvertible {
    public var message: String
    public var portTaken = false
    public var description: String { message }
}
