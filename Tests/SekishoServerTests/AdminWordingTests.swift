import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SNTPClient
import SekishoStore
import Testing

@testable import SekishoServer

/// What administrators and users read: words instead of identifiers, the right field named, honest mail notices
/// (issue 18, items 13 and 14).
@Suite struct AdminWordingTests {
    private func signInAdmin(_ environment: TestEnvironment, _ browser: inout Browser) async throws {
        try await browser.get("/login")
        let response = try await browser.post("/login", [("username", "root"), ("password", "correct horse battery")])
        guard response.headers[.location] == "/" else { throw BrowserError("sign-in of root failed") }
    }

    @Test(arguments: [
        (ClockCheckResult.Verdict.noAnswer, "en", "No answer from any NTP server"),
        (.noAnswer, "ja", "NTPサーバーから応答がありません"),
        (.beyondLimit, "en", "Beyond the limit: authenticator codes will fail"),
        (.withinLimit, "ja", "許容範囲内"),
    ])
    func systemPageShowsTheClockVerdictInWords(verdict: ClockCheckResult.Verdict, language: String, words: String) async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let offset: Double? =
                switch verdict {
                case .withinLimit: 0.5
                case .beyondLimit: 45
                case .noAnswer: nil
                }
            let best = offset.map { SNTPMeasurement(server: "ntp", offset: $0, delay: 0.01, stratum: 2, referenceID: "x", serverTime: 0) }
            let failures = best == nil ? [ClockCheckResult.Failure(server: "ntp", reason: "no reply from the NTP server before the timeout")] : []
            environment.dependencies.clockStatus.record(
                ClockCheckResult(checkedAt: TestEnvironment.start, best: best, failures: failures, maxOffset: 3)
            )
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signInAdmin(environment, &browser)
                let page = try await browser.get("/admin/system?lang=\(language)")
                #expect(page.status == .ok)
                #expect(browser.lastPage.contains(words), "\(browser.lastPage)")
                for raw in ["withinLimit", "beyondLimit", "noAnswer"] {
                    #expect(!browser.lastPage.contains(">\(raw)<"), "\(raw) shown raw")
                }
            }
        }
    }

    @Test func halfSignedInAdministratorIsSentToTheCodePage() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", role: .admin)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.enrollThenReturnToCodePage(&browser, user: "root")
                for path in ["/admin/users", "/admin/system", "/admin/audit"] {
                    let response = try await browser.get(path)
                    #expect(response.status == .seeOther, "\(path)")
                    #expect(response.headers[.location] == "/login/verify", "\(path)")
                    #expect(!browser.lastPage.contains("for administrators"), "\(path)")
                }
            }
        }
    }

    @Test func aLineBreakInTheSenderNameNamesTheSenderName() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signInAdmin(environment, &browser)
                try await browser.get("/admin/mail")
                try await browser.post(
                    "/admin/mail",
                    [
                        ("host", "mail.example.com"), ("port", "587"), ("security", "starttls"), ("sender_address", "sekisho@example.com"),
                        ("sender_name", "Sekisho\r\nBcc: victim@example.com"),
                    ]
                )
                #expect(browser.errorMessage?.contains("sender name") == true, "\(browser.errorMessage ?? browser.lastPage)")
                #expect(browser.errorMessage?.contains("sender address") == false, "\(browser.errorMessage ?? "")")
                #expect(try await environment.store.setting("mail.smtp") == nil)
            }
        }
    }

    @Test func usersAddedAtTheConsoleSayConsoleInTheAuditLog() async throws {
        try await TestEnvironment.with { environment in
            let console = try await Console(environment.dependencies, logger: Logger(label: "test"))
            _ = try await console.add(
                username: "carol",
                displayName: "Carol",
                email: "carol@example.com",
                admin: false,
                password: "correct horse battery",
                twoFactor: false
            )
            let events = try await environment.store.auditEvents(userID: nil, kind: "user_created", limit: 10, offset: 0)
            #expect(events.count == 1)
            #expect(events.first?.clientAddress == "console")
        }
    }

    /// The first reset request, before the outbox has tried anything, says the mail is queued, not sent.
    @Test(arguments: ["en", "ja"])
    func theFirstResetRequestSaysTheMailIsQueued(language: String) async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await environment.enrollThenReturnToCodePage(&browser)
                try await browser.post("/login/reset?lang=\(language)", [])
                if language == "en" {
                    #expect(browser.lastPage.contains("is queued"), "\(browser.lastPage)")
                    #expect(!browser.lastPage.contains("was sent"))
                } else {
                    #expect(browser.lastPage.contains("送信待ち"), "\(browser.lastPage)")
                    #expect(!browser.lastPage.contains("送信しました"))
                }
            }
        }
    }

    /// SMTP down for everyone: another mail already failing makes even the first request of this user say so.
    @Test func aResetRequestWhileDeliveryFailsForOthersSaysItMayArriveLate() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            let waiting = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "bob@example.com", subject: "x", textBody: "x"),
                at: environment.clock.now()
            )
            try await environment.store.markMailRetry(
                id: waiting,
                error: "connection refused",
                nextTryAt: environment.clock.now().addingTimeInterval(60)
            )
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await environment.enrollThenReturnToCodePage(&browser)
                try await browser.post("/login/reset", [])
                #expect(browser.lastPage.contains("may arrive late"), "\(browser.lastPage)")
            }
        }
    }
}
