import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoStore
import Testing

@testable import SekishoServer

/// "Remember this browser" (issue #16): off by default; when on, a remembered browser skips the
/// code, never the password, until it expires or is forgotten, and only for its own account.
@Suite struct RememberedBrowserTests {
    static let on = ["session.remember_browser": "true", "session.remember_browser_days": "30"]
    static let password = "correct horse battery"

    /// Enrolls `user`, signs out, and signs in again with a code, ticking "remember this browser".
    @discardableResult
    static func enrollAndRemember(_ browser: inout Browser, _ environment: TestEnvironment, user: String = "alice") async throws -> String {
        let key = try await environment.enrollThenReturnToCodePage(&browser, user: user)
        guard browser.lastPage.contains(#"<input type="checkbox" name="remember" value="1" id="remember">"#) else {
            throw BrowserError("the code page offers no 'remember this browser'")
        }
        environment.clock.advance(by: 30)
        let answer = try await browser.post("/login/verify", [("code", try environment.code(for: key)), ("remember", "1")])
        guard answer.headers[.location] == "/" else { throw BrowserError("code refused: \(browser.errorMessage ?? "\(answer.status)")") }
        try await browser.signOut()
        return key
    }

    /// Where the password step leads: "/" (signed in) or "/login/verify" (code asked).
    static func afterPassword(_ browser: inout Browser, user: String = "alice", password: String = Self.password) async throws -> String? {
        try await browser.get("/login")
        return try await browser.post("/login", [("username", user), ("password", password)]).headers[.location]
    }

