import Foundation

extension SQLStore {
    public func addOIDCClient(_ client: OIDCClient, effects: SideEffects) async throws {
        do {
            try await write { db in
                try Self.insertOIDCClient(client, in: db)
                try Self.apply(effects, in: db, at: client.createdAt)
            }
        } catch let error as StoreError where error.isDuplicate {
            throw StoreError.duplicate("client \(client.clientID)")
        }
    }

    public func oidcClient(id: String) async throws -> OIDCClient? {
        try await readOne("SELECT * FROM oidc_client WHERE client_id = \(id)", OIDCClient.init(row:))
    }

    public func oidcClients() async throws -> [OIDCClient] {
        try await read("SELECT * FROM oidc_client ORDER BY client_id \(raw: Engine.dialect.byteOrder)", OIDCClient.init(row:))
    }

    public func removeOIDCClient(id: String, at now: Date, effects: SideEffects) async throws -> Bool {
        try await write { db in
            // Grants, codes, tokens and consents go with it (ON DELETE CASCADE).
            guard try db.execute("DELETE FROM oidc_client WHERE client_id = \(id)") == 1 else { return false }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func replaceConfiguredOIDCClients(_ clients: [OIDCClient], at now: Date) async throws {
        try await write { db in
            for client in clients {
                let holder = try db.row("SELECT source FROM oidc_client WHERE client_id = \(client.clientID)")
                if let holder, try holder.enumeration("source", as: OIDCClient.Source.self) != .config {
                    throw StoreError.duplicate("client \(client.clientID) (added at the console)")
                }
            }
            let listed = Set(clients.map(\.clientID))
            let configured = try db.rows("SELECT client_id FROM oidc_client WHERE source = 'config'").map { try $0.string("client_id") }
            for gone in configured where !listed.contains(gone) {
                try db.execute("DELETE FROM oidc_client WHERE client_id = \(gone)")
            }
            for var client in clients {
                client.source = .config
                // A changed client keeps its row, and with it its grants and consents.
                let updated = try db.execute(
                    """
                    UPDATE oidc_client SET secret_hash = \(client.secretHash), name = \(client.name),
                        redirect_uris = \(Self.json(client.redirectURIs)), post_logout_redirect_uris = \(Self.json(client.postLogoutRedirectURIs)),
                        scopes = \(client.scopes.joined(separator: " ")), access_policy = \(client.accessPolicy.rawValue),
                        allowed_user_ids = \(Self.json(client.allowedUserIDs)), skip_consent = \(client.skipConsent),
                        require_pkce = \(client.requirePKCE), signing_alg = \(client.signingAlgorithm.rawValue),
                        access_token_lifetime = \(client.accessTokenLifetime), id_token_lifetime = \(client.idTokenLifetime),
                        refresh_token_lifetime = \(client.refreshTokenLifetime), updated_at = \(now)
                    WHERE client_id = \(client.clientID) AND source = 'config'
                    """
                )
                if updated == 0 {
                    client.createdAt = now
                    client.updatedAt = now
                    try Self.insertOIDCClient(client, in: db)
                }
            }
        }
    }

    static func insertOIDCClient(_ client: OIDCClient, in db: any SQLConnection) throws {
        try db.execute(
            """
            INSERT INTO oidc_client (client_id, secret_hash, name, redirect_uris, post_logout_redirect_uris, scopes, access_policy,
                allowed_user_ids, skip_consent, require_pkce, signing_alg, access_token_lifetime, id_token_lifetime,
                refresh_token_lifetime, source, created_at, updated_at)
            VALUES (\(client.clientID), \(client.secretHash), \(client.name), \(json(client.redirectURIs)),
                \(json(client.postLogoutRedirectURIs)), \(client.scopes.joined(separator: " ")), \(client.accessPolicy.rawValue),
                \(json(client.allowedUserIDs)), \(client.skipConsent), \(client.requirePKCE), \(client.signingAlgorithm.rawValue),
                \(client.accessTokenLifetime), \(client.idTokenLifetime), \(client.refreshTokenLifetime), \(client.source.rawValue),
                \(client.createdAt), \(client.updatedAt))
            """
        )
    }

    /// Lists are stored as JSON arrays: a redirect URI may contain any character a separator could be.
    static func json(_ values: some Encodable) -> String {
        // Encoding arrays of strings or integers cannot fail.
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    // MARK: Subjects and consent

    public func oidcSubject(userID: Int64, candidate: String, at now: Date) async throws -> String {
        if let sub = try await readOne("SELECT sub FROM oidc_subject WHERE user_id = \(userID)", { try $0.string("sub") }) {
            return sub
        }
        return try await write { db in
            guard try db.row(#"SELECT id FROM "user" WHERE id = \#(userID)"#) != nil else { throw StoreError.notFound("user \(userID)") }
            // Two instances may both find none: the first insert wins and both return its value.
            try db.execute(
                "INSERT INTO oidc_subject (user_id, sub, created_at) VALUES (\(userID), \(candidate), \(now)) ON CONFLICT (user_id) DO NOTHING"
            )
            guard let row = try db.row("SELECT sub FROM oidc_subject WHERE user_id = \(userID)") else {
                throw StoreError.notFound("user \(userID)")
            }
            return try row.string("sub")
        }
    }

    public func oidcConsent(userID: Int64, clientID: String) async throws -> String? {
        try await readOne("SELECT scope FROM oidc_consent WHERE user_id = \(userID) AND client_id = \(clientID)") { try $0.string("scope") }
    }

    public func saveOIDCConsent(userID: Int64, clientID: String, scope: String, at now: Date) async throws {
        try await write { db in
            try db.execute(
                """
                INSERT INTO oidc_consent (user_id, client_id, scope, granted_at) VALUES (\(userID), \(clientID), \(scope), \(now))
                ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at
                """
            )
        }
    }
}
