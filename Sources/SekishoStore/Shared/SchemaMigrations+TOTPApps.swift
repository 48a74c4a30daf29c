import Foundation

// Several named authenticator apps per account (issue #15 item 3), written once for both engines.
extension SchemaMigrations {
    static let totpApps: [Migration] = [
        // `totp_binding` was keyed by its user: one app per account. Now each binding has its own
        // id, which is also what its sealed secret is bound to. An existing binding's id is its
        // user's id as text, which is what its secret was sealed with, so no secret is sealed
        // again; new ids are random hex tokens, which never read as a number. Both engines rebuild
        // the table (SQLite cannot change a primary key in place), so the columns stand in the
        // same order in both. Nothing references `totp_binding`, so it can be dropped.
        Migration(name: "v9-totp-apps") { dialect in
            let type = SchemaTypes(dialect: dialect)
            // PostgreSQL names constraints after the table they were made in.
            let constraintNames =
                dialect == .sqlite
                ? []
                : [
                    "ALTER TABLE totp_binding RENAME CONSTRAINT totp_binding_v9_pkey TO totp_binding_pkey",
                    "ALTER TABLE totp_binding RENAME CONSTRAINT totp_binding_v9_user_id_fkey TO totp_binding_user_id_fkey",
                ]
            return [
                """
                CREATE TABLE totp_binding_v9 (
                    id TEXT PRIMARY KEY,
                    user_id \(type.bigint) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    sealed_secret \(type.bytes) NOT NULL,
                    algorithm TEXT NOT NULL,
                    digits INTEGER NOT NULL,
                    period INTEGER NOT NULL,
                    last_step \(type.bigint) NOT NULL,
                    drift_steps INTEGER NOT NULL DEFAULT 0,
                    confirmed_at \(type.time) NOT NULL,
                    last_used_at \(type.time)
                )
                """,
                // The apps bound before have no name: the pages call them "Authenticator app".
                """
                INSERT INTO totp_binding_v9
                    (id, user_id, name, sealed_secret, algorithm, digits, period, last_step, drift_steps, confirmed_at, last_used_at)
                SELECT CAST(user_id AS TEXT), user_id, '', sealed_secret, algorithm, digits, period, last_step, drift_steps, confirmed_at, NULL
                FROM totp_binding
                """,
                "DROP TABLE totp_binding",
                "ALTER TABLE totp_binding_v9 RENAME TO totp_binding",
                "CREATE INDEX totp_binding_user ON totp_binding(user_id)",
            ] + constraintNames
        }
    ]
}
