import GRDB

/// Named migrations of the SQLite schema. Add new migrations at the end; never edit old ones:
/// databases in the field have already run them.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial-schema") { db in
            try db.execute(sql: initialSchema)
        }
        migrator.registerMigration("v2-admin-tokens") { db in
            try db.execute(sql: adminTokens)
        }
        migrator.registerMigration("v3-sealed-mail-bodies") { db in
            try db.execute(sql: sealedMailBodies)
        }
        return migrator
    }

    /// Mails that carry a secret (reset links) keep it only sealed, and only until sent.
    private static let sealedMailBodies = "ALTER TABLE mail_outbox ADD COLUMN sealed_body BLOB"

    /// The one-time link that creates the first administrator, and API tokens for scripts.
    private static let adminTokens = """
        CREATE TABLE setup_token (
            token_hash TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        );

        CREATE TABLE api_token (
            token_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            last_used_at REAL
        );
        """

    // Times are REAL seconds since 1970 so that comparisons are plain numeric ones in SQLite and
    // PostgreSQL alike.
    private static let initialSchema = """
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
        );

        CREATE TABLE totp_binding (
            user_id INTEGER PRIMARY KEY REFERENCES user(id) ON DELETE CASCADE,
            sealed_secret BLOB NOT NULL,
            algorithm TEXT NOT NULL,
            digits INTEGER NOT NULL,
            period INTEGER NOT NULL,
            last_step INTEGER NOT NULL,
            confirmed_at REAL NOT NULL
        );

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
        );

        CREATE TABLE recovery_code (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            used_at REAL,
            UNIQUE (user_id, code_hash)
        );

        CREATE TABLE reset_token (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL
        );
        CREATE INDEX reset_token_user ON reset_token(user_id);

        CREATE TABLE session (
            id_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            state TEXT NOT NULL CHECK (state IN ('awaiting_second_factor', 'signed_in')),
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            authenticated_at REAL NOT NULL,
            client_address TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX session_user ON session(user_id);
        CREATE INDEX session_expires ON session(expires_at);

        CREATE TABLE attempt (
            scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
            key TEXT NOT NULL,
            failures INTEGER NOT NULL,
            window_start REAL NOT NULL,
            locked_until REAL,
            PRIMARY KEY (scope, key)
        );

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
        );
        CREATE INDEX mail_outbox_due ON mail_outbox(next_try_at) WHERE sent_at IS NULL AND failed_at IS NULL;

        CREATE TABLE audit_event (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            actor_user_id INTEGER,
            subject_user_id INTEGER,
            username TEXT,
            client_address TEXT,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_event_at ON audit_event(at);
        CREATE INDEX audit_event_subject ON audit_event(subject_user_id);

        CREATE TABLE setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        """
}
