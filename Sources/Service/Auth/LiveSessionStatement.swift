import PostgresNIO

/// The check every authenticated request makes — is this session active, unexpired, its user
/// active? — as a prepared statement, so each connection parses and plans it once rather than on
/// every request (the same statement otherwise dominated the database's share of a request).
/// Touches `last_activity_at` at most once a minute. Also returns the seconds the session has
/// left, which bound how long a cache may keep the answer.
struct LiveSessionStatement: PostgresPreparedStatement {
    typealias Row = (String, Bool, Double)

    static let sql = """
        WITH live AS (
            SELECT s.id, u.username, coalesce(u.is_superuser, false) AS superuser,
                   extract(epoch FROM s.expires_at - CURRENT_TIMESTAMP)::float8 AS remaining
            FROM user_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.session_token = $1 AND s.user_id = $2 AND s.is_active
              AND s.expires_at > CURRENT_TIMESTAMP AND coalesce(u.is_active, true)
        ), touched AS (
            UPDATE user_sessions SET last_activity_at = CURRENT_TIMESTAMP
            WHERE id IN (SELECT id FROM live) AND last_activity_at < CURRENT_TIMESTAMP - INTERVAL '1 minute'
        )
        SELECT username, superuser, remaining FROM live
        """

    var sessionToken: String
    var userID: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(sessionToken)
        bindings.append(userID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
