import Foundation

/// A task as a worker holds it after a claim. `key` — id, worker and attempt — is what every
/// later write about the task must present: once the lease has expired and another worker has
/// claimed the task (a higher attempt), the stale worker's heartbeats, completions and failures
/// match no row and change nothing.
public struct ClaimedTask: Sendable, Equatable {
    /// The claim a worker holds.
    public struct Key: Sendable, Hashable {
        public var id: String
        public var worker: String
        public var attempt: Int
    }

    public var key: Key
    public var name: String
    public var args: JSONValue
    public var kwargs: JSONValue
    public var queue: String
    public var retries: Int
    public var maxRetries: Int
    public var userID: Int?
    public var relatedType: String?
    public var relatedID: Int?

    public var id: String { key.id }
}

/// A task to enqueue.
public struct NewTask: Sendable {
    public var name: String
    public var args: JSONValue
    public var kwargs: JSONValue
    public var queue: String
    public var priority: Int
    /// Seconds from now before the task may run.
    public var delay: Double
    public var maxRetries: Int
    public var userID: Int?
    public var relatedType: RelatedObject?
    public var relatedID: Int?

    public init(name: String, args: JSONValue = .array([]), kwargs: JSONValue = .object([:]), queue: String = "default", priority: Int = 0,
                delay: Double = 0, maxRetries: Int = 3, userID: Int? = nil, relatedType: RelatedObject? = nil, relatedID: Int? = nil) {
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.queue = queue
        self.priority = priority
        self.delay = delay
        self.maxRetries = maxRetries
        self.userID = userID
        self.relatedType = relatedType
        self.relatedID = relatedID
    }
}

/// A handler's way of saying a task must not be retried (bad input, not a passing fault).
public struct PermanentTaskFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
