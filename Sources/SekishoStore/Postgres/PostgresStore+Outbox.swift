import Foundation
import PostgresNIO

extension PostgresStore: OutboxStore {
    public func enqueueMail(_ mail: NewOutboxMail, at now: Date) async throws -> Int64 {
        try await transaction { connection in try await insertMail(mail, on: connection, at: now) }
    }

    public func claimDueMails(at now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail] {
        let t = now.timeIntervalSince1970
        let claimedUntil = t + lease
        let mails = try await transaction { connection in
            // Rows another worker is claiming right now are skipped, not waited for; a row that
            // worker has claimed and committed fails the re-checked `claimed_until` condition. So
            // each mail goes to one worker of any instance, and the workers never queue on locks.
            // The lease hands a mail back if its worker dies mid-send.
            let due = try await query(
                """
                SELECT id FROM mail_outbox
                WHERE sent_at IS NULL AND failed_at IS NULL AND next_try_at <= \(t)
                  AND (claimed_until IS NULL OR claimed_until <= \(t))
                ORDER BY next_try_at, id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
                """,
                on: connection
            ).map { try $0("id", as: Int64.self) }
            guard !due.isEmpty else { return [OutboxMail]() }
            return try await query(
                """
                UPDATE mail_outbox SET claimed_until = \(claimedUntil), attempts = attempts + 1
                WHERE id = ANY(\(due)::bigint[]) RETURNING *
                """,
                on: connection
            ).map(OutboxMail.init)
        }
        return mails.sorted { ($0.nextTryAt, $0.id) < ($1.nextTryAt, $1.id) }
    }

    /// The sealed bodies go with the sending: a sent mail keeps no usable secret.
    public func markMailSent(id: Int64, at now: Date) async throws {
        try await query(
            """
            UPDATE mail_outbox SET sent_at = \(now.timeIntervalSince1970), claimed_until = NULL, last_error = NULL, sealed_body = NULL
            WHERE id = \(id)
            """
        )
    }

    public func markMailRetry(id: Int64, error: String, nextTryAt: Date) async throws {
        try await query(
            "UPDATE mail_outbox SET next_try_at = \(nextTryAt.timeIntervalSince1970), last_error = \(error), claimed_until = NULL WHERE id = \(id)"
        )
    }

    public func markMailFailed(id: Int64, error: String, at now: Date) async throws {
        try await query(
            """
            UPDATE mail_outbox SET failed_at = \(now.timeIntervalSince1970), last_error = \(error), claimed_until = NULL, sealed_body = NULL
            WHERE id = \(id)
            """
        )
    }

    public func outboxMails(limit: Int) async throws -> [OutboxMail] {
        try await query("SELECT * FROM mail_outbox ORDER BY id DESC LIMIT \(limit)").map(OutboxMail.init)
    }
}
