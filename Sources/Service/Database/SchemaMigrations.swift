/// The seed's schema (../shared/spec/database-and-api.zh.md) as versioned migrations, names and
/// types unchanged. Two places where the seed's SQL cannot run as written, and what is done:
/// - `system_logs` is declared with monthly partitions but without `PARTITION BY`, and its primary
///   key lacks the partition column: here it is `PARTITION BY RANGE (created_at)` with the key
///   (id, created_at), a default partition so no insert ever fails, and a function that creates a
///   month's partition (the service calls it for the current and next month at start-up and
///   daily); the seed's example partition name pattern `system_logs_yYYYYmMM` is kept.
/// Additions come as later migrations, never as edits of these.
public enum SchemaMigrations {
    public static let all: [Migration] = [users, strategies, datasets, training, evaluations, systemLogs, celeryTasks, additions, authAndSearch, taskQueue, claimOrder, evaluationShards, strategyListOrder, crashedAttempts, idempotencyKeys]

    static let users = Migration(version: 1, name: "users and sessions", up: [
        """
        CREATE OR REPLACE FUNCTION update_updated_at_column()
        RETURNS TRIGGER AS $$
        BEGIN
            NEW.updated_at = CURRENT_TIMESTAMP;
            RETURN NEW;
        END;
        $$ language 'plpgsql'
        """,
        """
        CREATE TABLE users (
            id SERIAL PRIMARY KEY,
            username VARCHAR(50) UNIQUE NOT NULL,
            email VARCHAR(100) UNIQUE NOT NULL,
            hashed_password VARCHAR(255) NOT NULL,
            full_name VARCHAR(100),
            avatar_url VARCHAR(500),
            is_active BOOLEAN DEFAULT TRUE,
            is_superuser BOOLEAN DEFAULT FALSE,
            is_verified BOOLEAN DEFAULT FALSE,
            last_login_at TIMESTAMP,
            login_count INTEGER DEFAULT 0,
            settings JSONB DEFAULT '{}',
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
        )
        """,
        "CREATE INDEX idx_users_username ON users(username)",
        "CREATE INDEX idx_users_email ON users(email)",
        "CREATE INDEX idx_users_active ON users(is_active)",
        "CREATE INDEX idx_users_created_at ON users(created_at)",
        "CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()",
        """
        CREATE TABLE user_sessions (
            id SERIAL PRIMARY KEY,
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            session_token VARCHAR(255) UNIQUE NOT NULL,
            refresh_token VARCHAR(255) UNIQUE,
            ip_address INET,
            user_agent TEXT,
            is_active BOOLEAN DEFAULT TRUE,
            expires_at TIMESTAMP NOT NULL,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            last_activity_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
        )
        """,
        "CREATE INDEX idx_sessions_user_id ON user_sessions(user_id)",
        "CREATE INDEX idx_sessions_token ON user_sessions(session_token)",
        "CREATE INDEX idx_sessions_expires ON user_sessions(expires_at)",
    ], down: [
        "DROP TABLE user_sessions",
        "DROP TABLE users",
        "DROP FUNCTION update_updated_at_column()",
    ])

