import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SekishoCore
import SekishoStore
import Testing

@testable import SekishoServer

/// Where you are signed in (issue #16): the sessions list on the dashboard, ending one session,
/// ending all others, and an administrator ending them all.
///
/// Live on loopback, so that the client address is real, and with forward auth's cache on (its
/// default), so that "takes effect at once" covers the cache too.
@Suite struct SessionListTests {
    static let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    static let safari =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
    static let edge =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0"

    /// A browser of `agent`, signed in with the password (two-factor off: the list is the same).
    static func signedIn(_ client: any TestClientProtocol, _ agent: String, user: String = "alice") async throws -> Browser {
        var browser = ForwardAuthTests.browser(client)
        browser.userAgent = agent
        try await browser.get("/login")
        let answer = try await browser.post("/login", [("username", user), ("password", "correct horse battery")])
        guard answer.headers[.location] == "/" else { throw BrowserError("sign-in failed: \(answer.status)") }
        try await browser.get("/")
        return browser
    }

    /// The handles of the sessions the dashboard offers to end.
    static func endable(_ page: String) -> [String] { Browser.allMatches(#"name="session" value="([0-9a-f]{16})""#, in: page) }

    static let app = ForwardAuthTests.forwarded("https://app.example.com/")

    @Test func aSessionEndedFromTheListNoLongerOpensTheDashboardNorPassesForwardAuth() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            try await environment.createUser(twoFactor: false)
            try await environment.application().test(.live) { client in
                var laptop = try await Self.signedIn(client, Self.firefox)
                var phone = try await Self.signedIn(client, Self.safari)
                // The phone's session is in forward auth's cache now.
                #expect(try await phone.get(ForwardAuthTests.forwardAuth, headers: Self.app).status == .ok)

                try await laptop.get("/")
                let handle = try #require(Self.endable(laptop.lastPage).first)
                #expect(Self.endable(laptop.lastPage).count == 1)
                try await laptop.post("/account/sessions/end", [("session", handle)])
                #expect(laptop.lastPage.contains("The session was ended."))

                #expect(try await phone.get(ForwardAuthTests.forwardAuth, headers: Self.app).status == .found)
                #expect(try await phone.get("/").headers[.location] == "/login")
                // The laptop itself is still signed in.
                #expect(try await laptop.get("/").status == .ok)
                #expect(try await laptop.get(ForwardAuthTests.forwardAuth, headers: Self.app).status == .ok)
            }
        }
    }