    @Test func aRememberedBrowserSkipsOnlyTheSecondFactor() async throws {
        try await TestEnvironment.with(overrides: Self.on) { environment in
            let alice = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await Self.enrollAndRemember(&browser, environment)
                #expect(browser.cookies[RememberedBrowsers.cookieName] != nil)

                // A wrong password is refused as ever: the remembered browser skips no password.
                #expect(try await Self.afterPassword(&browser, password: "wrong password") == nil)
                #expect(browser.errorMessage != nil)
                #expect(try await browser.get("/").headers[.location] == "/login")

                #expect(try await Self.afterPassword(&browser) == "/")
                #expect(try await browser.get("/").status == .ok)
                let signIns = try await environment.store.auditEvents(userID: alice.id, kind: "sign_in", limit: 10, offset: 0)
                #expect(signIns.first?.detail == "remembered_browser")
                // The dashboard lists it.
                #expect(browser.lastPage.contains(#"id="remembered-list""#))
                #expect(Browser.allMatches(#"name="browser" value="([0-9a-f]{16})""#, in: browser.lastPage).count == 1)

                // Another browser still needs the code.
                var other = Browser(client)
                #expect(try await Self.afterPassword(&other) == "/login/verify")
            }
        }
    }

    @Test func aRememberedBrowserExpires() async throws {
        try await TestEnvironment.with(overrides: Self.on) { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await Self.enrollAndRemember(&browser, environment)
                environment.clock.advance(by: 30 * 86_400 - 60)
                #expect(try await Self.afterPassword(&browser) == "/")
                try await browser.signOut()
                environment.clock.advance(by: 61)
                #expect(try await Self.afterPassword(&browser) == "/login/verify")
            }
        }
    }

    /// Remembers a browser, signs in with it (no code), does `change` on the dashboard, signs out;
    /// returns where the next password step leads (with `password`).
    static func afterChangeOnTheDashboard(
        password: String = Self.password,
        _ change: @escaping @Sendable (inout Browser) async throws -> Void
    ) async throws -> String? {
        try await TestEnvironment.with(overrides: Self.on) { environment in
            try await environment.createUser()
            return try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await Self.enrollAndRemember(&browser, environment)
                #expect(try await Self.afterPassword(&browser) == "/")
                try await browser.get("/")
                try await change(&browser)
                try await browser.signOut()
                return try await Self.afterPassword(&browser, password: password)
            }
        }
    }

    @Test func aPasswordChangeForgetsRememberedBrowsers() async throws {
        let new = "a different long passphrase"
        let next = try await Self.afterChangeOnTheDashboard(password: new) { browser in
            try await browser.post("/account/password", [("current_password", Self.password), ("new_password", new), ("new_password_confirm", new)])
            #expect(browser.lastPage.contains("Your password was changed"))
        }
        #expect(next == "/login/verify")
    }

    @Test func anotherUsersRememberedBrowserCookieDoesNothing() async throws {
        try await TestEnvironment.with(overrides: Self.on) { environment in
            let alice = try await environment.createUser()
            try await environment.createUser("bob")
            try await environment.application().test(.router) { client in
                var aliceBrowser = Browser(client)
                try await Self.enrollAndRemember(&aliceBrowser, environment)
                var bobBrowser = Browser(client)
                try await Self.enrollAndRemember(&bobBrowser, environment, user: "bob")

                // Bob's browser carrying alice's remembered-browser cookie: bob still types a code.
                var mixed = Browser(client)
                mixed.cookies[RememberedBrowsers.cookieName] = aliceBrowser.cookies[RememberedBrowsers.cookieName]
                #expect(try await Self.afterPassword(&mixed, user: "bob") == "/login/verify")
                // And alice's browser remains remembered for alice only, unused.
                let remembered = try await environment.store.rememberedBrowsers(userID: alice.id, at: environment.clock.now())
                #expect(remembered.count == 1 && remembered.first?.lastUsedAt == nil)
                #expect(try await Self.afterPassword(&aliceBrowser) == "/")
            }
        }
    }

    @Test func aBrowserForgottenOnTheDashboardAsksForTheCodeAgain() async throws {
        let next = try await Self.afterChangeOnTheDashboard { browser in
            let handle = try #require(Browser.firstMatch(#"name="browser" value="([0-9a-f]{16})""#, in: browser.lastPage))
            try await browser.post("/account/browsers/forget", [("browser", handle)])
            #expect(browser.lastPage.contains("The browser was forgotten."))
        }
        #expect(next == "/login/verify")
    }

    /// What the two tests above change, left out: the browser stays remembered (so they would fail
    /// without the rule they test).
    @Test func withoutAChangeTheBrowserStaysRemembered() async throws {
        #expect(try await Self.afterChangeOnTheDashboard { _ in } == "/")
    }

    @Test func anAdministratorForgetsAllRememberedBrowsersOfAUser() async throws {
        try await TestEnvironment.with(overrides: Self.on) { environment in
            let alice = try await environment.createUser()
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await Self.enrollAndRemember(&browser, environment)
                var admin = Browser(client)
                #expect(try await Self.afterPassword(&admin, user: "root") == "/")
                try await admin.get("/admin/users/\(alice.id)")
                try await admin.post("/admin/users/\(alice.id)/forget-browsers", [])
                #expect(try await Self.afterPassword(&browser) == "/login/verify")
            }
        }
    }

    @Test func offByDefaultTheCodePageOffersNothingAndRemembersNothing() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.enrollThenReturnToCodePage(&browser)
                #expect(!browser.lastPage.contains(#"name="remember""#))
                environment.clock.advance(by: 30)
                try await browser.post("/login/verify", [("code", try environment.code(for: key)), ("remember", "1")])
                #expect(browser.cookies[RememberedBrowsers.cookieName] == nil)
                try await browser.signOut()
                #expect(try await Self.afterPassword(&browser) == "/login/verify")
            }
        }
    }

    @Test func turningTheFeatureOffMakesRememberedBrowsersAskAgain() async throws {
        try await TestEnvironment.with(overrides: Self.on) { environment in
            try await environment.createUser()
            let cookie = try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await Self.enrollAndRemember(&browser, environment)
                return try #require(browser.cookies[RememberedBrowsers.cookieName])
            }
            var off = environment.dependencies
            off.configuration.session.rememberBrowser = false
            let application = try await buildApplication(off, logger: Logger(label: "test"))
            try await application.test(.router) { client in
                var browser = Browser(client)
                browser.cookies[RememberedBrowsers.cookieName] = cookie
                let next = try await Self.afterPassword(&browser)
                #expect(next == "/login/verify")
            }
        }
    }
}
