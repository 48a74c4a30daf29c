import Foundation
import PostgresNIO

extension PostgresStore {
    public func purgeExpired(at now: Date, auditBefore: Date, mailBefore: Date) async throws -> Int {
        let t = now.timeIntervalSince1970
        let day: Double = 86_400
        let audit = auditBefore.timeIntervalSince1970
        let mail = mailBefore.timeIntervalSince1970
        let statements: [PostgresQuery] = [
            "DELETE FROM session WHERE expires_at <= \(t)",
            "DELETE FROM totp_enrollment WHERE expires_at <= \(t)",
            // Kept a day after use or expiry: the reset rate limit counts the last hour.
            "DELETE FROM reset_token WHERE expires_at <= \(t - day)",
            "DELETE FROM setup_token WHERE expires_at <= \(t - day)",
            "DELETE FROM attempt WHERE window_start <= \(t - day) AND (locked_until IS NULL OR locked_until <= \(t))",
            "DELETE FROM audit_event WHERE at < \(audit)",
            "DELETE FROM mail_outbox WHERE (sent_at IS NOT NULL AND sent_at < \(mail)) OR (failed_at IS NOT NULL AND failed_at < \(mail))",
        ]
        return try await transaction { connection in
            var removed = 0
            for statement in statements {
                // Counted in SQL: PostgresNIO's async API exposes no affected-row count.
                var counted = statement
                counted.sql = "WITH removed AS (\(statement.sql) RETURNING 1) SELECT COUNT(*) AS n FROM removed"
                removed += try await query(counted, on: connection).first.required("count")("n", as: Int.self)
            }
            return removed
        }
    }
}
