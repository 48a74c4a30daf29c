import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SMTPTesting
import SekishoStore
import TestSupport
import Testing

@testable import SekishoServer

/// The outbox and the reset flow against a real SMTP server (aiosmtpd).
@Suite struct MailDeliveryTests {
    /// S8/S9 through real mail: the subject, the link from the received text, used once.
    @Test func resetMailArrivesWithTheExactSubjectAndItsLinkWorksOnce() async throws {
        try await SMTPTestServer.with { smtp in
            try await TestEnvironment.with(overrides: TestEnvironment.smtpOverrides(smtpPort: smtp.port)) { environment in
                let user = try await environment.createUser()
                try await environment.application().test(.router) { client in
                    var browser = Browser(client)
                    try await environment.enrollThenReturnToCodePage(&browser)
                    // The notice that an authenticator was added goes first.
                    #expect(await environment.outboxWorker().runOnce() == 1)
                    try await browser.post("/login/reset", [])
                    #expect(await environment.outboxWorker().runOnce() == 1)

                    let received = try smtp.messages()
                    #expect(received.count == 2)
                    let mail = try #require(received.last)
                    #expect(mail.subject == "Two-Factor Authentication Reset")
                    #expect(mail.rcptTos == ["alice@example.com"])
                    let text = try #require(mail.text)
                    let url = try #require(Browser.firstMatch(#"(http://localhost/reset/[A-Za-z0-9_-]{43})"#, in: text))
                    let path = String(url.dropFirst("http://localhost".count))

                    var clicker = Browser(client)
                    try await clicker.get(path)
                    #expect(try await clicker.post(path, []).headers[.location] == "/login?reset=1")
                    #expect(try await environment.store.binding(userID: user.id) == nil)
                    try await clicker.get("/login")
                    #expect(try await clicker.post(path, []).status == .notFound)

                    // The notice of the reset goes out too.
                    let handled = await environment.outboxWorker().runOnce()
                    let outbox = try await environment.store.outboxMails(limit: 10)
                    #expect(handled == 1, "\(handled): \(outbox)")
                    #expect(try smtp.messages().last?.subject?.contains("Two-factor authentication was reset") == true)
                }
            }
        }
    }

    /// The reset link is a secret: the outbox table never holds it usable, neither queued nor
    /// after delivery (sent mails stay 30 days), yet the mail arrives with a link that works.
    @Test func resetLinkIsNeverStoredUsableInTheOutbox() async throws {
        try await SMTPTestServer.with { smtp in
            try await TestEnvironment.with(overrides: TestEnvironment.smtpOverrides(smtpPort: smtp.port)) { environment in
                let store = try #require(environment.store as? SQLiteStore)
                // Every column that could hold text, as the database file has it.
                let rawOutbox: @Sendable () async throws -> String = {
                    try await store.rawValue(
                        sql: """
                            SELECT group_concat(recipient || subject || text_body || coalesce(html_body, '') || coalesce(last_error, '')
                                || coalesce(CAST(sealed_body AS TEXT), ''), '|') FROM mail_outbox
                            """
                    ) ?? ""
                }
                try await environment.createUser()
                try await environment.application().test(.router) { client in
                    var browser = Browser(client)
                    try await environment.enrollThenReturnToCodePage(&browser)
                    #expect(await environment.outboxWorker().runOnce() == 1)  // the authenticator-added notice
                    try await browser.post("/login/reset", [])
                    let queued = try await rawOutbox()
                    #expect(queued.contains("http://localhost/reset/…"))
                    #expect(Browser.firstMatch(#"/reset/([A-Za-z0-9_-]{20,})"#, in: queued) == nil, "\(queued)")
                    #expect(try await store.rawValue(sql: "SELECT count(*) FROM mail_outbox WHERE sealed_body IS NOT NULL") == "1")

                    #expect(await environment.outboxWorker().runOnce() == 1)
                    let text = try #require(try smtp.messages().last?.text)
                    let token = try #require(Browser.firstMatch(#"http://localhost/reset/([A-Za-z0-9_-]{43})"#, in: text))
                    let sent = try await rawOutbox()
                    #expect(!sent.contains(token), "\(sent)")
                    #expect(sent.contains("http://localhost/reset/…"))
                    #expect(try await store.rawValue(sql: "SELECT count(*) FROM mail_outbox WHERE sealed_body IS NOT NULL") == "0")

                    var clicker = Browser(client)
                    #expect(try await clicker.get("/reset/\(token)").status == .ok)
                    #expect(try await clicker.post("/reset/\(token)", []).headers[.location] == "/login?reset=1")
                }
            }
        }
    }

    /// Nothing acknowledged is lost: with no server at all the mail waits, survives a restart,
    /// and arrives exactly once when the server is there.
    @Test func mailWaitsForAServerThatIsDownAndArrivesOnceItStarts() async throws {
        // Held while the server is down: connections are refused and no other test takes the port;
        // aiosmtpd binds with SO_REUSEADDR, so it can start on it.
        let reservation = try FreePort.reserve()
        let port = reservation.port
        try await TestEnvironment.with(overrides: TestEnvironment.smtpOverrides(smtpPort: port)) { environment in
            _ = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "Queued", textBody: "Body"),
                at: environment.clock.now()
            )

