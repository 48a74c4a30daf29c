import Foundation
import PostgresNIO

extension PostgresStore: ResetTokenStore {
    public func createResetToken(hash: String, userID: Int64, at now: Date, expiresAt: Date, effects: SideEffects) async throws {
        let t = now.timeIntervalSince1970
        try await transaction { connection in
            // A newer request voids older links: they are marked used, and kept for the rate limit.
            try await query("UPDATE reset_token SET used_at = \(t) WHERE user_id = \(userID) AND used_at IS NULL", on: connection)
            try await query(
                """
                INSERT INTO reset_token (token_hash, user_id, created_at, expires_at)
                VALUES (\(hash), \(userID), \(t), \(expiresAt.timeIntervalSince1970))
                """,
                on: connection
            )
            try await apply(effects, on: connection, at: now)
        }
    }

    public func resetTokenCount(userID: Int64, since: Date) async throws -> Int {
        try await query("SELECT COUNT(*) AS n FROM reset_token WHERE user_id = \(userID) AND created_at > \(since.timeIntervalSince1970)")
            .first.required("count")("n", as: Int.self)
    }

    public func resetTokenUser(hash: String, at now: Date) async throws -> Int64? {
        try await query(
            "SELECT user_id FROM reset_token WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > \(now.timeIntervalSince1970)"
        ).first.map { try $0("user_id", as: Int64.self) }
    }

    public func consumeResetToken(hash: String, at now: Date, effects: SideEffects) async throws -> Int64? {
        let t = now.timeIntervalSince1970
        return try await transaction { connection in
            // The guard is this one statement: a second use, in any instance, waits for the row
            // lock and then finds `used_at` set.
            let used = try await query(
                """
                UPDATE reset_token SET used_at = \(t)
                WHERE token_hash = \(hash) AND used_at IS NULL AND expires_at > \(t) RETURNING user_id
                """,
                on: connection
            )
            guard let userID = try used.first.map({ try $0("user_id", as: Int64.self) }) else { return nil }
            for table in ["totp_binding", "totp_enrollment", "recovery_code", "session"] {
                try await query("DELETE FROM \(unescaped: table) WHERE user_id = \(userID)", on: connection)
            }
            try await apply(effects, on: connection, at: now)
            return userID
        }
    }
}
