import PostgresNIO

/// The one spelling of "the worker still holds its claim", which every write a task makes is
/// guarded by (a worker whose lease was taken over, or whose task was deleted, then changes
/// nothing): the task row is `STARTED` by this worker at this attempt.
extension PostgresQuery.StringInterpolation {
    /// `id = … AND worker_name = … AND attempt = … AND status = 'STARTED'`, on `celery_tasks`
    /// (or its alias: `alias: "c"` gives `c.id = …`).
    mutating func appendInterpolation(claimOf key: ClaimedTask.Key, alias: String = "") {
        let prefix = alias.isEmpty ? "" : alias + "."
        appendLiteral("\(prefix)id = ")
        appendInterpolation(key.id)
        appendLiteral(" AND \(prefix)worker_name = ")
        appendInterpolation(key.worker)
        appendLiteral(" AND \(prefix)attempt = ")
        appendInterpolation(key.attempt)
        appendLiteral(" AND \(prefix)status = 'STARTED'")
    }

    /// `EXISTS (SELECT 1 FROM celery_tasks c WHERE <the claim>)`: a condition for another table's write.
    mutating func appendInterpolation(claimHeld key: ClaimedTask.Key) {
        appendLiteral("EXISTS (SELECT 1 FROM celery_tasks c WHERE ")
        appendInterpolation(claimOf: key, alias: "c")
        appendLiteral(")")
    }
}
