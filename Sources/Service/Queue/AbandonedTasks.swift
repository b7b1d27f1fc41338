import Logging
import PostgresNIO

/// When the queue gives up on a task — FAILURE once its retries are spent (a handler that kept
/// throwing, or a worker that kept dying), or REVOKED by the rescuer for a task asked to stop
/// whose worker is gone — the row the task worked for must say so, or it would stay `running`
/// forever: its training job becomes failed (cancelled when revoked), its evaluation failed, its
/// dataset error, each with the task's last error unless the row already has one, and a
/// strategy whose paper-trading replay failed goes from active to error.
enum AbandonedTasks {
    static func settle(_ ids: [String], client: PostgresClient, logger: Logger) async throws {
        guard !ids.isEmpty else { return }
        var searches = Set<Int>()
        for try await parent in try await client.query("""
            UPDATE training_jobs j SET status = (CASE WHEN t.status = 'REVOKED' THEN 'cancelled' ELSE 'failed' END)::training_status,
                error_message = CASE WHEN t.status = 'FAILURE' THEN coalesce(j.error_message, t.last_error) ELSE j.error_message END,
                completed_at = CURRENT_TIMESTAMP
            FROM celery_tasks t
            WHERE t.id = ANY(\(ids)) AND t.status IN ('FAILURE', 'REVOKED') AND t.related_type = 'training_job' AND j.id = t.related_id
              AND j.status IN ('pending', 'running')
            RETURNING j.parent_job_id
            """, logger: logger).decode(Int?.self) { if let parent { searches.insert(parent) } }
        // A search's trial given up on has ended: its parent must hear, or its rung would wait for ever.
        for parent in searches.sorted() { try await TrainingSearchStore.report(parentID: parent, epoch: Int.max, client: client, logger: logger) }
        try await client.query("""
            UPDATE evaluations e SET status = 'failed', completed_at = CURRENT_TIMESTAMP,
                error_message = coalesce(e.error_message, CASE WHEN t.status = 'REVOKED' THEN 'cancelled' ELSE t.task_name || ': ' || coalesce(t.last_error, 'failed') END)
            FROM celery_tasks t
            WHERE t.id = ANY(\(ids)) AND t.status IN ('FAILURE', 'REVOKED') AND t.related_type = 'evaluation' AND e.id = t.related_id
              AND e.status IN ('pending', 'running')
            """, logger: logger)
        try await client.query("""
            UPDATE datasets d SET status = 'error', error_message = coalesce(d.error_message, t.last_error)
            FROM celery_tasks t
            WHERE t.id = ANY(\(ids)) AND t.status IN ('FAILURE', 'REVOKED') AND t.related_type = 'dataset' AND d.id = t.related_id
              AND d.status IN ('uploading', 'processing')
            """, logger: logger)
        try await client.query("""
            UPDATE strategies s SET status = 'error'
            FROM celery_tasks t
            WHERE t.id = ANY(\(ids)) AND t.status = 'FAILURE' AND t.related_type = 'strategy' AND s.id = t.related_id AND s.status = 'active'
            """, logger: logger)
    }
}
