import Foundation

// Passwordless sign-in with a passkey (issue #15 item 2), written once for both engines.
extension SchemaMigrations {
    static let passwordless: [Migration] = [
        Migration(name: "v10-passwordless") { dialect in
            let type = SchemaTypes(dialect: dialect)
            return [
                // How each session was signed in (RFC 8176 method names, space-separated), for the
                // OpenID provider's `amr`; empty for sessions begun before this migration.
                "ALTER TABLE session ADD COLUMN amr TEXT NOT NULL DEFAULT ''",
                // A passwordless challenge is shown on the login page, before anyone is known: the
                // user becomes optional. Challenges live five minutes, so the table is made anew
                // rather than altered (SQLite cannot drop a NOT NULL); a ceremony under way while
                // the server upgrades is asked again.
                "DROP TABLE webauthn_challenge",
                """
                CREATE TABLE webauthn_challenge (
                    challenge_hash TEXT PRIMARY KEY,
                    purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'second_factor', 'passwordless')),
                    user_id \(type.bigint) REFERENCES "user"(id) ON DELETE CASCADE,
                    session_id_hash TEXT NOT NULL,
                    expires_at \(type.time) NOT NULL,
                    CHECK ((purpose = 'passwordless') = (user_id IS NULL))
                )
                """,
                "CREATE INDEX webauthn_challenge_session ON webauthn_challenge(session_id_hash)",
            ]
        }
    ]
}
