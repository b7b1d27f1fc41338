/// One versioned change of the database schema: statements to apply it and statements to undo
/// it, each run inside one transaction with the version recorded in `schema_migrations`. A
/// statement is one SQL command (PostgreSQL's extended protocol takes one at a time; a function
/// body with semicolons is still one command).
public struct Migration: Sendable {
    /// Strictly increasing from 1.
    public let version: Int
    /// What it does, in a few words (shown by `qf migrate status`).
    public let name: String
    public let up: [String]
    public let down: [String]

    public init(version: Int, name: String, up: [String], down: [String]) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
    }
}