    static let strategies = Migration(version: 2, name: "strategies and versions", up: [
        "CREATE TYPE strategy_type AS ENUM ('algorithmic_trading', 'portfolio_management', 'order_execution', 'high_frequency_trading')",
        "CREATE TYPE strategy_status AS ENUM ('draft', 'active', 'paused', 'stopped', 'error')",
        """
        CREATE TABLE strategies (
            id SERIAL PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            description TEXT,
            strategy_type strategy_type NOT NULL,
            status strategy_status DEFAULT 'draft',
            version VARCHAR(20) DEFAULT '1.0.0',
            config JSONB DEFAULT '{}',
            parameters JSONB DEFAULT '{}',
            total_return DECIMAL(10, 4),
            sharpe_ratio DECIMAL(8, 4),
            max_drawdown DECIMAL(8, 4),
            win_rate DECIMAL(5, 2),
            owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            parent_strategy_id INTEGER REFERENCES strategies(id),
            tags TEXT[],
            category VARCHAR(50),
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            last_run_at TIMESTAMP,
            CONSTRAINT valid_return_range CHECK (total_return >= -100 AND total_return <= 1000),
            CONSTRAINT valid_sharpe_ratio CHECK (sharpe_ratio >= -10 AND sharpe_ratio <= 10)
        )
        """,
        "CREATE INDEX idx_strategies_owner ON strategies(owner_id)",
        "CREATE INDEX idx_strategies_type ON strategies(strategy_type)",
        "CREATE INDEX idx_strategies_status ON strategies(status)",
        "CREATE INDEX idx_strategies_created ON strategies(created_at)",
        "CREATE INDEX idx_strategies_tags ON strategies USING GIN(tags)",
        "CREATE INDEX idx_strategies_config ON strategies USING GIN(config)",
        "CREATE TRIGGER update_strategies_updated_at BEFORE UPDATE ON strategies FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()",
        """
        CREATE TABLE strategy_versions (
            id SERIAL PRIMARY KEY,
            strategy_id INTEGER REFERENCES strategies(id) ON DELETE CASCADE,
            version VARCHAR(20) NOT NULL,
            config JSONB NOT NULL,
            parameters JSONB DEFAULT '{}',
            changelog TEXT,
            is_active BOOLEAN DEFAULT FALSE,
            created_by INTEGER REFERENCES users(id),
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            UNIQUE(strategy_id, version)
        )
        """,
        "CREATE INDEX idx_strategy_versions_strategy ON strategy_versions(strategy_id)",
        "CREATE INDEX idx_strategy_versions_active ON strategy_versions(strategy_id, is_active)",
    ], down: [
        "DROP TABLE strategy_versions",
        "DROP TABLE strategies",
        "DROP TYPE strategy_status",
        "DROP TYPE strategy_type",
    ])

    static let datasets = Migration(version: 3, name: "datasets", up: [
        "CREATE TYPE dataset_status AS ENUM ('uploading', 'processing', 'ready', 'error')",
        """
        CREATE TABLE datasets (
            id SERIAL PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            description TEXT,
            file_path VARCHAR(500) NOT NULL,
            file_size BIGINT,
            file_type VARCHAR(20),
            row_count INTEGER,
            column_count INTEGER,
            columns JSONB,
            status dataset_status DEFAULT 'uploading',
            error_message TEXT,
            statistics JSONB,
            sample_data JSONB,
            owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            processed_at TIMESTAMP
        )
        """,
        "CREATE INDEX idx_datasets_owner ON datasets(owner_id)",
        "CREATE INDEX idx_datasets_status ON datasets(status)",
        "CREATE INDEX idx_datasets_created ON datasets(created_at)",
        "CREATE INDEX idx_datasets_columns ON datasets USING GIN(columns)",
    ], down: [
        "DROP TABLE datasets",
        "DROP TYPE dataset_status",
    ])

