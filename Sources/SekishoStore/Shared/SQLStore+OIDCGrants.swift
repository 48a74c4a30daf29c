import Foundation

extension SQLStore {
    public func createAuthorizationCode(_ code: NewAuthorizationCode, grant: OIDCGrant, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(
                """
                INSERT INTO oidc_grant (id, client_id, user_id, scope, auth_time, amr, created_at)
                VALUES (\(grant.id), \(grant.clientID), \(grant.userID), \(grant.scope), \(grant.authTime), \(grant.amr), \(grant.createdAt))
                """
            )
            try db.execute(
                """
                INSERT INTO oidc_authorization_code (code_hash, grant_id, client_id, redirect_uri, code_challenge, nonce, created_at, expires_at)
                VALUES (\(code.codeHash), \(grant.id), \(grant.clientID), \(code.redirectURI), \(code.codeChallenge), \(code.nonce),
                        \(grant.createdAt), \(code.expiresAt))
                """
            )
            try Self.apply(effects, in: db, at: grant.createdAt)
        }
    }

    public func redeemAuthorizationCode(
        _ presented: CodePresentation,
        at now: Date,
        issuing tokens: IssuedTokens,
        effects: SideEffects
    ) async throws -> GrantExchange {
        try await write { db in
            // The one statement that decides: of concurrent requests with the same code, one
            // finds `used_at IS NULL` and spends it; the others find it spent. A mismatched
            // client, redirect URI or PKCE challenge spends nothing (the verifier is 256 bits:
            // guessing it within the code's 60 s is hopeless).
            let spent = try db.row(
                """
                UPDATE oidc_authorization_code SET used_at = \(now)
                WHERE code_hash = \(presented.codeHash) AND client_id = \(presented.clientID) AND used_at IS NULL
                  AND expires_at > \(now) AND redirect_uri = \(presented.redirectURI)
                  AND code_challenge IS NOT DISTINCT FROM \(presented.codeChallenge)
                  AND EXISTS (SELECT 1 FROM oidc_grant g WHERE g.id = oidc_authorization_code.grant_id AND g.revoked_at IS NULL)
                RETURNING grant_id, nonce
                """
            )
            guard let spent else {
                let replayed = try db.row(
                    """
                    SELECT grant_id FROM oidc_authorization_code
                    WHERE code_hash = \(presented.codeHash) AND client_id = \(presented.clientID) AND used_at IS NOT NULL
                    """
                )
                guard let grantID = try replayed?.string("grant_id") else { return .invalid }
                try Self.revokeGrant(grantID, at: now, in: db)
                return .replayed(grantID: grantID)
            }
            let grant = try Self.issue(tokens, grantID: try spent.string("grant_id"), at: now, in: db)
            try Self.apply(effects.concerning(grant.userID), in: db, at: now)
            return .issued(grant, nonce: try spent.optionalString("nonce"))
        }
    }

    public func rotateRefreshToken(
        hash: String,
        clientID: String,
        at now: Date,
        issuing tokens: IssuedTokens,
        effects: SideEffects
    ) async throws -> GrantExchange {
        try await write { db in
            // As with codes: one conditional statement spends the token for exactly one request.
            // The grant is looked up by its key (a correlated EXISTS): `grant_id IN (SELECT …)`
            // made SQLite scan every grant of the client for each refresh.
            let spent = try db.row(
                """
                UPDATE oidc_refresh_token SET used_at = \(now)
                WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > \(now)
                  AND EXISTS (
                      SELECT 1 FROM oidc_grant g WHERE g.id = oidc_refresh_token.grant_id AND g.client_id = \(clientID) AND g.revoked_at IS NULL
                  )
                RETURNING grant_id
                """
            )
            guard let spent else {
                let replayed = try db.row(
                    """
                    SELECT r.grant_id FROM oidc_refresh_token r JOIN oidc_grant g ON g.id = r.grant_id
                    WHERE r.token_hash = \(hash) AND g.client_id = \(clientID) AND r.used_at IS NOT NULL
                    """
                )
                guard let grantID = try replayed?.string("grant_id") else { return .invalid }
                // A rotated token came back: either the client or a thief holds a copy, and the
                // server cannot tell which; the whole family ends (RFC 9700 §4.14.2).
                try Self.revokeGrant(grantID, at: now, in: db)
                return .replayed(grantID: grantID)
            }
            let grant = try Self.issue(tokens, grantID: try spent.string("grant_id"), at: now, in: db)
            try Self.apply(effects.concerning(grant.userID), in: db, at: now)
            return .issued(grant, nonce: nil)
        }
    }

    /// Stores the tokens of a grant just spent, inside the spending transaction.
    static func issue(_ tokens: IssuedTokens, grantID: String, at now: Date, in db: any SQLConnection) throws -> OIDCGrant {
        guard let row = try db.row("SELECT * FROM oidc_grant WHERE id = \(grantID)") else { throw StoreError.notFound("grant") }
        let grant = try OIDCGrant(row: row)
        try db.execute(
            """
            INSERT INTO oidc_access_token (token_hash, grant_id, client_id, scope, created_at, expires_at)
            VALUES (\(tokens.accessTokenHash), \(grantID), \(grant.clientID), \(grant.scope), \(now), \(tokens.accessTokenExpiresAt))
            """
        )
        if let refreshHash = tokens.refreshTokenHash, let refreshExpiry = tokens.refreshTokenExpiresAt {
            try db.execute(
                """
                INSERT INTO oidc_refresh_token (token_hash, grant_id, created_at, expires_at)
                VALUES (\(refreshHash), \(grantID), \(now), \(refreshExpiry))
                """
            )
        }
        return grant
    }

    /// Ends a grant: every token checks its grant, so one row revokes the whole family.
    static func revokeGrant(_ grantID: String, at now: Date, in db: any SQLConnection) throws {
        try db.execute("UPDATE oidc_grant SET revoked_at = \(now) WHERE id = \(grantID) AND revoked_at IS NULL")
    }

    public func createClientAccessToken(
        hash: String,
        clientID: String,
        scope: String,
        at now: Date,
        expiresAt: Date,
        effects: SideEffects
    ) async throws {
        try await write { db in
            try db.execute(
                """
                INSERT INTO oidc_access_token (token_hash, client_id, scope, created_at, expires_at)
                VALUES (\(hash), \(clientID), \(scope), \(now), \(expiresAt))
                """
            )
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func oidcAccessToken(hash: String, at now: Date) async throws -> OIDCAccessToken? {
        try await readOne(
            """
            SELECT t.client_id AS t_client_id, t.scope AS t_scope, t.created_at AS t_created_at, t.expires_at AS t_expires_at,
                   t.grant_id AS t_grant_id, g.*
            FROM oidc_access_token t LEFT JOIN oidc_grant g ON g.id = t.grant_id
            WHERE t.token_hash = \(hash) AND t.revoked_at IS NULL AND t.expires_at > \(now)
              AND (t.grant_id IS NULL OR g.revoked_at IS NULL)
            """
        ) { row in
            OIDCAccessToken(
                clientID: try row.string("t_client_id"),
                scope: try row.string("t_scope"),
                grant: try row.optionalString("t_grant_id") == nil ? nil : try OIDCGrant(row: row),
                createdAt: try row.date("t_created_at"),
                expiresAt: try row.date("t_expires_at")
            )
        }
    }

    public func oidcRefreshToken(hash: String, at now: Date) async throws -> OIDCRefreshToken? {
        try await readOne(
            """
            SELECT r.created_at AS r_created_at, r.expires_at AS r_expires_at, g.*
            FROM oidc_refresh_token r JOIN oidc_grant g ON g.id = r.grant_id
            WHERE r.token_hash = \(hash) AND r.used_at IS NULL AND r.expires_at > \(now) AND g.revoked_at IS NULL
            """
        ) { row in
            OIDCRefreshToken(grant: try OIDCGrant(row: row), createdAt: try row.date("r_created_at"), expiresAt: try row.date("r_expires_at"))
        }
    }

    public func revokeOIDCToken(hash: String, clientID: String, at now: Date, effects: SideEffects) async throws -> TokenRevocation {
        try await write { db in
            let revocation: TokenRevocation
            if try db.execute(
                "UPDATE oidc_access_token SET revoked_at = \(now) WHERE token_hash = \(hash) AND client_id = \(clientID) AND revoked_at IS NULL"
            ) == 1 {
                revocation = .accessToken
            } else if let row = try db.row(
                """
                UPDATE oidc_grant SET revoked_at = \(now)
                WHERE revoked_at IS NULL AND client_id = \(clientID)
                  AND id = (SELECT grant_id FROM oidc_refresh_token WHERE token_hash = \(hash))
                RETURNING id
                """
            ) {
                revocation = .refreshToken(grantID: try row.string("id"))
            } else {
                return .none
            }
            try Self.apply(effects, in: db, at: now)
            return revocation
        }
    }

    /// What the OpenID provider no longer needs: spent or expired codes a day on (a code used
    /// again within that day still revokes its grant), expired tokens, and grants revoked a day
    /// ago or left with nothing live (their rows go with them).
    static func oidcPurge(at now: Date) -> [SQL] {
        let dayAgo = now.addingTimeInterval(-86_400)
        return [
            "DELETE FROM oidc_authorization_code WHERE expires_at <= \(dayAgo)",
            "DELETE FROM oidc_access_token WHERE expires_at <= \(now)",
            "DELETE FROM oidc_refresh_token WHERE expires_at <= \(now)",
            """
            DELETE FROM oidc_grant WHERE revoked_at <= \(dayAgo)
               OR (created_at <= \(dayAgo)
                   AND NOT EXISTS (SELECT 1 FROM oidc_authorization_code c WHERE c.grant_id = oidc_grant.id)
                   AND NOT EXISTS (SELECT 1 FROM oidc_refresh_token r WHERE r.grant_id = oidc_grant.id)
                   AND NOT EXISTS (SELECT 1 FROM oidc_access_token t WHERE t.grant_id = oidc_grant.id))
            """,
        ]
    }
}
