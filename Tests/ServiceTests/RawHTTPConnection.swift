import Foundation
import Glibc
import Foundation

/// A plain TCP connection to a live test server, for what an HTTP client library will not send:
/// half a head, a stalled body, a 100 KB URL. Each blocking socket call runs on a thread of its
/// own — not Swift's cooperative threads, and not NIO's small shared pool, which the server
/// under test needs (bcrypt, file I/O) and which tests blocked in reads would starve. Every read
/// is bounded (`patience`), so a server that never answers or never closes fails the test
/// instead of hanging it.
final class RawHTTPConnection: @unchecked Sendable {
    let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(port: Int, patience: Int = 120) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: patience, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(descriptor); throw Failure(description: "connect: errno \(errno)") }
    }

    deinit { close(descriptor) }

    /// This end's port: the server sees the connection coming from it.
    var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes this side for sending, as a client that gives up does.
    func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Sends all of `text`; false when the server has already closed the connection.
    @discardableResult
    func send(_ text: String) async throws -> Bool {
        let bytes = Array(text.utf8), descriptor = self.descriptor
        return try await Self.onOwnThread {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
    }

    /// Everything the server sends until it closes the connection.
    func readUntilClosed() async throws -> String {
        try await read { received, closed in closed ? String(decoding: received, as: UTF8.self) : nil }
    }

    /// One response that the server keeps the connection open after: read until its head and a
    /// `Content-Length` body have arrived.
    func readResponse() async throws -> String {
        try await read { received, closed in
            let text = String(decoding: received, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.startIndex, to: headEnd.upperBound) >= length { return text }
            }
            if closed { throw Failure(description: "the connection closed before a whole response (received: \(text.prefix(200)))") }
            return nil
        }
    }

    /// Receives until `done(bytes so far, whether the server closed)` gives a result; a read
    /// that waits past the patience fails.
    private func read(until done: @escaping @Sendable ([UInt8], Bool) throws -> String?) async throws -> String {
        let descriptor = self.descriptor
        return try await Self.onOwnThread {
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                if let result = try done(received, false) { return result }
                let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if n == 0 || (n < 0 && errno == ECONNRESET) {
                    guard let result = try done(received, true) else { throw Failure(description: "closed without an answer") }
                    return result
                }
                if n < 0 { throw Failure(description: "the server neither answered nor closed the connection (errno \(errno))") }
                received += chunk[0..<n]
            }
        }
    }

    /// Runs blocking `work` on a new thread and resumes with its result.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The status code of the first response in `text`.
    static func status(_ text: String) -> Int? {
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    /// The JSON body of the response in `text`.
    static func body(_ text: String) -> [String: Any] {
        guard let start = text.range(of: "\r\n\r\n") else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(text[start.upperBound...].utf8)) as? [String: Any]) ?? [:]
    }
}
