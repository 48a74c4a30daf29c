import Foundation

extension SQLStore: OIDCStore {
    public func oidcSigningKeys(retiredAfter: Date) async throws -> [OIDCSigningKey] {
        try await read(
            """
            SELECT * FROM oidc_signing_key WHERE retired_at IS NULL OR retired_at > \(retiredAfter)
            ORDER BY created_at DESC, kid
            """,
            OIDCSigningKey.init(row:)
        )
    }

    public func addOIDCSigningKeyIfNone(_ key: OIDCSigningKey, effects: SideEffects) async throws -> Bool {
        try await write { db in
            // The partial unique index allows one unretired key per algorithm: the instance
            // that comes second inserts nothing and uses the first one's key.
            let added = try db.execute(
                """
                INSERT INTO oidc_signing_key (kid, alg, sealed_private_key, created_at)
                VALUES (\(key.kid), \(key.algorithm.rawValue), \(key.sealedPrivateKey), \(key.createdAt))
                ON CONFLICT DO NOTHING
                """
            )
            guard added == 1 else { return false }
            try Self.apply(effects, in: db, at: key.createdAt)
            return true
        }
    }

    public func rotateOIDCSigningKey(to key: OIDCSigningKey, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(
                "UPDATE oidc_signing_key SET retired_at = \(key.createdAt) WHERE alg = \(key.algorithm.rawValue) AND retired_at IS NULL"
            )
            try db.execute(
                """
                INSERT INTO oidc_signing_key (kid, alg, sealed_private_key, created_at)
                VALUES (\(key.kid), \(key.algorithm.rawValue), \(key.sealedPrivateKey), \(key.createdAt))
                """
            )
            try Self.apply(effects, in: db, at: key.createdAt)
        }
    }
}