    static let training = Migration(version: 4, name: "training jobs and metrics", up: [
        "CREATE TYPE training_status AS ENUM ('pending', 'running', 'completed', 'failed', 'cancelled')",
        """
        CREATE TABLE training_jobs (
            id SERIAL PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            description TEXT,
            status training_status DEFAULT 'pending',
            progress DECIMAL(5, 2) DEFAULT 0.0,
            current_epoch INTEGER DEFAULT 0,
            total_epochs INTEGER,
            config JSONB NOT NULL,
            hyperparameters JSONB DEFAULT '{}',
            metrics JSONB DEFAULT '{}',
            best_metrics JSONB DEFAULT '{}',
            model_path VARCHAR(500),
            logs TEXT,
            error_message TEXT,
            trademaster_session_id VARCHAR(100),
            strategy_id INTEGER REFERENCES strategies(id) ON DELETE CASCADE,
            dataset_id INTEGER REFERENCES datasets(id),
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            parent_job_id INTEGER REFERENCES training_jobs(id),
            estimated_duration INTEGER,
            actual_duration INTEGER,
            cpu_usage DECIMAL(5, 2),
            memory_usage DECIMAL(5, 2),
            gpu_usage DECIMAL(5, 2),
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            started_at TIMESTAMP,
            completed_at TIMESTAMP
        )
        """,
        "CREATE INDEX idx_training_jobs_user ON training_jobs(user_id)",
        "CREATE INDEX idx_training_jobs_strategy ON training_jobs(strategy_id)",
        "CREATE INDEX idx_training_jobs_status ON training_jobs(status)",
        "CREATE INDEX idx_training_jobs_created ON training_jobs(created_at)",
        "CREATE INDEX idx_training_jobs_session ON training_jobs(trademaster_session_id)",
        "CREATE TRIGGER update_training_jobs_updated_at BEFORE UPDATE ON training_jobs FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()",
        """
        CREATE TABLE training_metrics (
            id SERIAL PRIMARY KEY,
            training_job_id INTEGER REFERENCES training_jobs(id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            step INTEGER,
            metrics JSONB NOT NULL,
            recorded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
        )
        """,
        "CREATE INDEX idx_training_metrics_job ON training_metrics(training_job_id)",
        "CREATE INDEX idx_training_metrics_epoch ON training_metrics(training_job_id, epoch)",
    ], down: [
        "DROP TABLE training_metrics",
        "DROP TABLE training_jobs",
        "DROP TYPE training_status",
    ])

    static let evaluations = Migration(version: 5, name: "evaluations", up: [
        "CREATE TYPE evaluation_type AS ENUM ('backtest', 'performance', 'risk', 'comparison')",
        "CREATE TYPE evaluation_status AS ENUM ('pending', 'running', 'completed', 'failed')",
        """
        CREATE TABLE evaluations (
            id SERIAL PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            evaluation_type evaluation_type NOT NULL,
            status evaluation_status DEFAULT 'pending',
            config JSONB NOT NULL,
            time_range TSRANGE,
            results JSONB DEFAULT '{}',
            report_path VARCHAR(500),
            charts JSONB DEFAULT '[]',
            strategy_id INTEGER REFERENCES strategies(id) ON DELETE CASCADE,
            dataset_id INTEGER REFERENCES datasets(id),
            user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            completed_at TIMESTAMP
        )
        """,
        "CREATE INDEX idx_evaluations_user ON evaluations(user_id)",
        "CREATE INDEX idx_evaluations_strategy ON evaluations(strategy_id)",
        "CREATE INDEX idx_evaluations_type ON evaluations(evaluation_type)",
        "CREATE INDEX idx_evaluations_status ON evaluations(status)",
    ], down: [
        "DROP TABLE evaluations",
        "DROP TYPE evaluation_status",
        "DROP TYPE evaluation_type",
    ])