            #expect(await environment.outboxWorker().runOnce() == 1)
            let waiting = try #require(try await environment.store.outboxMails(limit: 1).first)
            #expect(waiting.sentAt == nil && waiting.failedAt == nil && waiting.lastError != nil)

            // Restart: a new store on the same file and a new worker; then the server comes up.
            let reopened = try SQLiteStore(path: environment.dependencies.configuration.databasePath)
            try await SMTPTestServer.with(["--port", String(port)]) { smtp throws in
                reservation.release()
                environment.clock.advance(by: 61)
                #expect(await environment.outboxWorker(store: reopened).runOnce() == 1)
                environment.clock.advance(by: 3600)
                #expect(await environment.outboxWorker(store: reopened).runOnce() == 0)
                #expect(try smtp.messages().map(\.subject) == ["Queued"])
            }
        }
    }

    @Test func serverThatSays451FirstGetsTheMailOnce() async throws {
        try await SMTPTestServer.with(["--fail-first", "1", "--fail-code", "451"]) { smtp in
            try await TestEnvironment.with(overrides: TestEnvironment.smtpOverrides(smtpPort: smtp.port)) { environment in
                _ = try await environment.store.enqueueMail(
                    NewOutboxMail(recipient: "a@example.com", subject: "Retry me", textBody: "Body"),
                    at: environment.clock.now()
                )
                #expect(await environment.outboxWorker().runOnce() == 1)
                #expect(try smtp.messages().isEmpty)
                #expect(try await environment.store.outboxMails(limit: 1).first?.lastError?.contains("451") == true)
                environment.clock.advance(by: 60)
                #expect(await environment.outboxWorker().runOnce() == 1)
                #expect(try smtp.messages().map(\.subject) == ["Retry me"])
            }
        }
    }

    @Test func serverThatSays550RecordsAPermanentFailure() async throws {
        try await SMTPTestServer.with(["--reject", "550"]) { smtp in
            try await TestEnvironment.with(overrides: TestEnvironment.smtpOverrides(smtpPort: smtp.port)) { environment in
                _ = try await environment.store.enqueueMail(
                    NewOutboxMail(recipient: "a@example.com", subject: "Nope", textBody: "Body"),
                    at: environment.clock.now()
                )
                #expect(await environment.outboxWorker().runOnce() == 1)
                let mail = try #require(try await environment.store.outboxMails(limit: 1).first)
                #expect(mail.failedAt != nil && mail.lastError?.contains("550") == true)
                environment.clock.advance(by: 3600)
                #expect(await environment.outboxWorker().runOnce() == 0)
            }
        }
    }

    @Test func headerWithALineBreakIsNeverSent() async throws {
        try await SMTPTestServer.with { smtp in
            try await TestEnvironment.with(overrides: TestEnvironment.smtpOverrides(smtpPort: smtp.port)) { environment in
                _ = try await environment.store.enqueueMail(
                    NewOutboxMail(recipient: "a@example.com", subject: "Hi\r\nBcc: victim@example.com", textBody: "Body"),
                    at: environment.clock.now()
                )
                _ = try await environment.store.enqueueMail(
                    NewOutboxMail(recipient: "a@example.com\r\nRCPT TO:<victim@example.com>", subject: "Hi", textBody: "Body"),
                    at: environment.clock.now()
                )
                #expect(await environment.outboxWorker().runOnce() == 2)
                #expect(try smtp.messages().isEmpty)
                #expect(try await environment.store.outboxMails(limit: 5).allSatisfy { $0.failedAt != nil })
            }
        }
    }

    @Test func administratorsSMTPSettingsWinAndThePasswordIsStoredSealed() async throws {
        try await SMTPTestServer.with(["--auth-user", "mailer", "--auth-pass", "s3cret pass"]) { smtp in
            try await TestEnvironment.with(overrides: ["mail.transport": "smtp", "mail.from": "sekisho@example.com"]) { environment in
                let settings = MailSettingsService(
                    store: environment.store,
                    secretBox: environment.dependencies.secretBox,
                    configuration: environment.dependencies.configuration.mail,
                    clock: environment.clock,
                    logger: Logger(label: "test")
                )
                #expect(try await settings.isConfigured() == false)
                try await settings.save(
                    SMTPSettings(host: "127.0.0.1", port: smtp.port, security: .none, username: "mailer", allowPlaintextAuth: true),
                    password: "s3cret pass",
                    effects: .none
                )
                #expect(try await settings.isConfigured())
                let stored = try #require(try await environment.store.setting(MailSettingsService.settingKey))
                #expect(!stored.contains("s3cret"))
                _ = try await environment.store.enqueueMail(
                    NewOutboxMail(recipient: "a@example.com", subject: "Authenticated", textBody: "Body"),
                    at: environment.clock.now()
                )
                #expect(await environment.outboxWorker().runOnce() == 1)
                #expect(try smtp.messages().map(\.subject) == ["Authenticated"])
                #expect(try smtp.authAttempts().map(\.success) == [true])
            }
        }
    }
}
