import HummingbirdBcrypt
import NIOCore
import NIOPosix

/// bcrypt through HummingbirdBcrypt, run on NIO's blocking thread pool: one hash at cost 12 takes
/// a few hundred milliseconds of CPU, which must never run on an event loop thread. Hashes pass
/// through a `HashingGate`, so a crowd of logins queues briefly or is told to come back.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    /// A hash to verify against when the user does not exist, so an unknown username takes as
    /// long to refuse as a wrong password (no user enumeration by timing); same cost as real ones.
    let decoy: String

    let gate: HashingGate

    /// `slots` hashes at once (default: the cores), `queueLimit` waiting (default: 4 per slot).
    public init(cost: UInt8, slots: Int? = nil, queueLimit: Int? = nil) {
        self.cost = cost
        decoy = Bcrypt.hash("not-a-real-password-decoy", cost: cost)
        let slots = slots ?? System.coreCount
        gate = HashingGate(slots: slots, queueLimit: queueLimit ?? 4 * slots)
    }

    /// bcrypt reads at most 72 bytes; longer passwords are refused at registration rather than
    /// silently truncated.
    public static let maximumBytes = 72

    public func hash(_ password: String, clientIsThere: @escaping @Sendable () -> Bool = { true }) async throws -> String {
        let cost = self.cost
        return try await gate.run(clientIsThere: clientIsThere) {
            try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
        }
    }

    public func verify(_ password: String, hash: String?, clientIsThere: @escaping @Sendable () -> Bool = { true }) async throws -> Bool {
        let stored = hash ?? decoy
        let matches = try await gate.run(clientIsThere: clientIsThere) {
            try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: stored) }
        }
        return matches && hash != nil
    }
}
