import Foundation

// The OpenID provider's models read from their rows, for both engines (see Model+SQLRow.swift).

extension OIDCClient {
    init(row: any SQLRow) throws {
        self.init(
            clientID: try row.string("client_id"),
            secretHash: try row.optionalString("secret_hash"),
            name: try row.string("name"),
            redirectURIs: try row.jsonArray("redirect_uris"),
            postLogoutRedirectURIs: try row.jsonArray("post_logout_redirect_uris"),
            scopes: try row.string("scopes").split(separator: " ").map(String.init),
            accessPolicy: try row.enumeration("access_policy"),
            allowedUserIDs: try row.jsonArray("allowed_user_ids"),
            skipConsent: try row.bool("skip_consent"),
            requirePKCE: try row.bool("require_pkce"),
            signingAlgorithm: try row.enumeration("signing_alg"),
            accessTokenLifetime: try row.int("access_token_lifetime"),
            idTokenLifetime: try row.int("id_token_lifetime"),
            refreshTokenLifetime: try row.int("refresh_token_lifetime"),
            source: try row.enumeration("source"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at")
        )
    }
}

extension OIDCSigningKey {
    init(row: any SQLRow) throws {
        self.init(
            kid: try row.string("kid"),
            algorithm: try row.enumeration("alg"),
            sealedPrivateKey: try row.data("sealed_private_key"),
            createdAt: try row.date("created_at"),
            retiredAt: try row.optionalDate("retired_at")
        )
    }
}

extension OIDCGrant {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.string("id"),
            clientID: try row.string("client_id"),
            userID: try row.int64("user_id"),
            scope: try row.string("scope"),
            authTime: try row.date("auth_time"),
            amr: try row.string("amr"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at")
        )
    }
}

extension SQLRow {
    /// A JSON array stored as text; anything else throws, never guessed.
    func jsonArray<Element: Decodable>(_ column: String, of type: Element.Type = Element.self) throws -> [Element] {
        let text = try string(column)
        do {
            return try JSONDecoder().decode([Element].self, from: Data(text.utf8))
        } catch {
            throw StoreError.unreadable("\(column) is not a JSON array")
        }
    }
}
