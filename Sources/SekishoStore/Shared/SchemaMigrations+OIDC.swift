import Foundation

// The OpenID provider's tables (issue #14), written once for both engines. Kept apart from the
// migrations of the rest of the store so that migrations added meanwhile on another branch go
// before this block when the branches meet.
//
// Foreign keys to other new tables are DEFERRABLE INITIALLY DEFERRED: `migrate-to-postgres`
// copies tables in name order (`user` first), and `oidc_access_token` comes before the
// `oidc_client` and `oidc_grant` it references; deferred, they are checked at its commit.
extension SchemaMigrations {
    static let oidc: [Migration] = [
        Migration(name: "v5-oidc-provider") { dialect in
            let type = SchemaTypes(dialect: dialect)
            let deferred = "DEFERRABLE INITIALLY DEFERRED"
            let user = #"REFERENCES "user"(id) ON DELETE CASCADE"#
            return [
                """
                CREATE TABLE oidc_signing_key (
                    kid TEXT PRIMARY KEY,
                    alg TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256')),
                    sealed_private_key \(type.bytes) NOT NULL,
                    created_at \(type.time) NOT NULL,
                    retired_at \(type.time)
                )
                """,
                // One signing key per algorithm at a time, even when instances start together.
                "CREATE UNIQUE INDEX oidc_signing_key_current ON oidc_signing_key(alg) WHERE retired_at IS NULL",
                """
                CREATE TABLE oidc_client (
                    client_id TEXT PRIMARY KEY,
                    secret_hash TEXT,
                    name TEXT NOT NULL,
                    redirect_uris TEXT NOT NULL,
                    post_logout_redirect_uris TEXT NOT NULL,
                    scopes TEXT NOT NULL,
                    access_policy TEXT NOT NULL CHECK (access_policy IN ('everyone', 'admins', 'listed')),
                    allowed_user_ids TEXT NOT NULL,
                    skip_consent \(type.flag) NOT NULL,
                    require_pkce \(type.flag) NOT NULL,
                    signing_alg TEXT NOT NULL CHECK (signing_alg IN ('RS256', 'ES256')),
                    access_token_lifetime INTEGER NOT NULL,
                    id_token_lifetime INTEGER NOT NULL,
                    refresh_token_lifetime INTEGER NOT NULL,
                    source TEXT NOT NULL CHECK (source IN ('config', 'console')),
                    created_at \(type.time) NOT NULL,
                    updated_at \(type.time) NOT NULL
                )
                """,
                // Random and never changed: user IDs can be renamed, a `sub` cannot.
                """
                CREATE TABLE oidc_subject (
                    user_id \(type.bigint) PRIMARY KEY \(user),
                    sub TEXT NOT NULL UNIQUE,
                    created_at \(type.time) NOT NULL
                )
                """,
                """
                CREATE TABLE oidc_consent (
                    user_id \(type.bigint) NOT NULL \(user),
                    client_id TEXT NOT NULL REFERENCES oidc_client(client_id) ON DELETE CASCADE \(deferred),
                    scope TEXT NOT NULL,
                    granted_at \(type.time) NOT NULL,
                    PRIMARY KEY (user_id, client_id)
                )
                """,
                "CREATE INDEX oidc_consent_client ON oidc_consent(client_id)",
                """
                CREATE TABLE oidc_grant (
                    id TEXT PRIMARY KEY,
                    client_id TEXT NOT NULL REFERENCES oidc_client(client_id) ON DELETE CASCADE \(deferred),
                    user_id \(type.bigint) NOT NULL \(user),
                    scope TEXT NOT NULL,
                    auth_time \(type.time) NOT NULL,
                    amr TEXT NOT NULL,
                    created_at \(type.time) NOT NULL,
                    revoked_at \(type.time)
                )
                """,
                "CREATE INDEX oidc_grant_client ON oidc_grant(client_id)",
                "CREATE INDEX oidc_grant_user ON oidc_grant(user_id)",
                """
                CREATE TABLE oidc_authorization_code (
                    code_hash TEXT PRIMARY KEY,
                    grant_id TEXT NOT NULL REFERENCES oidc_grant(id) ON DELETE CASCADE \(deferred),
                    client_id TEXT NOT NULL,
                    redirect_uri TEXT NOT NULL,
                    code_challenge TEXT,
                    nonce TEXT,
                    created_at \(type.time) NOT NULL,
                    expires_at \(type.time) NOT NULL,
                    used_at \(type.time)
                )
                """,
                "CREATE INDEX oidc_authorization_code_grant ON oidc_authorization_code(grant_id)",
                """
                CREATE TABLE oidc_refresh_token (
                    token_hash TEXT PRIMARY KEY,
                    grant_id TEXT NOT NULL REFERENCES oidc_grant(id) ON DELETE CASCADE \(deferred),
                    created_at \(type.time) NOT NULL,
                    expires_at \(type.time) NOT NULL,
                    used_at \(type.time)
                )
                """,
                "CREATE INDEX oidc_refresh_token_grant ON oidc_refresh_token(grant_id)",
                // grant_id is NULL for a token a client obtained for itself (client credentials).
                """
                CREATE TABLE oidc_access_token (
                    token_hash TEXT PRIMARY KEY,
                    grant_id TEXT REFERENCES oidc_grant(id) ON DELETE CASCADE \(deferred),
                    client_id TEXT NOT NULL REFERENCES oidc_client(client_id) ON DELETE CASCADE \(deferred),
                    scope TEXT NOT NULL,
                    created_at \(type.time) NOT NULL,
                    expires_at \(type.time) NOT NULL,
                    revoked_at \(type.time)
                )
                """,
                "CREATE INDEX oidc_access_token_grant ON oidc_access_token(grant_id)",
                "CREATE INDEX oidc_access_token_client ON oidc_access_token(client_id)",
            ]
        }
    ]
}