    @Test func signingOutEverywhereElseKeepsExactlyThisSession() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            let alice = try await environment.createUser(twoFactor: false)
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.live) { client in
                var laptop = try await Self.signedIn(client, Self.firefox)
                var phone = try await Self.signedIn(client, Self.safari)
                var office = try await Self.signedIn(client, Self.edge)
                var bob = try await Self.signedIn(client, Self.edge, user: "bob")
                #expect(try await office.get(ForwardAuthTests.forwardAuth, headers: Self.app).status == .ok)

                try await laptop.get("/")
                try await laptop.post("/account/sessions/end-others", [])
                #expect(laptop.lastPage.contains("Every other session was ended."))
                #expect(Self.endable(laptop.lastPage).isEmpty)

                #expect(
                    try await environment.store.signedInSessions(userID: alice.id).map(\.idHash) == [
                        try #require(laptop.sessionCookie.map(OpaqueToken.hash))
                    ]
                )
                #expect(try await laptop.get("/").status == .ok)
                #expect(try await phone.get("/").headers[.location] == "/login")
                #expect(try await office.get(ForwardAuthTests.forwardAuth, headers: Self.app).status == .found)
                // Another user is not touched.
                #expect(try await bob.get("/").status == .ok)
            }
        }
    }

    @Test func theListShowsBrowserSystemCoarsePlaceAndThisBrowser() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            try await environment.createUser(twoFactor: false)
            try await environment.application().test(.live) { client in
                _ = try await Self.signedIn(client, Self.safari)
                environment.clock.advance(by: 120)
                var laptop = try await Self.signedIn(client, Self.firefox)
                let page = try await laptop.get("/").text
                #expect(page.contains("<strong>Firefox</strong> · Linux"))
                #expect(page.contains("<strong>Safari</strong> · iOS"))
                // The loopback client, cut to its /24.
                #expect(page.contains(#"<dd class="place">127.0.0.0/24</dd>"#))
                #expect(!page.contains("127.0.0.1"))
                #expect(page.components(separatedBy: "This browser").count == 2)
                // This browser first, and it has no button to end it (signing out does that).
                let current = try #require(page.range(of: #"class="device current""#))
                let other = try #require(page.range(of: "<strong>Safari</strong>"))
                #expect(current.lowerBound < other.lowerBound)
                #expect(Self.endable(page).count == 1)
                #expect(page.contains(NoticeMails.timestamp(TestEnvironment.start.addingTimeInterval(120))))
            }
        }
    }

    @Test func aHandleOfAnotherUsersSessionEndsNothing() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            try await environment.createUser(twoFactor: false)
            let bobUser = try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.live) { client in
                var alice = try await Self.signedIn(client, Self.firefox)
                var bob = try await Self.signedIn(client, Self.edge, user: "bob")
                let handle = try #require(try await environment.store.signedInSessions(userID: bobUser.id).first?.handle)
                try await alice.get("/")
                try await alice.post("/account/sessions/end", [("session", handle)])
                #expect(alice.errorMessage == "That session had already ended.")
                #expect(try await bob.get("/").status == .ok)
            }
        }
    }

    @Test func anAdministratorEndsEverySessionOfAUser() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            let alice = try await environment.createUser(twoFactor: false)
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.live) { client in
                var laptop = try await Self.signedIn(client, Self.firefox)
                var phone = try await Self.signedIn(client, Self.safari)
                var admin = try await Self.signedIn(client, Self.edge, user: "root")
                try await admin.get("/admin/users/\(alice.id)")
                #expect(admin.lastPage.contains(#"id="end-sessions""#))
                let answer = try await admin.post("/admin/users/\(alice.id)/end-sessions", [])
                #expect(answer.headers[.location] == "/admin/users/\(alice.id)?saved=1")
                #expect(try await laptop.get("/").headers[.location] == "/login")
                #expect(try await phone.get(ForwardAuthTests.forwardAuth, headers: Self.app).status == .found)
                #expect(try await admin.get("/").status == .ok)
                let kinds = try await environment.store.auditEvents(userID: alice.id, kind: "sessions_ended_by_admin", limit: 5, offset: 0)
                #expect(kinds.count == 1)
            }
        }
    }

    @Test func theAdminAPIEndsEverySessionAndForgetsTheRememberedBrowsersOfAUser() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            let alice = try await environment.createUser(twoFactor: false)
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let token = try await Console(environment.dependencies, logger: Logger(label: "test")).createToken(name: "ci", for: "root")
            let now = environment.clock.now()
            let remembered = RememberedBrowser(
                tokenHash: String(repeating: "a", count: 64),
                userID: alice.id,
                userAgent: Self.firefox,
                clientAddress: "192.0.2.7",
                createdAt: now,
                expiresAt: now.addingTimeInterval(86_400)
            )
            try await environment.store.rememberBrowser(remembered, effects: .none)
            try await environment.application().test(.live) { client in
                var laptop = try await Self.signedIn(client, Self.firefox)
                let auth: HTTPFields = [.authorization: "Bearer \(token)"]
                for action in ["end-sessions", "forget-browsers"] {
                    let answer = try await client.executeRequest(uri: "/api/v1/users/\(alice.id)/\(action)", method: .post, headers: auth, body: nil)
                    #expect(answer.status == .noContent, "\(action)")
                }
                #expect(try await laptop.get("/").headers[.location] == "/login")
                #expect(try await environment.store.rememberedBrowsers(userID: alice.id, at: now).isEmpty)
            }
        }
    }
}