    static let systemLogs = Migration(version: 6, name: "system logs, partitioned by month", up: [
        "CREATE TYPE log_level AS ENUM ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')",
        """
        CREATE TABLE system_logs (
            id BIGSERIAL,
            level log_level NOT NULL,
            message TEXT NOT NULL,
            module VARCHAR(100),
            function_name VARCHAR(100),
            user_id INTEGER REFERENCES users(id),
            session_id VARCHAR(255),
            request_id VARCHAR(100),
            metadata JSONB DEFAULT '{}',
            stack_trace TEXT,
            ip_address INET,
            user_agent TEXT,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            PRIMARY KEY (id, created_at)
        ) PARTITION BY RANGE (created_at)
        """,
        "CREATE TABLE system_logs_default PARTITION OF system_logs DEFAULT",
        """
        CREATE OR REPLACE FUNCTION ensure_system_logs_partition(month DATE) RETURNS TEXT AS $$
        DECLARE
            first_day DATE := date_trunc('month', month)::DATE;
            next_first DATE := (date_trunc('month', month) + INTERVAL '1 month')::DATE;
            partition TEXT := format('system_logs_y%sm%s', to_char(first_day, 'YYYY'), to_char(first_day, 'MM'));
        BEGIN
            IF to_regclass(partition) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF system_logs FOR VALUES FROM (%L) TO (%L)', partition, first_day, next_first);
            END IF;
            RETURN partition;
        END;
        $$ LANGUAGE plpgsql
        """,
        "SELECT ensure_system_logs_partition(CURRENT_DATE)",
        "SELECT ensure_system_logs_partition((CURRENT_DATE + INTERVAL '1 month')::DATE)",
        "CREATE INDEX idx_system_logs_level ON system_logs(level)",
        "CREATE INDEX idx_system_logs_user ON system_logs(user_id)",
        "CREATE INDEX idx_system_logs_created ON system_logs(created_at)",
        "CREATE INDEX idx_system_logs_module ON system_logs(module)",
    ], down: [
        "DROP TABLE system_logs",
        "DROP FUNCTION ensure_system_logs_partition(DATE)",
        "DROP TYPE log_level",
    ])

    static let celeryTasks = Migration(version: 7, name: "task records (celery_tasks)", up: [
        "CREATE TYPE task_status AS ENUM ('PENDING', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED')",
        """
        CREATE TABLE celery_tasks (
            id VARCHAR(155) PRIMARY KEY,
            task_name VARCHAR(255) NOT NULL,
            status task_status DEFAULT 'PENDING',
            args JSONB,
            kwargs JSONB,
            result JSONB,
            worker_name VARCHAR(100),
            retries INTEGER DEFAULT 0,
            max_retries INTEGER DEFAULT 3,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            started_at TIMESTAMP,
            completed_at TIMESTAMP,
            user_id INTEGER REFERENCES users(id),
            related_id INTEGER,
            related_type VARCHAR(50)
        )
        """,
        "CREATE INDEX idx_celery_tasks_status ON celery_tasks(status)",
        "CREATE INDEX idx_celery_tasks_user ON celery_tasks(user_id)",
        "CREATE INDEX idx_celery_tasks_created ON celery_tasks(created_at)",
        "CREATE INDEX idx_celery_tasks_related ON celery_tasks(related_type, related_id)",
    ], down: [
        "DROP TABLE celery_tasks",
        "DROP TYPE task_status",
    ])

    /// Beyond the seed: one metrics row per job and epoch (a retried epoch overwrites), and
    /// `updated_at` kept current on the two tables that have the column but no trigger.
    static let additions = Migration(version: 8, name: "unique epoch metrics, updated_at triggers", up: [
        "ALTER TABLE training_metrics ADD CONSTRAINT training_metrics_job_epoch_key UNIQUE (training_job_id, epoch)",
        "CREATE TRIGGER update_datasets_updated_at BEFORE UPDATE ON datasets FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()",
        "CREATE TRIGGER update_evaluations_updated_at BEFORE UPDATE ON evaluations FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()",
    ], down: [
        "DROP TRIGGER update_evaluations_updated_at ON evaluations",
        "DROP TRIGGER update_datasets_updated_at ON datasets",
        "ALTER TABLE training_metrics DROP CONSTRAINT training_metrics_job_epoch_key",
    ])

