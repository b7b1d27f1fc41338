import Foundation
import NIOCore

/// What a client may take of the server before it is cut off: how long its request head may take
/// to arrive, how large its request line and header block may be, and how long a connection may
/// sit idle (between requests, or mid-body). Slow and greedy clients must not hold connections
/// forever: nginx and Apache bound the same things with similar defaults.
public struct HTTPLimits: Sendable, Equatable {
    /// A request line longer than this is answered 414 (URI Too Long).
    public var maximumRequestLineBytes = 8 * 1024
    /// A header block (request line included) larger than this is answered 431.
    public var maximumHeaderBytes = 32 * 1024
    /// More header lines than this is answered 431.
    public var maximumHeaderCount = 100
    /// From a connection's start (or a request head's first byte) to its blank line; past it, 408.
    public var headerTimeout: Duration = .seconds(20)
    /// A connection with nothing read or written for this long is closed: a keep-alive connection
    /// between requests, or an upload whose body stopped arriving.
    public var idleTimeout: Duration = .seconds(60)
    /// A request whose handler goes this long without progress (a chunk of its body read, or its
    /// answer) is answered 503 with `Retry-After` and left to end on its own (`RequestDeadline`).
    public var handlerTimeout: Duration = .seconds(60)

    public init() {}

    /// The defaults, with `QF_HTTP_HEADER_TIMEOUT`, `QF_HTTP_IDLE_TIMEOUT` and
    /// `QF_HTTP_HANDLER_TIMEOUT` (seconds, > 0) when set.
    public static func resolve(environment: [String: String]) throws -> HTTPLimits {
        var limits = HTTPLimits()
        if let seconds = try seconds(environment, "QF_HTTP_HEADER_TIMEOUT") { limits.headerTimeout = seconds }
        if let seconds = try seconds(environment, "QF_HTTP_IDLE_TIMEOUT") { limits.idleTimeout = seconds }
        if let seconds = try seconds(environment, "QF_HTTP_HANDLER_TIMEOUT") { limits.handlerTimeout = seconds }
        return limits
    }

    /// `duration` as NIO's `TimeAmount` (whole nanoseconds).
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let parts = duration.components
        return .nanoseconds(parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000)
    }

    /// An error that names the variable and what it holds.
    public struct InvalidSetting: Error, CustomStringConvertible {
        public let description: String
    }

    static func seconds(_ environment: [String: String], _ name: String) throws -> Duration? {
        guard let text = environment[name] else { return nil }
        guard let value = Double(text), value.isFinite, value > 0, value <= 86_400 else {
            throw InvalidSetting(description: "\(name)=\(text): expected seconds between 0 and 86400")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}
