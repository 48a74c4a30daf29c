import Foundation

/// The schema's named migrations, for both engines in one place. Add new migrations at the end;
/// never edit old ones: databases in the field have already run them.
///
/// v1 and v2 were written per engine and stand here side by side as they ran. From v3 on a
/// migration is written once, with ``SchemaTypes`` naming what differs: identity columns,
/// `BLOB`/`BYTEA`, booleans, and times as seconds since 1970 (`REAL`, `DOUBLE PRECISION`), so that
/// the SQL of both engines compares the same numbers and `migrate-to-postgres` copies values
/// unchanged. `user` is a reserved word in PostgreSQL and is always quoted.
/// `SchemaComparisonTests` compares the migrated schemas of both engines.
enum SchemaMigrations {
    struct Migration: Sendable {
        let name: String
        let statements: @Sendable (SQLDialect) -> [String]
    }

    static let all: [Migration] =
        [
            Migration(name: "v1-initial-schema") { $0 == .sqlite ? sqliteInitialSchema : postgresInitialSchema },
            Migration(name: "v2-admin-tokens") { $0 == .sqlite ? sqliteAdminTokens : postgresAdminTokens },
            // v1 and v2 had drifted apart: SQLite named the session index differently, indexed the
            // mail queue on fewer columns and lacked two indexes PostgreSQL had.
            Migration(name: "v3-one-schema") { dialect in
                guard dialect == .sqlite else { return [] }
                return [
                    "DROP INDEX session_user",
                    "CREATE INDEX session_by_user ON session(user_id)",
                    "CREATE INDEX totp_enrollment_session ON totp_enrollment(session_id_hash)",
                    "CREATE INDEX api_token_user ON api_token(user_id)",
                    "DROP INDEX mail_outbox_due",
                    "CREATE INDEX mail_outbox_due ON mail_outbox(next_try_at, id) WHERE sent_at IS NULL AND failed_at IS NULL",
                ]
            },
            // Mails that carry a secret (reset links) keep it only sealed, and only until sent.
            Migration(name: "v4-sealed-mail-bodies") { dialect in
                ["ALTER TABLE mail_outbox ADD COLUMN sealed_body \(SchemaTypes(dialect: dialect).bytes)"]
            },
            // Migrations of the rest of the store go above this line; the OpenID provider's follow.
        ] + oidc + [
            // How many steps each authenticator's clock is off (RFC 6238 §6), learned from accepted codes.
            Migration(name: "v6-binding-drift") { _ in
                ["ALTER TABLE totp_binding ADD COLUMN drift_steps INTEGER NOT NULL DEFAULT 0"]
            },
            // Passkeys and security keys (WebAuthn) and the challenges of their ceremonies.
            Migration(name: "v7-passkeys") { dialect in
                let type = SchemaTypes(dialect: dialect)
                return [
                    """
                    CREATE TABLE passkey (
                        id \(type.identity),
                        user_id \(type.bigint) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                        credential_id \(type.bytes) NOT NULL UNIQUE,
                        public_key \(type.bytes) NOT NULL,
                        algorithm INTEGER NOT NULL,
                        sign_count \(type.bigint) NOT NULL,
                        name TEXT NOT NULL,
                        created_at \(type.time) NOT NULL,
                        last_used_at \(type.time),
                        counter_regressions INTEGER NOT NULL DEFAULT 0
                    )
                    """,
                    "CREATE INDEX passkey_user ON passkey(user_id)",
                    """
                    CREATE TABLE webauthn_challenge (
                        challenge_hash TEXT PRIMARY KEY,
                        purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'second_factor')),
                        user_id \(type.bigint) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                        session_id_hash TEXT NOT NULL,
                        expires_at \(type.time) NOT NULL
                    )
                    """,
                    "CREATE INDEX webauthn_challenge_session ON webauthn_challenge(session_id_hash)",
                ]
            },
        ] + accountSecurity + totpApps + passwordless

