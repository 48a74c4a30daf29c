import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoServer
import SekishoStore
import Testing

@Suite struct ResetFlowTests {
    private func resetMails(_ environment: TestEnvironment) async throws -> [(mail: OutboxMail, text: String)] {
        // The link is sealed in the outbox; the worker would open it the same way.
        try await environment.store.outboxMails(limit: 50).filter { $0.subject == "Two-Factor Authentication Reset" }.map {
            ($0, try environment.dependencies.outboxSeal.bodies(of: $0).text)
        }
    }

    private func link(in mail: (mail: OutboxMail, text: String)) throws -> String {
        try #require(Browser.firstMatch(#"(https?://\S+/reset/[A-Za-z0-9_-]{43})"#, in: mail.text))
    }

    /// S8 + S9 end to end: the mail, nothing changes until the link is used, then a new enrollment.
    @Test func resetLinkRemovesTheBindingOnlyWhenItsPageIsConfirmed() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let oldKey = try await environment.signInAndEnroll(&browser)
                try await browser.get("/")
                try await browser.signOut()

                try await environment.signInToCodePage(&browser)
                #expect(browser.lastPage.contains(#"id="reset-2fa""#))
                try await browser.post("/login/reset", [])
                #expect(browser.lastPage.contains("class=\"success\""))
                let mails = try await resetMails(environment)
                #expect(mails.count == 1)
                #expect(mails.first?.mail.recipient == "alice@example.com")
                let url = try link(in: try #require(mails.first))
                #expect(url.hasPrefix("http://localhost/reset/"))
                let path = String(url.dropFirst("http://localhost".count))

                // Until the link is used nothing changes: the code still signs in (S8).
                #expect(
                    try await browser.post("/login/verify", [("code", try environment.code(for: oldKey, stepOffset: 1))]).headers[.location] == "/"
                )
                try await browser.get("/")

                // A mail scanner fetching the link changes nothing.
                var scanner = Browser(client)
                #expect(try await scanner.get(path).status == .ok)
                #expect(scanner.lastPage.contains(#"id="confirm-reset""#))
                #expect(try await environment.store.binding(userID: user.id) != nil)

                // The confirmation resets: binding, codes and sessions go; a notice mail is queued.
                var clicker = Browser(client)
                try await clicker.get(path)
                #expect(try await clicker.post(path, []).headers[.location] == "/login?reset=1")
                #expect(try await environment.store.binding(userID: user.id) == nil)
                #expect(try await environment.store.unusedRecoveryCodeCount(userID: user.id) == 0)
                #expect(try await browser.get("/").headers[.location] == "/login")
                #expect(try await environment.store.outboxMails(limit: 50).contains { $0.subject.contains("Two-factor authentication was reset") })
                try await clicker.get("/login?reset=1")
                #expect(clicker.lastPage.contains("class=\"success\""))

                // The link works once.
                var again = Browser(client)
                #expect(try await again.get(path).status == .notFound)
                try await clicker.get("/login")
                #expect(try await clicker.post(path, []).status == .notFound)

                // The next sign-in enrolls a new authenticator with a new key (S9, S13).
                environment.clock.advance(by: 60)
                var next = Browser(client)
                let newKey = try await environment.signInAndEnroll(&next)
                #expect(newKey != oldKey)
            }
        }
    }

    @Test func expiredAndReplacedLinksAreRefused() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await environment.enrollThenReturnToCodePage(&browser)
                try await browser.post("/login/reset", [])
                let first = try link(in: try #require(try await resetMails(environment).first))
                try await browser.post("/login/reset", [])
                let second = try link(in: try #require(try await resetMails(environment).first { try link(in: $0) != first }))
                var clicker = Browser(client)
                // A newer request voids the older link.
                #expect(try await clicker.get(String(first.dropFirst("http://localhost".count))).status == .notFound)
                // Links last 15 minutes.
                environment.clock.advance(by: 15 * 60 + 1)
                let path = String(second.dropFirst("http://localhost".count))
                #expect(try await clicker.get(path).status == .notFound)
                try await clicker.get("/login")
                #expect(try await clicker.post(path, []).status == .notFound)
                #expect(try await environment.store.binding(userID: user.id) != nil)
            }
        }
    }

    @Test func atMostThreeResetMailsPerHour() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await environment.enrollThenReturnToCodePage(&browser)
                for _ in 0..<4 { try await browser.post("/login/reset", []) }
                #expect(try await resetMails(environment).count == 3)
                #expect(browser.errorMessage != nil)
                environment.clock.advance(by: 3601)
                try await environment.signInToCodePage(&browser)
                try await browser.post("/login/reset", [])
                #expect(try await resetMails(environment).count == 4)
            }
        }
    }

    /// S14: without a public URL, a Host that is not allowed gets no mail.
    @Test func requestFromAHostThatIsNotAllowedQueuesNoMail() async throws {
        try await TestEnvironment.with(overrides: ["server.allowed_hosts": "login.example.com"]) { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await environment.enrollThenReturnToCodePage(&browser)
                try await browser.post("/login/reset", [])
                #expect(browser.errorMessage != nil)
                #expect(try await resetMails(environment).isEmpty)
            }
        }
    }

    @Test func publicURLIsTheLinkBase() async throws {
        try await TestEnvironment.with(overrides: [
            "server.public_url": "https://login.example.com/", "server.allowed_hosts": "nothing.example",
        ]) { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                browser.origin = "https://login.example.com"
                try await environment.enrollThenReturnToCodePage(&browser)
                try await browser.post("/login/reset", [])
                #expect(try link(in: try #require(try await resetMails(environment).first)).hasPrefix("https://login.example.com/reset/"))
            }
        }
    }

    /// A reset may only be asked for after the password was accepted.
    @Test func resetCannotBeRequestedWithoutThePassword() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var enroller = Browser(client)
                _ = try await environment.signInAndEnroll(&enroller)
                var stranger = Browser(client)
                try await stranger.get("/login")
                #expect(try await stranger.post("/login/reset", []).headers[.location] == "/login?expired=1")
                // Nor from a fully signed-in session.
                try await enroller.get("/")
                #expect(try await enroller.post("/login/reset", []).headers[.location] == "/")
                #expect(try await resetMails(environment).isEmpty)
            }
        }
    }
}

@Suite struct ResetDelayNoticeTests {
    /// The user is told honestly when mail is not getting through.
    @Test func resetPageSaysWhenDeliveryIsFailing() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await environment.enrollThenReturnToCodePage(&browser)
                let first = try await browser.post("/login/reset", [])
                #expect(
                    browser.lastPage.contains("class=\"success\""),
                    "\(first.status): \(Browser.firstMatch(#"role="[a-z]+">([^<]*)"#, in: browser.lastPage) ?? browser.lastPage)"
                )
                // The first mail could not be delivered: the next request says delivery is failing.
                let mail = try #require(try await environment.store.outboxMails(limit: 10).first { $0.subject == "Two-Factor Authentication Reset" })
                try await environment.store.markMailRetry(
                    id: mail.id,
                    error: "connection refused",
                    nextTryAt: environment.clock.now().addingTimeInterval(60)
                )
                try await browser.post("/login/reset", [])
                #expect(browser.lastPage.contains("may arrive late"))
            }
        }
    }
}