    /// Beyond the seed, for auth, strategies and logs:
    /// - `login_attempts`: failed and successful logins by username and IP, so the login rate
    ///   limit holds across every server sharing the database;
    /// - `user_session_rotated_tokens`: hashes of refresh tokens already rotated away, so a reused
    ///   one is recognised (and its session revoked) rather than merely unknown;
    /// - usernames unique regardless of case (emails are stored lower-cased);
    /// - a clone outlives the strategy it was cloned from (`parent_strategy_id` set to NULL);
    /// - full-text search over log messages (GIN on `to_tsvector('simple', message)`).
    static let authAndSearch = Migration(version: 9, name: "login attempts, rotated refresh tokens, search indexes", up: [
        """
        CREATE TABLE login_attempts (
            id BIGSERIAL PRIMARY KEY,
            username VARCHAR(100) NOT NULL,
            ip_address INET,
            succeeded BOOLEAN NOT NULL,
            attempted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
        )
        """,
        "CREATE INDEX idx_login_attempts_username ON login_attempts(lower(username), attempted_at)",
        "CREATE INDEX idx_login_attempts_ip ON login_attempts(ip_address, attempted_at)",
        """
        CREATE TABLE user_session_rotated_tokens (
            token_hash VARCHAR(255) PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES user_sessions(id) ON DELETE CASCADE,
            rotated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
        )
        """,
        "CREATE INDEX idx_rotated_tokens_session ON user_session_rotated_tokens(session_id)",
        "CREATE UNIQUE INDEX users_username_lower_key ON users(lower(username))",
        "ALTER TABLE strategies DROP CONSTRAINT strategies_parent_strategy_id_fkey",
        "ALTER TABLE strategies ADD CONSTRAINT strategies_parent_strategy_id_fkey FOREIGN KEY (parent_strategy_id) REFERENCES strategies(id) ON DELETE SET NULL",
        "CREATE INDEX idx_system_logs_message_search ON system_logs USING GIN (to_tsvector('simple', message))",
    ], down: [
        "DROP INDEX idx_system_logs_message_search",
        "ALTER TABLE strategies DROP CONSTRAINT strategies_parent_strategy_id_fkey",
        "ALTER TABLE strategies ADD CONSTRAINT strategies_parent_strategy_id_fkey FOREIGN KEY (parent_strategy_id) REFERENCES strategies(id)",
        "DROP INDEX users_username_lower_key",
        "DROP TABLE user_session_rotated_tokens",
        "DROP TABLE login_attempts",
    ])

    /// Beyond the seed: what `celery_tasks` needs to be a real queue (see `TaskQueue`). The seed's
    /// columns keep their meaning: `status` PENDING → STARTED → SUCCESS | FAILURE | RETRY | REVOKED,
    /// `retries` counts retries made, `worker_name` is the claiming worker. Added: the `queue` and
    /// `priority` a task is claimed by, `run_at` (not before; retries back off through it),
    /// `attempt` (incremented by every claim; with `worker_name` it guards completion), the lease
    /// (`lease_expires_at`, renewed by `heartbeat_at`), `cancel_requested_at` for running tasks,
    /// `last_error`, and a `progress` document for the API. Two partial indexes serve the claim and
    /// the rescuer.
    static let taskQueue = Migration(version: 10, name: "task queue columns on celery_tasks", up: [
        """
        ALTER TABLE celery_tasks
            ADD COLUMN queue VARCHAR(50) NOT NULL DEFAULT 'default',
            ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0,
            ADD COLUMN run_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0,
            ADD COLUMN lease_expires_at TIMESTAMP,
            ADD COLUMN heartbeat_at TIMESTAMP,
            ADD COLUMN cancel_requested_at TIMESTAMP,
            ADD COLUMN last_error TEXT,
            ADD COLUMN progress JSONB
        """,
        "CREATE INDEX idx_celery_tasks_claim ON celery_tasks (queue, priority DESC, run_at) WHERE status IN ('PENDING', 'RETRY')",
        "CREATE INDEX idx_celery_tasks_lease ON celery_tasks (lease_expires_at) WHERE status = 'STARTED'",
    ], down: [
        "DROP INDEX idx_celery_tasks_lease",
        "DROP INDEX idx_celery_tasks_claim",
        """
        ALTER TABLE celery_tasks
            DROP COLUMN progress, DROP COLUMN last_error, DROP COLUMN cancel_requested_at, DROP COLUMN heartbeat_at,
            DROP COLUMN lease_expires_at, DROP COLUMN attempt, DROP COLUMN run_at, DROP COLUMN priority, DROP COLUMN queue
        """,
    ])

