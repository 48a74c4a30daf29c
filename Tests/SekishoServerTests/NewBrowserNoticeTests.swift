import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SMTPTesting
import SekishoStore
import Testing

@testable import SekishoServer

/// A notice when an unknown browser signs in (issue #16), delivered to a real SMTP server
/// (aiosmtpd), and the notice of a lockout.
@Suite struct NewBrowserNoticeTests {
    static let firefox = SessionListTests.firefox
    static let safari = SessionListTests.safari

    static func overrides(smtpPort: Int) -> [String: String] {
        TestEnvironment.smtpOverrides(smtpPort: smtpPort).merging(["server.public_url": "http://localhost"]) { $1 }
    }

    /// Signs in from the login page through the code page with the authenticator `key`, a step later
    /// than the last sign-in (each code is accepted once).
    static func signInWithCode(_ browser: inout Browser, _ environment: TestEnvironment, key: String) async throws {
        environment.clock.advance(by: 30)
        try await environment.signInToCodePage(&browser)
        let answer = try await browser.post("/login/verify", [("code", try environment.code(for: key))])
        guard answer.headers[.location] == "/" else { throw BrowserError("code refused: \(browser.errorMessage ?? "\(answer.status)")") }
    }

    static let newBrowserSubject = "New sign-in to your account"

    @Test func theNewBrowserMailArrivesOncePerBrowserAndNotForAKnownOne() async throws {
        try await SMTPTestServer.with { smtp in
            try await TestEnvironment.with(overrides: Self.overrides(smtpPort: smtp.port)) { environment in
                try await environment.createUser()
                try await environment.application().test(.live) { client in
                    func newBrowserMails() throws -> [ReceivedMail] {
                        try smtp.messages().filter { $0.subject?.contains(Self.newBrowserSubject) == true }
                    }
                    var laptop = Browser(client)
                    laptop.userAgent = Self.firefox
                    // The first sign-in ever (the enrollment) tells nobody anything new.
                    let key = try await environment.signInAndEnroll(&laptop)
                    #expect(laptop.cookies[KnownBrowsers.cookieName] != nil)
                    try await laptop.signOut()
                    try await Self.signInWithCode(&laptop, environment, key: key)
                    _ = await environment.outboxWorker().runOnce()
                    #expect(try newBrowserMails().isEmpty)

                    var phone = Browser(client)
                    phone.userAgent = Self.safari
                    try await Self.signInWithCode(&phone, environment, key: key)
                    #expect(await environment.outboxWorker().runOnce() == 1)
                    let mail = try #require(try newBrowserMails().first)
                    #expect(mail.rcptTos == ["alice@example.com"])
                    let text = try #require(mail.text)
                    #expect(text.contains("Safari on iOS"))
                    #expect(text.contains("127.0.0.0/24"))
                    #expect(!text.contains("127.0.0.1"))
                    #expect(text.contains(NoticeMails.timestamp(environment.clock.now())))
                    #expect(text.contains("http://localhost/#sessions"))

                    // The same phone again, and the laptop again: both known now.
                    try await phone.signOut()
                    try await Self.signInWithCode(&phone, environment, key: key)
                    try await laptop.signOut()
                    try await Self.signInWithCode(&laptop, environment, key: key)
                    _ = await environment.outboxWorker().runOnce()
                    #expect(try newBrowserMails().count == 1)
                }
            }
        }
    }

    /// A browser that throws its cookies away is new every time: the identifier is all Sekisho knows.
    @Test func aBrowserWithoutItsIdentifierIsNewAgain() async throws {
        try await TestEnvironment.with(overrides: ["server.public_url": "http://localhost"]) { environment in
            try await environment.createUser(twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                for _ in 0..<3 {
                    browser.cookies = [:]
                    try await browser.get("/login")
                    #expect(
                        try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")]).headers[.location] == "/"
                    )
                }
                let mails = try await environment.store.outboxMails(limit: 10).filter { $0.subject.contains(Self.newBrowserSubject) }
                #expect(mails.count == 2)
            }
        }
    }

    @Test func aLockoutSendsOneNoticePerSeriesOfFailures() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                func guess() async throws {
                    try await browser.get("/login")
                    try await browser.post("/login", [("username", "alice"), ("password", "wrong password")])
                }
                func lockoutMails() async throws -> Int {
                    try await environment.store.outboxMails(limit: 50).filter { $0.subject.contains("Sign-in paused after failed attempts") }.count
                }
                for _ in 0..<4 { try await guess() }
                #expect(try await lockoutMails() == 0)
                try await guess()
                #expect(try await lockoutMails() == 1)
                let mail = try #require(try await environment.store.outboxMails(limit: 50).first { $0.subject.contains("Sign-in paused") })
                #expect(mail.recipient == "alice@example.com")
                // Waiting out each delay and failing again makes the wait longer, but sends no more mail.
                for _ in 0..<3 {
                    environment.clock.advance(by: 3600)
                    try await guess()
                }
                #expect(try await lockoutMails() == 1)
                // Unknown user IDs have nobody to tell.
                for _ in 0..<6 {
                    try await browser.get("/login")
                    try await browser.post("/login", [("username", "nobody"), ("password", "wrong password")])
                }
                #expect(try await lockoutMails() == 1)
            }
        }
    }
}
