import Foundation
import Logging
import PostgresNIO

/// Named migrations of the PostgreSQL schema, recorded in `schema_migrations`. Add new migrations
/// at the end; never edit old ones: databases in the field have already run them.
///
/// The schema is SQLite's v1 and v2 with PostgreSQL's types: identity columns, `BYTEA`,
/// `BOOLEAN`, and times as `DOUBLE PRECISION` seconds since 1970, so that the SQL of both stores
/// compares the same numbers and `migrate-to-postgres` copies values unchanged. `user` is a
/// reserved word in PostgreSQL and is always quoted.
enum PostgresMigrations {
    /// Name and statements; each migration runs in the one migration transaction.
    static let all: [(name: String, statements: [String])] = [
        ("v1-initial-schema", initialSchema),
        ("v2-admin-tokens", adminTokens),
        ("v3-sealed-mail-bodies", sealedMailBodies),
    ]

    /// Any fixed number: instances starting together take turns on this transaction-scoped lock,
    /// so that two never run the same migration.
    private static let lockKey: Int64 = 0x5345_4B49_5348_4F00  // "SEKISHO\0"

    /// Applies the missing migrations in one transaction; safe on a migrated database and from
    /// several instances at once.
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger).collect()
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
                logger: logger
            ).collect()
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in all where !applied.contains(migration.name) {
                logger.info("applying database migration", metadata: ["migration": "\(migration.name)"])
                for statement in migration.statements {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(Date().timeIntervalSince1970))",
                    logger: logger
                ).collect()
            }
        }
    }

    private static let initialSchema = [
        """
        CREATE TABLE "user" (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
            password_hash TEXT NOT NULL,
            two_factor_enabled BOOLEAN NOT NULL DEFAULT FALSE,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            last_sign_in_at DOUBLE PRECISION
        )
        """,
        """
        CREATE TABLE totp_binding (
            user_id BIGINT PRIMARY KEY REFERENCES "user"(id) ON DELETE CASCADE,
            sealed_secret BYTEA NOT NULL,
            algorithm TEXT NOT NULL,
            digits INTEGER NOT NULL,
            period INTEGER NOT NULL,
            last_step BIGINT NOT NULL,
            confirmed_at DOUBLE PRECISION NOT NULL
        )
        """,
        """
        CREATE TABLE totp_enrollment (
            id TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL UNIQUE REFERENCES "user"(id) ON DELETE CASCADE,
            session_id_hash TEXT NOT NULL,
            sealed_secret BYTEA NOT NULL,
            algorithm TEXT NOT NULL,
            digits INTEGER NOT NULL,
            period INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        )
        """,
        // Sign-out deletes by session; SQLite scans its small table, PostgreSQL gets an index.
        "CREATE INDEX totp_enrollment_session ON totp_enrollment(session_id_hash)",
        """
        CREATE TABLE recovery_code (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            used_at DOUBLE PRECISION,
            UNIQUE (user_id, code_hash)
        )
        """,
        """
        CREATE TABLE reset_token (
            token_hash TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            used_at DOUBLE PRECISION
        )
        """,
        "CREATE INDEX reset_token_user ON reset_token(user_id)",
        """
        CREATE TABLE session (
            id_hash TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('awaiting_second_factor', 'signed_in')),
            created_at DOUBLE PRECISION NOT NULL,
            last_seen_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            authenticated_at DOUBLE PRECISION NOT NULL,
            client_address TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX session_by_user ON session(user_id)",
        "CREATE INDEX session_expires ON session(expires_at)",
        """
        CREATE TABLE attempt (
            scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
            key TEXT NOT NULL,
            failures INTEGER NOT NULL,
            window_start DOUBLE PRECISION NOT NULL,
            locked_until DOUBLE PRECISION,
            PRIMARY KEY (scope, key)
        )
        """,
        """
        CREATE TABLE mail_outbox (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            text_body TEXT NOT NULL,
            html_body TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at DOUBLE PRECISION NOT NULL,
            sent_at DOUBLE PRECISION,
            failed_at DOUBLE PRECISION,
            last_error TEXT,
            claimed_until DOUBLE PRECISION
        )
        """,
        // Only mails still to send are indexed: the workers' claim reads this index alone.
        "CREATE INDEX mail_outbox_due ON mail_outbox(next_try_at, id) WHERE sent_at IS NULL AND failed_at IS NULL",
        """
        CREATE TABLE audit_event (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at DOUBLE PRECISION NOT NULL,
            kind TEXT NOT NULL,
            actor_user_id BIGINT,
            subject_user_id BIGINT,
            username TEXT,
            client_address TEXT,
            detail TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX audit_event_at ON audit_event(at)",
        "CREATE INDEX audit_event_subject ON audit_event(subject_user_id)",
        """
        CREATE TABLE setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )
        """,
    ]

    /// Mails that carry a secret (reset links) keep it only sealed, and only until sent.
    private static let sealedMailBodies = ["ALTER TABLE mail_outbox ADD COLUMN sealed_body BYTEA"]

    /// The one-time link that creates the first administrator, and API tokens for scripts.
    private static let adminTokens = [
        """
        CREATE TABLE setup_token (
            token_hash TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            used_at DOUBLE PRECISION
        )
        """,
        """
        CREATE TABLE api_token (
            token_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            user_id BIGINT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
            created_at DOUBLE PRECISION NOT NULL,
            last_used_at DOUBLE PRECISION
        )
        """,
        // PostgreSQL does not index foreign keys itself; deleting a user cascades through this.
        "CREATE INDEX api_token_user ON api_token(user_id)",
    ]
}
