import Foundation

extension SQLStore {
    public func purgeExpired(at now: Date, auditBefore: Date, mailBefore: Date) async throws -> Int {
        let dayAgo = now.addingTimeInterval(-86_400)
        let statements: [SQL] =
            [
                "DELETE FROM session WHERE expires_at <= \(now)",
                "DELETE FROM totp_enrollment WHERE expires_at <= \(now)",
                "DELETE FROM remembered_browser WHERE expires_at <= \(now)",
                // Challenges shown on a page that was never answered.
                "DELETE FROM webauthn_challenge WHERE expires_at <= \(now)",
                // Kept a day after use or expiry: the reset rate limit counts the last hour.
                "DELETE FROM reset_token WHERE expires_at <= \(dayAgo)",
                "DELETE FROM setup_token WHERE expires_at <= \(dayAgo)",
                "DELETE FROM attempt WHERE window_start <= \(dayAgo) AND (locked_until IS NULL OR locked_until <= \(now))",
                "DELETE FROM audit_event WHERE at < \(auditBefore)",
                "DELETE FROM mail_outbox WHERE (sent_at IS NOT NULL AND sent_at < \(mailBefore)) OR (failed_at IS NOT NULL AND failed_at < \(mailBefore))",
            ] + Self.oidcPurge(at: now)
        return try await write { db in try statements.reduce(0) { $0 + (try db.execute($1)) } }
    }
}
