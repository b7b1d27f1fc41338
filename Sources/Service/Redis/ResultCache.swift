import Logging
import RedisClient

/// Finished results that never change again — a `ready` dataset, a `completed` evaluation (with
/// its charts, the largest answer the API gives) — kept in Redis as the JSON the API answers, so
/// that fetching them again costs neither PostgreSQL nor encoding.
///
/// An entry holds the owner's id beside the JSON: another user's request is not answered from it
/// (it falls through to PostgreSQL, which answers 404 as before). Deleting the object writes a
/// tombstone in place of the entry, and entries are written with `NX`, so a fetch that read the
/// row just before the delete cannot put it back. Entries last an hour (memory stays bounded by
/// what was fetched lately); when Redis fails, every fetch is PostgreSQL's (`RedisLink`).
public struct ResultCache: Sendable {
    public let link: RedisLink
    public static let entryMilliseconds = 3_600_000
    public static let tombstoneMilliseconds = 300_000
    static let tombstone = "deleted"

    public init(link: RedisLink) {
        self.link = link
    }

    /// What is cached: `dataset` and `evaluation` results.
    public enum Kind: String, Sendable {
        case dataset, evaluation
    }

    static func key(_ kind: Kind, _ id: Int) -> String { "qf:result:\(kind.rawValue):\(id)" }

    /// The cached JSON of object `id` when `user` may see it; nil otherwise (ask PostgreSQL).
    public func json(_ kind: Kind, id: Int, for user: AuthenticatedUser) async -> String? {
        guard await link.readyToRead(tombstoneValue: Self.tombstone),
              let text = await link.attempt("result read", { try await $0.reads.send(["GET", Self.key(kind, id)]) })?.string,
              text != Self.tombstone, let newline = text.firstIndex(of: "\n") else { return nil }
        let owner = Int(text[..<newline])
        guard user.isSuperuser || owner == user.id else { return nil }
        return String(text[text.index(after: newline)...])
    }

    /// Keeps a finished object's JSON (`ownerID` decides who may read it from here).
    public func keep(_ kind: Kind, id: Int, ownerID: Int?, value: some Encodable) async {
        guard let json = try? StreamingJSONEncoder().text(value) else { return }
        let entry = "\(ownerID.map(String.init) ?? "")\n" + json
        _ = await link.attempt("result write") {
            try await $0.primary.send(["SET", Self.key(kind, id), entry, "PX", String(Self.entryMilliseconds), "NX"])
        }
    }

    /// Forgets object `id` (it was deleted); written later if Redis is away now.
    public func forget(_ kind: Kind, id: Int) async {
        await link.writeTombstones([Self.key(kind, id): Self.tombstoneMilliseconds], value: Self.tombstone)
    }
}