    // MARK: - v1 and v2, as each engine ran them

    private static let sqliteInitialSchema = [
        """
        CREATE TABLE user (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
            password_hash TEXT NOT NULL,
            two_factor_enabled INTEGER NOT NULL DEFAULT 0 CHECK (two_factor_enabled IN (0, 1)),
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            last_sign_in_at REAL
        )
        """,
        """
        CREATE TABLE totp_binding (
            user_id INTEGER PRIMARY KEY REFERENCES user(id) ON DELETE CASCADE,
            sealed_secret BLOB NOT NULL,
            algorithm TEXT NOT NULL,
            digits INTEGER NOT NULL,
            period INTEGER NOT NULL,
            last_step INTEGER NOT NULL,
            confirmed_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE totp_enrollment (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL UNIQUE REFERENCES user(id) ON DELETE CASCADE,
            session_id_hash TEXT NOT NULL,
            sealed_secret BLOB NOT NULL,
            algorithm TEXT NOT NULL,
            digits INTEGER NOT NULL,
            period INTEGER NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE recovery_code (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            used_at REAL,
            UNIQUE (user_id, code_hash)
        )
        """,
        """
        CREATE TABLE reset_token (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        )
        """,
        """
        CREATE INDEX reset_token_user ON reset_token(user_id)
        """,
        """
        CREATE TABLE session (
            id_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('awaiting_second_factor', 'signed_in')),
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            authenticated_at REAL NOT NULL,
            client_address TEXT NOT NULL DEFAULT ''
        )
        """,
        """
        CREATE INDEX session_user ON session(user_id)
        """,
        """
        CREATE INDEX session_expires ON session(expires_at)
        """,
        """
        CREATE TABLE attempt (
            scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
            key TEXT NOT NULL,
            failures INTEGER NOT NULL,
            window_start REAL NOT NULL,
            locked_until REAL,
            PRIMARY KEY (scope, key)
        )
        """,
        """
        CREATE TABLE mail_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            text_body TEXT NOT NULL,
            html_body TEXT,
            created_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at REAL NOT NULL,
            sent_at REAL,
            failed_at REAL,
            last_error TEXT,
            claimed_until REAL
        )
        """,
        """
        CREATE INDEX mail_outbox_due ON mail_outbox(next_try_at) WHERE sent_at IS NULL AND failed_at IS NULL
        """,
        """
        CREATE TABLE audit_event (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            actor_user_id INTEGER,
            subject_user_id INTEGER,
            username TEXT,
            client_address TEXT,
            detail TEXT NOT NULL DEFAULT ''
        )
        """,
        """
        CREATE INDEX audit_event_at ON audit_event(at)
        """,
        """
        CREATE INDEX audit_event_subject ON audit_event(subject_user_id)
        """,
        """
        CREATE TABLE setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        )
        """,
    ]

    private static let sqliteAdminTokens = [
        """
        CREATE TABLE setup_token (
            token_hash TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        )
        """,
        """
        CREATE TABLE api_token (
            token_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            last_used_at REAL
        )
        """,
    ]

    private static let postgresInitialSchema = [
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

    private static let postgresAdminTokens = [
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

/// The column types that differ between the engines, for migrations written once.
struct SchemaTypes {
    let dialect: SQLDialect

    /// A 64-bit key the database assigns.
    var identity: String { dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" }
    /// A 64-bit integer (a foreign key to an identity, a counter that may grow large).
    var bigint: String { dialect == .sqlite ? "INTEGER" : "BIGINT" }
    /// Seconds since 1970.
    var time: String { dialect == .sqlite ? "REAL" : "DOUBLE PRECISION" }
    var bytes: String { dialect == .sqlite ? "BLOB" : "BYTEA" }
    /// True or false: 0 or 1 in SQLite.
    var flag: String { dialect == .sqlite ? "INTEGER" : "BOOLEAN" }
}
