import Foundation
import GRDB

extension SQLiteStore {
    public func createResetToken(hash: String, userID: Int64, at now: Date, expiresAt: Date, effects: SideEffects) async throws {
        try await write { db in
            // A newer request voids older links: they are marked used, and kept for the rate limit.
            try db.execute(
                sql: "UPDATE reset_token SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                arguments: [now.timeIntervalSince1970, userID]
            )
            try db.execute(
                sql: "INSERT INTO reset_token (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [hash, userID, now.timeIntervalSince1970, expiresAt.timeIntervalSince1970]
            )
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func resetTokenCount(userID: Int64, since: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM reset_token WHERE user_id = ? AND created_at > ?",
                arguments: [userID, since.timeIntervalSince1970]
            ) ?? 0
        }
    }

    public func resetTokenUser(hash: String, at now: Date) async throws -> Int64? {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT user_id FROM reset_token WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                arguments: [hash, now.timeIntervalSince1970]
            )
        }
    }

    public func consumeResetToken(hash: String, at now: Date, effects: SideEffects) async throws -> Int64? {
        let t = now.timeIntervalSince1970
        return try await write { db in
            guard
                let userID = try Int64.fetchOne(
                    db,
                    sql: "UPDATE reset_token SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
                    arguments: [t, hash, t]
                )
            else { return nil }
            for table in ["totp_binding", "totp_enrollment", "recovery_code", "session"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE user_id = ?", arguments: [userID])
            }
            try Self.apply(effects, in: db, at: now)
            return userID
        }
    }
}
