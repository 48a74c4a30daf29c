import Foundation
import GRDB

extension SQLiteStore {
    public func purgeExpired(at now: Date, auditBefore: Date, mailBefore: Date) async throws -> Int {
        let t = now.timeIntervalSince1970
        let day: Double = 86_400
        return try await write { db in
            var removed = 0
            let statements: [(String, StatementArguments)] = [
                ("DELETE FROM session WHERE expires_at <= ?", [t]),
                ("DELETE FROM totp_enrollment WHERE expires_at <= ?", [t]),
                // Kept a day after use or expiry: the reset rate limit counts the last hour.
                ("DELETE FROM reset_token WHERE expires_at <= ?", [t - day]),
                ("DELETE FROM setup_token WHERE expires_at <= ?", [t - day]),
                ("DELETE FROM attempt WHERE window_start <= ? AND (locked_until IS NULL OR locked_until <= ?)", [t - day, t]),
                ("DELETE FROM audit_event WHERE at < ?", [auditBefore.timeIntervalSince1970]),
                (
                    "DELETE FROM mail_outbox WHERE (sent_at IS NOT NULL AND sent_at < ?) OR (failed_at IS NOT NULL AND failed_at < ?)",
                    [
                        mailBefore.timeIntervalSince1970, mailBefore.timeIntervalSince1970,
                    ]
                ),
            ]
            for (sql, arguments) in statements {
                try db.execute(sql: sql, arguments: arguments)
                removed += db.changesCount
            }
            return removed
        }
    }
}
