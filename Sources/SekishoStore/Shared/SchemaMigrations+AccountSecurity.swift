import Foundation

// Account security for the people who sign in (issue #16), written once for both engines: what a
// session's list entry shows, the browsers an account has signed in from, and the browsers it
// lets skip the second factor. Named v7: main has v6-binding-drift (#16 item 4) after the OpenID
// provider's migration; when the branches meet, this one follows it.
extension SchemaMigrations {
    static let accountSecurity: [Migration] = [
        Migration(name: "v8-account-security") { dialect in
            let type = SchemaTypes(dialect: dialect)
            let user = #"REFERENCES "user"(id) ON DELETE CASCADE"#
            return [
                // The sessions list names the browser; sessions begun before this migration show none.
                "ALTER TABLE session ADD COLUMN user_agent TEXT NOT NULL DEFAULT ''",
                // A browser the account has completed a sign-in from, by the SHA-256 of its
                // long-lived identifier cookie: the first row for a browser is what sends the
                // new-browser notice, so the primary key makes that notice once per browser.
                """
                CREATE TABLE known_browser (
                    user_id \(type.bigint) NOT NULL \(user),
                    browser_hash TEXT NOT NULL,
                    first_seen_at \(type.time) NOT NULL,
                    PRIMARY KEY (user_id, browser_hash)
                )
                """,
                // A browser that skips the second factor of one account until expires_at, by the
                // SHA-256 of its cookie.
                """
                CREATE TABLE remembered_browser (
                    token_hash TEXT PRIMARY KEY,
                    user_id \(type.bigint) NOT NULL \(user),
                    user_agent TEXT NOT NULL,
                    client_address TEXT NOT NULL,
                    created_at \(type.time) NOT NULL,
                    expires_at \(type.time) NOT NULL,
                    last_used_at \(type.time)
                )
                """,
                "CREATE INDEX remembered_browser_user ON remembered_browser(user_id)",
            ]
        }
    ]
}
