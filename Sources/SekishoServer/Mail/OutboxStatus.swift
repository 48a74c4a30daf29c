import Foundation
import SekishoStore

/// How the mail queue stands, for the pages that are honest about delivery, the system page and
/// the metrics: read from the outbox, so every instance sees the same queue.
struct OutboxStatus: Sendable {
    let store: any Store

    /// The queue's latest mails, split the way operators look at them.
    struct Summary {
        /// Not sent yet and not given up on.
        var waiting: [OutboxMail]
        /// Given up on after the last retry.
        var failed: [OutboxMail]
        /// Nothing waits on an error and nothing failed.
        var isHealthy: Bool { waiting.allSatisfy { $0.lastError == nil } && failed.isEmpty }
        /// Waiting on an error or failed, the latest first.
        var problems: [OutboxMail] { waiting.filter { $0.lastError != nil } + failed }
    }

    func summary(limit: Int = 500) async throws -> Summary {
        let mails = try await store.outboxMails(limit: limit)
        return Summary(waiting: mails.filter { $0.sentAt == nil && $0.failedAt == nil }, failed: mails.filter { $0.failedAt != nil })
    }

    /// How many mails wait to be sent (for the `mails_waiting` gauge, read when scraped).
    func waitingCount() async throws -> Int {
        try await summary(limit: 10_000).waiting.count
    }

    /// True when queued mail is waiting on errors: a send failed and is to be retried, or a mail
    /// to `recipient` failed for good. A page that queued a mail then says delivery may be late.
    func deliveryIsFailing(for recipient: String) async throws -> Bool {
        try await store.outboxMails(limit: 50).contains {
            $0.sentAt == nil && ($0.lastError != nil || ($0.failedAt != nil && $0.recipient == recipient))
        }
    }
}
