import Foundation

extension SQLStore: ResetTokenStore {
    public func createResetToken(hash: String, userID: Int64, at now: Date, expiresAt: Date, effects: SideEffects) async throws {
        try await write { db in
            // A newer request voids older links: they are marked used, and kept for the rate limit.
            try db.execute("UPDATE reset_token SET used_at = \(now) WHERE user_id = \(userID) AND used_at IS NULL")
            try db.execute(
                "INSERT INTO reset_token (token_hash, user_id, created_at, expires_at) VALUES (\(hash), \(userID), \(now), \(expiresAt))"
            )
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func resetTokenCount(userID: Int64, since: Date) async throws -> Int {
        try await count("SELECT COUNT(*) AS n FROM reset_token WHERE user_id = \(userID) AND created_at > \(since)")
    }

    public func resetTokenUser(hash: String, at now: Date) async throws -> Int64? {
        try await readOne("SELECT user_id FROM reset_token WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > \(now)") {
            try $0.int64("user_id")
        }
    }

    public func consumeResetToken(hash: String, at now: Date, effects: SideEffects) async throws -> Int64? {
        try await write { db in
            let used = try db.row(
                """
                UPDATE reset_token SET used_at = \(now) WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > \(now)
                RETURNING user_id
                """
            )
            guard let userID = try used?.int64("user_id") else { return nil }
            try Self.removeSecondFactor(userID: userID, in: db)
            try Self.apply(effects, in: db, at: now)
            return userID
        }
    }
}
