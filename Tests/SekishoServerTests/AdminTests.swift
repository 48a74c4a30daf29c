import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SekishoStore
import Synchronization
import Testing

@testable import SekishoServer

@Suite struct AdminTests {
    /// Signs `name` in fully (enrolling when two-factor is on).
    private func signIn(_ environment: TestEnvironment, _ browser: inout Browser, _ name: String, twoFactor: Bool) async throws {
        if twoFactor {
            _ = try await environment.signInAndEnroll(&browser, user: name)
            try await browser.get("/")
        } else {
            try await browser.get("/login")
            let response = try await browser.post("/login", [("username", name), ("password", "correct horse battery")])
            guard response.headers[.location] == "/" else { throw BrowserError("sign-in of \(name) failed") }
        }
    }

    /// Every admin page and API route, listed from the router, refuses a non-admin with 403; a
    /// half-signed-in admin is sent to the code page (pages) or refused (API), never let in.
    @Test func everyAdminRouteRefusesNonAdminsAndHalfSignedInAdmins() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", role: .admin)
            try await environment.createUser("bob", twoFactor: false)
            let services = try await Services.build(environment.dependencies, logger: Logger(label: "test"))
            let routes = buildRouter(services).routes.map { (path: "\($0.path)", method: $0.method) }
                .filter { $0.path.hasPrefix("/admin") || $0.path.hasPrefix("/api/v1") }
            #expect(routes.count >= 15)
            try await environment.application().test(.router) { client in
                var enrolled = Browser(client)
                _ = try await environment.signInAndEnroll(&enrolled, user: "root")
                var halfWay = Browser(client)
                try await environment.signInToCodePage(&halfWay, user: "root")
                var user = Browser(client)
                try await signIn(environment, &user, "bob", twoFactor: false)

                for route in routes {
                    let path = route.path.replacingOccurrences(of: "{id}", with: "1")
                    for var browser in [halfWay, user] {
                        let response: TestResponse
                        if route.method == .get {
                            response = try await browser.get(path)
                        } else if path.hasPrefix("/api/") {
                            response = try await browser.send(
                                path,
                                method: route.method,
                                headers: [.contentType: "application/json"],
                                body: ByteBuffer(string: "{}")
                            )
                        } else {
                            response = try await browser.post(path, [])
                        }
                        if browser.cookies == halfWay.cookies, !path.hasPrefix("/api/") {
                            #expect(response.status == .seeOther, "\(route.method) \(path) gave \(response.status)")
                            #expect(response.headers[.location] == "/login/verify", "\(route.method) \(path)")
                        } else {
                            #expect(response.status == .forbidden, "\(route.method) \(path) gave \(response.status)")
                        }
                    }
                }
            }
        }
    }

    @Test func twoFactorNeedsMailDelivery() async throws {
        try await TestEnvironment.with(overrides: ["mail.transport": "smtp"]) { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signIn(environment, &browser, "root", twoFactor: false)
                try await browser.get("/admin/users/new")
                #expect(browser.lastPage.contains("needs mail delivery"))
                try await browser.post(
                    "/admin/users/new",
                    [
                        ("username", "carol"), ("email", "carol@example.com"), ("role", "user"), ("password", "correct horse battery"),
                        ("two_factor", "on"),
                    ]
                )
                #expect(browser.errorMessage?.contains("mail") == true)
                #expect(try await environment.store.user(username: "carol") == nil)
                let bob = try #require(try await environment.store.user(username: "bob"))
                try await browser.get("/admin/users/\(bob.id)")
                try await browser.post(
                    "/admin/users/\(bob.id)",
                    [("display_name", "Bob"), ("email", "bob@example.com"), ("role", "user"), ("two_factor", "on")]
                )
                #expect(browser.errorMessage?.contains("mail") == true)
                #expect(try await environment.store.user(id: bob.id)?.twoFactorEnabled == false)

                // Once SMTP is configured, the same change is accepted.
                try await browser.get("/admin/mail")
                try await browser.post("/admin/mail", [("host", "127.0.0.1"), ("port", "2525"), ("security", "none")])
                try await browser.get("/admin/users/\(bob.id)")
                try await browser.post(
                    "/admin/users/\(bob.id)",
                    [("display_name", "Bob"), ("email", "bob@example.com"), ("role", "user"), ("two_factor", "on")]
                )
                #expect(try await environment.store.user(id: bob.id)?.twoFactorEnabled == true)
            }
        }
    }

    @Test func lastAdministratorCanBeNeitherDeletedNorDemoted() async throws {
        try await TestEnvironment.with { environment in
            let root = try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signIn(environment, &browser, "root", twoFactor: false)
                try await browser.get("/admin/users/\(root.id)")
                try await browser.post("/admin/users/\(root.id)", [("display_name", "Root"), ("email", "root@example.com"), ("role", "user")])
                #expect(browser.errorMessage?.contains("last administrator") == true)
                try await browser.post("/admin/users/\(root.id)/delete", [])
                #expect(browser.errorMessage?.contains("last administrator") == true)
                #expect(try await environment.store.user(id: root.id)?.role == .admin)

                // With a second administrator, demoting the first is fine.
                let other = try await environment.createUser("second", twoFactor: false, role: .admin)
                try await browser.get("/admin/users/\(other.id)")
                #expect(
                    try await browser.post("/admin/users/\(other.id)", [("display_name", "S"), ("email", "second@example.com"), ("role", "user")])
                        .status
                        == .seeOther
                )
                #expect(try await environment.store.countAdmins() == 1)
            }
        }
    }

    @Test func sensitiveChangesNeedARecentSignInOrThePassword() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let bob = try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signIn(environment, &browser, "root", twoFactor: false)
                environment.clock.advance(by: 16 * 60)
                try await browser.get("/admin/users/\(bob.id)")
                #expect(browser.lastPage.contains("name=\"admin_password\""))
                try await browser.post("/admin/users/\(bob.id)", [("display_name", "Bob"), ("email", "bob@example.com"), ("role", "admin")])
                #expect(browser.errorMessage != nil)
                #expect(try await environment.store.user(id: bob.id)?.role == .user)
                // A harmless change (the name) needs nothing.
                #expect(
                    try await browser.post("/admin/users/\(bob.id)", [("display_name", "Robert"), ("email", "bob@example.com"), ("role", "user")])
                        .status
                        == .seeOther
                )
                try await browser.get("/admin/users/\(bob.id)")
                try await browser.post(
                    "/admin/users/\(bob.id)",
                    [("display_name", "Robert"), ("email", "bob@example.com"), ("role", "admin"), ("admin_password", "correct horse battery")]
                )
                #expect(try await environment.store.user(id: bob.id)?.role == .admin)
            }
        }
    }

    @Test func adminResetsABindingUnlocksAndDeletes() async throws {
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "1"]) { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let alice = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var aliceBrowser = Browser(client)
                _ = try await environment.signInAndEnroll(&aliceBrowser)
                var admin = Browser(client)
                try await signIn(environment, &admin, "root", twoFactor: false)

                try await admin.get("/admin/users/\(alice.id)")
                #expect(try await admin.post("/admin/users/\(alice.id)/reset-2fa", []).status == .seeOther)
                #expect(try await environment.store.binding(userID: alice.id) == nil)
                #expect(try await aliceBrowser.get("/").headers[.location] == "/login")
                #expect(
                    try await environment.store.outboxMails(limit: 10).contains {
                        $0.recipient == "alice@example.com" && $0.subject.contains("reset")
                    }
                )

                var attacker = Browser(client)
                try await attacker.get("/login")
                for _ in 0..<3 { try await attacker.post("/login", [("username", "alice"), ("password", "wrong")]) }
                try await admin.get("/admin/users")
                #expect(admin.lastPage.contains("Waiting"))
                try await admin.get("/admin/users/\(alice.id)")
                try await admin.post("/admin/users/\(alice.id)/unlock", [])
                #expect(
                    try await attacker.post("/login", [("username", "alice"), ("password", "correct horse battery")]).headers[.location]
                        == "/login/enroll"
                )

                try await admin.get("/admin/users/\(alice.id)")
                #expect(try await admin.post("/admin/users/\(alice.id)/delete", []).headers[.location] == "/admin/users")
                #expect(try await environment.store.user(id: alice.id) == nil)
                let kinds = Set(try await environment.store.auditEvents(userID: nil, kind: nil, limit: 100, offset: 0).map(\.kind))
                #expect(kinds.isSuperset(of: ["binding_reset_by_admin", "unlocked", "user_deleted"]))
            }
        }
    }

    @Test func usersListSearchesAndPages() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            for index in 0..<30 { try await environment.createUser("user\(String(index).leftPadded(to: 2))", twoFactor: false) }
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signIn(environment, &browser, "root", twoFactor: false)
                try await browser.get("/admin/users")
                #expect(Browser.allMatches(#"<a href="/admin/users/(\d+)">"#, in: browser.lastPage).count == 25)
                #expect(browser.lastPage.contains("/admin/users?page=2"))
                try await browser.get("/admin/users?q=user1")
                #expect(Browser.allMatches(#"<a href="/admin/users/(\d+)">"#, in: browser.lastPage).count == 10)
                // LIKE wildcards are data: "%" finds nothing rather than everything.
                try await browser.get("/admin/users?q=%25")
                #expect(Browser.allMatches(#"<a href="/admin/users/(\d+)">"#, in: browser.lastPage).isEmpty)
            }
        }
    }

    @Test func setupLinkCreatesTheFirstAdministratorOnce() async throws {
        try await TestEnvironment.with { environment in
            let services = try await Services.build(environment.dependencies, logger: Logger(label: "test"))
            let link = try #require(try await services.setup.linkIfNeeded(base: "http://localhost"))
            let path = String(link.dropFirst("http://localhost".count))
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                #expect(try await browser.get(path).status == .ok)
                let fields = [
                    ("username", "root"), ("display_name", "Root"), ("email", "root@example.com"), ("password", "correct horse battery"),
                    ("password_confirm", "correct horse battery"),
                ]
                #expect(try await browser.post(path, fields).headers[.location] == "/login?setup=1")
                #expect(try await environment.store.user(username: "root")?.role == .admin)
                var again = Browser(client)
                #expect(try await again.get(path).status == .notFound)
                try await again.get("/login")
                #expect(try await again.post(path, fields.map { $0.0 == "username" ? ("username", "evil") : $0 }).status == .notFound)
                #expect(try await environment.store.userCount() == 1)
            }
            // With users present no new link is made.
            #expect(try await services.setup.linkIfNeeded(base: "http://localhost") == nil)
        }
    }

    @Test func passwordsNeverReachTheAuditLogOrTheLogs() async throws {
        let captured = LogCapture()
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let secret = "unmistakable-secret-\(UUID().uuidString)"
            try await buildApplication(environment.dependencies, logger: captured.logger()).test(.router) { client in
                var browser = Browser(client)
                try await signIn(environment, &browser, "root", twoFactor: false)
                try await browser.get("/admin/users/new")
                try await browser.post(
                    "/admin/users/new",
                    [("username", "carol"), ("email", "carol@example.com"), ("role", "user"), ("password", secret)]
                )
                let carol = try #require(try await environment.store.user(username: "carol"))
                try await browser.get("/admin/users/\(carol.id)")
                try await browser.post(
                    "/admin/users/\(carol.id)",
                    [("display_name", "C"), ("email", "carol@example.com"), ("role", "user"), ("new_password", secret + "2")]
                )
                try await browser.post("/login", [("username", "carol"), ("password", secret + "wrong")])
            }
            let events = try await environment.store.auditEvents(userID: nil, kind: nil, limit: 100, offset: 0)
            #expect(events.contains { $0.kind == "user_updated" && $0.detail.contains("password") })
            #expect(!events.contains { "\($0)".contains(secret) })
            #expect(!captured.text.contains(secret))
        }
    }

    @Test func apiWorksWithATokenAndItsChangesAreVisibleToTheServer() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let console = try await Console(environment.dependencies, logger: Logger(label: "test"))
            let token = try await console.createToken(name: "ci", for: "root")
            try await environment.application().test(.router) { client in
                let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
                let created = try await client.executeRequest(
                    uri: "/api/v1/users",
                    method: .post,
                    headers: auth,
                    body: ByteBuffer(
                        string: #"{"username":"dave","email":"dave@example.com","password":"correct horse battery","two_factor_enabled":true}"#
                    )
                )
                #expect(created.status == .created)
                #expect(created.text.contains(#""username":"dave""#))
                let id = try #require(Browser.firstMatch(#""id":(\d+)"#, in: created.text))
                let listed = try await client.executeRequest(uri: "/api/v1/users?q=dave", method: .get, headers: auth, body: nil)
                #expect(listed.text.contains("dave@example.com"))
                let patched = try await client.executeRequest(
                    uri: "/api/v1/users/\(id)",
                    method: .patch,
                    headers: auth,
                    body: ByteBuffer(string: #"{"role":"admin"}"#)
                )
                #expect(patched.status == .ok && patched.text.contains(#""role":"admin""#))
                let bad = try await client.executeRequest(uri: "/api/v1/users", method: .post, headers: auth, body: ByteBuffer(string: "{broken"))
                #expect(bad.status == .badRequest && bad.text.contains(#""code":"invalid_json""#))
                let noToken = try await client.executeRequest(uri: "/api/v1/users", method: .get, headers: [:], body: nil)
                #expect(noToken.status == .unauthorized && noToken.headers[.contentType] == "application/json")
                let wrongToken = try await client.executeRequest(
                    uri: "/api/v1/users",
                    method: .get,
                    headers: [.authorization: "Bearer nope"],
                    body: nil
                )
                #expect(wrongToken.status == .unauthorized)

                // The console changes the same database while the server runs: dave signs in with 2FA.
                try await console.setTwoFactor("dave", enabled: false)
                var browser = Browser(client)
                try await browser.get("/login")
                #expect(try await browser.post("/login", [("username", "dave"), ("password", "correct horse battery")]).headers[.location] == "/")
            }
        }
    }
}