    /// The claim's order as an index: `priority DESC, run_at` over runnable tasks, so a claim
    /// across several queues reads the next tasks off the index instead of sorting every pending
    /// task (10 ms with 20,000 waiting; 0.07 ms with it).
    static let claimOrder = Migration(version: 11, name: "claim order index on celery_tasks", up: [
        "CREATE INDEX idx_celery_tasks_claim_order ON celery_tasks (priority DESC, run_at) WHERE status IN ('PENDING', 'RETRY')",
    ], down: [
        "DROP INDEX idx_celery_tasks_claim_order",
    ])

    /// What distributed evaluations need: the resolved plan a worker runs, progress over shards,
    /// an error message, and one row per finished shard (its results, merged at the end; the
    /// primary key makes a re-run shard overwrite rather than duplicate).
    static let evaluationShards = Migration(version: 12, name: "evaluation plans and shards", up: [
        """
        ALTER TABLE evaluations ADD COLUMN plan JSONB, ADD COLUMN progress FLOAT8 NOT NULL DEFAULT 0,
            ADD COLUMN shards_total INTEGER NOT NULL DEFAULT 1, ADD COLUMN shards_done INTEGER NOT NULL DEFAULT 0,
            ADD COLUMN error_message TEXT, ADD COLUMN started_at TIMESTAMP
        """,
        """
        CREATE TABLE evaluation_shards (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            shard INTEGER NOT NULL,
            results JSONB NOT NULL,
            worker_name VARCHAR(255),
            completed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            PRIMARY KEY (evaluation_id, shard)
        )
        """,
    ], down: [
        "DROP TABLE evaluation_shards",
        "ALTER TABLE evaluations DROP COLUMN plan, DROP COLUMN progress, DROP COLUMN shards_total, DROP COLUMN shards_done, DROP COLUMN error_message, DROP COLUMN started_at",
    ])

    /// The default strategy list (a user's, newest first, NULLs last, then by id) read off an
    /// index in its exact order: the seed's separate owner and created_at indexes made every
    /// first screen sort all of the user's strategies (and a DESC scan of the created_at index
    /// puts NULLs first, so it could not serve that order).
    static let strategyListOrder = Migration(version: 13, name: "strategy list order index", up: [
        "CREATE INDEX idx_strategies_owner_created ON strategies (owner_id, created_at DESC NULLS LAST, id)",
    ], down: [
        "DROP INDEX idx_strategies_owner_created",
    ])

    /// The attempts of a task that ended with their worker dying of a fatal signal (read from the
    /// workers' crash journals): two of them fail the task instead of retrying it into a third
    /// worker (a poison pill).
    static let crashedAttempts = Migration(version: 14, name: "crashed attempts on celery_tasks", up: [
        "ALTER TABLE celery_tasks ADD COLUMN crashed_attempts INTEGER[] NOT NULL DEFAULT '{}'",
    ], down: [
        "ALTER TABLE celery_tasks DROP COLUMN crashed_attempts",
    ])

    /// `Idempotency-Key` on POST: the first request's answer per user and key, kept a day (see
    /// `IdempotencyMiddleware`); `status_code` is NULL while that request runs.
    static let idempotencyKeys = Migration(version: 15, name: "idempotency keys", up: [
        """
        CREATE TABLE idempotency_keys (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key VARCHAR(255) NOT NULL,
            request_hash CHAR(64) NOT NULL,
            status_code INTEGER,
            content_type VARCHAR(255),
            response_body TEXT,
            created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            PRIMARY KEY (user_id, key)
        )
        """,
        "CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at)",
    ], down: [
        "DROP TABLE idempotency_keys",
    ])
}
