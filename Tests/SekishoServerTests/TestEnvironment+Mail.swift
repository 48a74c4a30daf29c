import Logging
import SekishoStore

@testable import SekishoServer

extension TestEnvironment {
    /// Mail through the SMTP server on `smtpPort` (an ``SMTPTestServer``), without TLS.
    static func smtpOverrides(smtpPort: Int) -> [String: String] {
        [
            "mail.transport": "smtp", "mail.smtp.host": "127.0.0.1", "mail.smtp.port": String(smtpPort), "mail.smtp.security": "none",
            "mail.from": "sekisho@example.com",
        ]
    }

    /// A worker of the outbox (on `store`, default the environment's), for tests that send the mail
    /// the application queued: `runOnce()` sends what is due now.
    func outboxWorker(store: (any Store)? = nil) -> OutboxWorker {
        let store = store ?? self.store
        let settings = MailSettingsService(
            store: store,
            secretBox: dependencies.secretBox,
            configuration: dependencies.configuration.mail,
            clock: clock,
            logger: Logger(label: "test")
        )
        return OutboxWorker(
            store: store,
            clock: clock,
            transport: { try await settings.transport() },
            sender: { try await settings.sender() },
            pollInterval: .milliseconds(10),
            metrics: SekishoMetrics(),
            logger: Logger(label: "test"),
            seal: dependencies.outboxSeal
        )
    }
}
