import Foundation

extension SQLStore: OutboxStore {
    public func enqueueMail(_ mail: NewOutboxMail, at now: Date) async throws -> Int64 {
        try await write { db in try Self.insertMail(mail, in: db, at: now) }
    }

    @discardableResult
    static func insertMail(_ mail: NewOutboxMail, in db: any SQLConnection, at now: Date) throws -> Int64 {
        let row = try db.row(
            """
            INSERT INTO mail_outbox (recipient, subject, text_body, html_body, created_at, next_try_at)
            VALUES (\(mail.recipient), \(mail.subject), \(mail.textBody), \(mail.htmlBody), \(now), \(now)) RETURNING id
            """
        )
        guard let row else { throw StoreError.unreadable("no id returned for a new mail") }
        let id = try row.int64("id")
        // The sealed bodies are bound to the row's id, which only exists now.
        if let secret = mail.secret {
            try db.execute("UPDATE mail_outbox SET sealed_body = \(try secret.seal(id, mail.recipient)) WHERE id = \(id)")
        }
        return id
    }

    public func claimDueMails(at now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail] {
        let claimedUntil = now.addingTimeInterval(lease)
        return try await write { db in
            // SQLite has one writer at a time, across processes. In PostgreSQL, rows another worker
            // is claiming right now are skipped, not waited for, and a row it has claimed and
            // committed fails the re-checked `claimed_until` condition. So each mail goes to one
            // worker of any instance; the lease hands a mail back if its worker dies mid-send.
            let due = try db.rows(
                """
                SELECT id FROM mail_outbox
                WHERE sent_at IS NULL AND failed_at IS NULL AND next_try_at <= \(now)
                  AND (claimed_until IS NULL OR claimed_until <= \(now))
                ORDER BY next_try_at, id LIMIT \(limit) \(raw: db.dialect.lockSkippingLocked)
                """
            ).map { try $0.int64("id") }
            guard !due.isEmpty else { return [] }
            let ids = SQL.joined(due.map { "\($0)" }, separator: ", ")
            return try db.rows(
                """
                UPDATE mail_outbox SET claimed_until = \(claimedUntil), attempts = attempts + 1
                WHERE id IN (\(ids)) RETURNING *
                """
            ).map(OutboxMail.init(row:)).sorted { ($0.nextTryAt, $0.id) < ($1.nextTryAt, $1.id) }
        }
    }

    /// The sealed bodies go with the sending: a sent mail keeps no usable secret.
    public func markMailSent(id: Int64, at now: Date) async throws {
        try await updateMail(id, "sent_at = \(now), claimed_until = NULL, last_error = NULL, sealed_body = NULL")
    }

    public func markMailRetry(id: Int64, error: String, nextTryAt: Date) async throws {
        try await updateMail(id, "next_try_at = \(nextTryAt), last_error = \(error), claimed_until = NULL")
    }

    public func markMailFailed(id: Int64, error: String, at now: Date) async throws {
        try await updateMail(id, "failed_at = \(now), last_error = \(error), claimed_until = NULL, sealed_body = NULL")
    }

    private func updateMail(_ id: Int64, _ assignments: SQL) async throws {
        try await write { db in try db.execute("UPDATE mail_outbox SET \(assignments) WHERE id = \(id)") }
    }

    public func outboxMails(limit: Int) async throws -> [OutboxMail] {
        try await read("SELECT * FROM mail_outbox ORDER BY id DESC LIMIT \(limit)", OutboxMail.init(row:))
    }
}
