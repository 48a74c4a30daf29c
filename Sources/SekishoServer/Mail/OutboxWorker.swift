import Foundation
import Logging
import Prometheus
import SMTPClient
import SekishoStore
import ServiceLifecycle

/// Sends what the durable outbox holds. A mail is written to the outbox in the same transaction
/// as the change it reports; this worker delivers it, retries transient failures with growing
/// waits for up to a day, and records permanent ones. Restarts lose nothing: a mail is only
/// marked sent after the server accepted it, and a claim expires if its worker dies.
struct OutboxWorker: Service {
    static let lease: TimeInterval = 300
    static let firstRetry: TimeInterval = 60
    static let longestRetry: TimeInterval = 3600
    static let giveUpAfter: TimeInterval = 86_400

    let store: any Store
    let clock: any WallClock
    /// Asked for every batch, so that mail settings changed by an administrator apply at once.
    let transport: @Sendable () async throws -> any MailTransport
    let sender: @Sendable () async throws -> MailAddress
    let pollInterval: Duration
    let metrics: SekishoMetrics
    let logger: Logger
    /// Opens the sealed bodies of mails that carry a secret.
    let seal: OutboxSeal

    func run() async throws {
        // On graceful shutdown the loop is cancelled between (or during the wait for) batches; a
        // mail being sent at that moment keeps its claim and is retried after the lease.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await runOnce() == 0 {
                    try await Task.sleep(for: pollInterval)
                }
            }
        }
    }

    /// Handles the mails due now; returns how many it tried.
    @discardableResult
    func runOnce(limit: Int = 20) async -> Int {
        let mails: [OutboxMail]
        do {
            mails = try await store.claimDueMails(at: clock.now(), lease: Self.lease, limit: limit)
        } catch {
            logger.error("mail outbox unavailable: \(error)")
            return 0
        }
        guard !mails.isEmpty else { return 0 }
        let transport: any MailTransport
        let from: MailAddress
        do {
            transport = try await self.transport()
            from = try await sender()
        } catch {
            for mail in mails { await retry(mail, error: "mail is not configured: \(error)") }
            return mails.count
        }
        for mail in mails {
            await deliver(mail, through: transport, from: from)
        }
        return mails.count
    }

    private func deliver(_ mail: OutboxMail, through transport: any MailTransport, from: MailAddress) async {
        let message: MailMessage
        let bodies: (text: String, html: String?)
        do {
            bodies = try seal.bodies(of: mail)
        } catch {
            // Sealed under another key, or altered: no retry can open it.
            await fail(mail, error: "the sealed mail body does not open (was the key file replaced?): \(error)")
            return
        }
        do {
            message = MailMessage(
                from: from,
                to: [try MailAddress(address: mail.recipient)],
                subject: mail.subject,
                textBody: bodies.text,
                htmlBody: bodies.html,
                date: clock.now(),
                messageID: "sekisho-\(mail.id)-\(Int(mail.createdAt.timeIntervalSince1970))@\(Self.domain(of: from.address))",
                extraHeaders: [MailHeader(name: "Auto-Submitted", value: "auto-generated")]
            )
        } catch {
            await fail(mail, error: "the mail is malformed: \(error)")
            return
        }
        do {
            let reply = try await transport.deliver(message)
            try await store.markMailSent(id: mail.id, at: clock.now())
            metrics.mailsSent.increment()
            logger.info("mail sent", metadata: ["id": "\(mail.id)", "to": "\(mail.recipient)", "via": "\(transport.summary)", "reply": "\(reply)"])
        } catch let failure as MailDeliveryFailure where failure.isTransient {
            await retry(mail, error: failure.description)
        } catch let failure as MailDeliveryFailure {
            await fail(mail, error: failure.description)
        } catch {
            // The mail went out but marking it failed (database): it stays claimed and, after the
            // lease, may be sent again. Rare duplicates beat lost mail.
            logger.error("mail \(mail.id) was sent but could not be marked: \(error)")
        }
    }

    private func retry(_ mail: OutboxMail, error: String) async {
        let now = clock.now()
        guard now.timeIntervalSince(mail.createdAt) < Self.giveUpAfter else {
            await fail(mail, error: "gave up after a day of retries; last error: \(error)")
            return
        }
        let wait = min(Self.firstRetry * pow(2, Double(max(mail.attempts - 1, 0))), Self.longestRetry)
        logger.warning(
            "mail delayed, will retry",
            metadata: ["id": "\(mail.id)", "to": "\(mail.recipient)", "in": "\(Int(wait)) s", "error": "\(error)"]
        )
        do {
            try await store.markMailRetry(id: mail.id, error: error, nextTryAt: now.addingTimeInterval(wait))
        } catch {
            logger.error("mail \(mail.id) could not be rescheduled: \(error)")
        }
    }

    private func fail(_ mail: OutboxMail, error: String) async {
        logger.error("mail failed permanently", metadata: ["id": "\(mail.id)", "to": "\(mail.recipient)", "error": "\(error)"])
        do {
            try await store.markMailFailed(id: mail.id, error: error, at: clock.now())
            metrics.mailsFailed.increment()
        } catch {
            logger.error("mail \(mail.id) could not be marked failed: \(error)")
        }
    }

    static func domain(of address: String) -> String {
        address.split(separator: "@").last.map(String.init) ?? "localhost"
    }
}
