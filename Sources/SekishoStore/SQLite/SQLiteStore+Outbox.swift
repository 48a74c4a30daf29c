import Foundation
import GRDB

extension SQLiteStore: OutboxStore {
    public func enqueueMail(_ mail: NewOutboxMail, at now: Date) async throws -> Int64 {
        try await write { db in try Self.insertMail(mail, in: db, at: now) }
    }

    public func claimDueMails(at now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail] {
        try await write { db in
            let t = now.timeIntervalSince1970
            // The write transaction holds SQLite's single write lock, so a claim is exclusive
            // across processes; the lease hands a mail back if its worker dies mid-send.
            let mails = try OutboxMail.fetchAll(
                db,
                sql: """
                    SELECT * FROM mail_outbox
                    WHERE sent_at IS NULL AND failed_at IS NULL AND next_try_at <= ?
                      AND (claimed_until IS NULL OR claimed_until <= ?)
                    ORDER BY next_try_at, id LIMIT ?
                    """,
                arguments: [t, t, limit]
            )
            for mail in mails {
                try db.execute(
                    sql: "UPDATE mail_outbox SET claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                    arguments: [t + lease, mail.id]
                )
            }
            return mails.map {
                var m = $0
                m.attempts += 1
                m.claimedUntil = now.addingTimeInterval(lease)
                return m
            }
        }
    }

    /// The sealed bodies go with the sending: a sent mail keeps no usable secret.
    public func markMailSent(id: Int64, at now: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE mail_outbox SET sent_at = ?, claimed_until = NULL, last_error = NULL, sealed_body = NULL WHERE id = ?",
                arguments: [now.timeIntervalSince1970, id]
            )
        }
    }

    public func markMailRetry(id: Int64, error: String, nextTryAt: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE mail_outbox SET next_try_at = ?, last_error = ?, claimed_until = NULL WHERE id = ?",
                arguments: [nextTryAt.timeIntervalSince1970, error, id]
            )
        }
    }

    public func markMailFailed(id: Int64, error: String, at now: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE mail_outbox SET failed_at = ?, last_error = ?, claimed_until = NULL, sealed_body = NULL WHERE id = ?",
                arguments: [now.timeIntervalSince1970, error, id]
            )
        }
    }

    public func outboxMails(limit: Int) async throws -> [OutboxMail] {
        try await read { db in
            try OutboxMail.order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }
}
