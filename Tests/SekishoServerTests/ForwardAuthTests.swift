import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoCore
import SekishoStore
import Testing

@testable import SekishoServer

/// Forward auth: `/api/authz/forward-auth` (Traefik, Caddy) and `/api/authz/auth-request` (nginx).
///
/// These tests run the server live on loopback so that the peer address is real (127.0.0.1):
/// forwarded headers are only believed from `server.trusted_proxies`.
@Suite struct ForwardAuthTests {
    static let forwardAuth = "/api/authz/forward-auth"
    static let authRequest = "/api/authz/auth-request"

    static func forwarded(_ url: String) -> HTTPFields {
        let components = URLComponents(string: url)!
        return [
            HTTPField.Name("X-Forwarded-Proto")!: components.scheme!,
            HTTPField.Name("X-Forwarded-Host")!: components.host! + (components.port.map { ":\($0)" } ?? ""),
            HTTPField.Name("X-Forwarded-Uri")!: components.percentEncodedPath + (components.percentEncodedQuery.map { "?\($0)" } ?? ""),
        ]
    }

    static func original(_ url: String) -> HTTPFields { [HTTPField.Name("X-Original-URL")!: url] }

    static func overrides(_ overrides: [String: String] = [:]) -> [String: String] {
        var values = [
            "server.public_url": "http://login.example.com",
            "server.trusted_proxies": "127.0.0.1/32,::1/128",
            "forward_auth.allowed_domains": "example.com",
        ]
        values.merge(overrides) { $1 }
        return values
    }

    /// A browser on the public URL's origin (the pages check Origin against it).
    static func browser(_ client: any TestClientProtocol) -> Browser {
        var browser = Browser(client)
        browser.origin = "http://login.example.com"
        return browser
    }

    /// The `rd` of a login URL, decoded.
    static func returnURL(in location: String?) -> String? {
        location.flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "rd" }?.value }
    }

    @Test func withoutASessionAuthRequestIs401AndForwardAuthRedirectsToTheLoginPage() async throws {
        try await TestEnvironment.with(overrides: Self.overrides()) { environment in
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                let app = "https://app.example.com/reports/2024?sort=name&x=%C3%A9"
                let redirect = try await browser.get(Self.forwardAuth, headers: Self.forwarded(app))
                #expect(redirect.status == .found)
                let location = try #require(redirect.headers[.location])
                #expect(location.hasPrefix("http://login.example.com/login?rd="))
                #expect(Self.returnURL(in: location) == app)
                let refused = try await browser.get(Self.authRequest, headers: Self.original(app))
                #expect(refused.status == .unauthorized)
                #expect(Self.returnURL(in: refused.headers[.location]) == app)
                // Outside the page middleware: no CSRF cookie, no page.
                #expect(redirect.headers[values: .setCookie].isEmpty && refused.headers[values: .setCookie].isEmpty)
                #expect(refused.body.readableBytes == 0)
                // A made-up session cookie is no better.
                browser.cookies["sekisho_session"] = OpaqueToken.generate().value
                #expect(try await browser.get(Self.authRequest, headers: Self.original(app)).status == .unauthorized)
            }
        }
    }

    @Test func aFullySignedInUserPassesWithRemoteHeaders() async throws {
        try await TestEnvironment.with(overrides: Self.overrides()) { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                for (path, headers) in [
                    (Self.forwardAuth, Self.forwarded("https://app.example.com/")), (Self.authRequest, Self.original("https://app.example.com/")),
                ] {
                    let response = try await browser.get(path, headers: headers)
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[HTTPField.Name("Remote-User")!] == "alice")
                    #expect(response.headers[HTTPField.Name("Remote-Email")!] == "alice@example.com")
                    #expect(response.headers[HTTPField.Name("Remote-Name")!] == "Alice")
                    #expect(response.headers[HTTPField.Name("Remote-Groups")!] == "user")
                }
            }
        }
    }

    @Test func aHalfWaySessionWaitingForTheCodeIsRefused() async throws {
        try await TestEnvironment.with(overrides: Self.overrides()) { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                try await browser.get("/login")
                let password = try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                #expect(password.headers[.location] == "/login/enroll")
                #expect(browser.sessionCookie != nil)
                let app = "https://app.example.com/"
                #expect(try await browser.get(Self.authRequest, headers: Self.original(app)).status == .unauthorized)
                let redirect = try await browser.get(Self.forwardAuth, headers: Self.forwarded(app))
                #expect(redirect.status == .found)
                #expect(redirect.headers[HTTPField.Name("Remote-User")!] == nil)
            }
        }
    }

    @Test func afterLogoutTheOldCookieIsRefused() async throws {
        try await TestEnvironment.with(overrides: Self.overrides()) { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let app = Self.original("https://app.example.com/")
                #expect(try await browser.get(Self.authRequest, headers: app).status == .ok)
                let stolen = try #require(browser.sessionCookie)
                try await browser.get("/")
                try await browser.signOut()
                #expect(browser.sessionCookie == nil)
                #expect(try await browser.get(Self.authRequest, headers: app).status == .unauthorized)
                // Replaying the cookie from before the logout does not work either: the session is gone.
                browser.cookies["sekisho_session"] = stolen
                #expect(try await browser.get(Self.authRequest, headers: app).status == .unauthorized)
            }
        }
    }

    @Test func idleSessionsAreRefused() async throws {
        try await TestEnvironment.with(overrides: Self.overrides(["session.idle_timeout": "600"])) { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let app = Self.original("https://app.example.com/")
                environment.clock.advance(by: 590)
                #expect(try await browser.get(Self.authRequest, headers: app).status == .ok)
                // The check above counted as activity (touched after more than a minute).
                environment.clock.advance(by: 590)
                #expect(try await browser.get(Self.authRequest, headers: app).status == .ok)
                environment.clock.advance(by: 601)
                #expect(try await browser.get(Self.authRequest, headers: app).status == .unauthorized)
            }
        }
    }

    /// `rd` after sign-in: paths and allowed (sub-)domains are followed, anything else goes to the dashboard.
    @Test func returnURLIsFollowedOnlyToAllowedDomains() async throws {
        try await TestEnvironment.with(overrides: Self.overrides()) { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.live) { client in
                let cases: [(rd: String, expected: String)] = [
                    ("https://app.example.com/x?y=1", "https://app.example.com/x?y=1"),
                    ("https://example.com/", "https://example.com/"),
                    ("https://deep.app.example.com:8443/", "https://deep.app.example.com:8443/"),
                    ("/account", "/account"),
                    ("https://evil.example.net/", "/"),
                    ("https://example.com.evil.net/", "/"),
                    ("https://badexample.com/", "/"),
                    ("https://app.example.com@evil.net/", "/"),
                    ("//evil.net/", "/"),
                    ("javascript:alert(1)", "/"),
                ]
                for (rd, expected) in cases {
                    var browser = Self.browser(client)
                    try await browser.get("/login?rd=" + Browser.encode(rd))
                    let response = try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery"), ("rd", rd)])
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == expected, "rd \(rd)")
                }
            }
        }
    }

    /// The same through the code page, which is where a forward-auth user with 2FA ends up.
    @Test func returnURLSurvivesTheCodePage() async throws {
        try await TestEnvironment.with(overrides: Self.overrides()) { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                try await browser.get("/")
                try await browser.signOut()
                for (rd, expected) in [("https://evil.example.net/", "/"), ("https://wiki.example.com/page", "https://wiki.example.com/page")] {
                    environment.clock.advance(by: 30)
                    try await browser.get("/login?rd=" + Browser.encode(rd))
                    let password = try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery"), ("rd", rd)])
                    let next = try #require(password.headers[.location])
                    #expect(next.hasPrefix("/login/verify"))
                    try await browser.get(next)
                    let code = try await browser.post("/login/verify", [("code", try environment.code(for: key)), ("rd", rd)])
                    #expect(code.status == .seeOther)
                    #expect(code.headers[.location] == expected, "rd \(rd)")
                    try await browser.get("/")
                    try await browser.signOut()
                }
            }
        }
    }

    @Test func forwardedHeadersAreIgnoredFromUntrustedPeers() async throws {
        let rules = ["forward_auth.rules": "app.example.com /public bypass"]
        let app = "https://app.example.com/public/logo.png"
        // The test client connects from 127.0.0.1, which is not a trusted proxy here.
        try await TestEnvironment.with(overrides: Self.overrides(rules.merging(["server.trusted_proxies": "10.0.0.0/8"]) { $1 })) { untrusted in
            try await untrusted.application().test(.live) { client in
                var browser = Self.browser(client)
                let redirect = try await browser.get(Self.forwardAuth, headers: Self.forwarded(app))
                #expect(redirect.status == .found)
                // Neither the bypass rule nor the claimed URL is believed.
                #expect(redirect.headers[.location] == "http://login.example.com/login")
                #expect(try await browser.get(Self.authRequest, headers: Self.original(app)).status == .unauthorized)
            }
            try await TestEnvironment.with(overrides: Self.overrides(rules)) { trusted in
                try await trusted.application().test(.live) { client in
                    var browser = Self.browser(client)
                    let forwarded = try await browser.get(Self.forwardAuth, headers: Self.forwarded(app))
                    #expect(forwarded.status == .ok)
                    let original = try await browser.get(Self.authRequest, headers: Self.original(app))
                    #expect(original.status == .ok)
                }
            }
        }
    }

    @Test func rulesBypassAndAdmin() async throws {
        try await TestEnvironment.with(
            overrides: Self.overrides([
                "forward_auth.rules": "status.example.com /health bypass, *.example.com /admin admin, secret.example.com / admin"
            ])
        ) { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.live) { client in
                var anonymous = Self.browser(client)
                let health = try await anonymous.get(Self.authRequest, headers: Self.original("https://status.example.com/health/live"))
                #expect(health.status == .ok)
                #expect(health.headers[HTTPField.Name("Remote-User")!] == nil)
                // Only that path of that host: /healthz is not below /health, other hosts need a sign-in.
                #expect(
                    try await anonymous.get(Self.authRequest, headers: Self.original("https://status.example.com/healthz")).status == .unauthorized
                )
                #expect(try await anonymous.get(Self.authRequest, headers: Self.original("https://other.example.com/health")).status == .unauthorized)
                // A bypass path cannot be used to reach a neighbour through dot segments.
                #expect(
                    try await anonymous.get(Self.authRequest, headers: Self.original("https://status.example.com/health/../admin")).status
                        == .unauthorized
                )
                #expect(try await anonymous.get(Self.authRequest, headers: Self.original("https://app.example.com/admin")).status == .unauthorized)

                var bob = Self.browser(client)
                try await bob.get("/login")
                try await bob.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                #expect(try await bob.get(Self.authRequest, headers: Self.original("https://app.example.com/admin/users")).status == .forbidden)
                #expect(try await bob.get(Self.forwardAuth, headers: Self.forwarded("https://app.example.com/%61dmin")).status == .forbidden)
                #expect(try await bob.get(Self.authRequest, headers: Self.original("https://secret.example.com/")).status == .forbidden)
                #expect(try await bob.get(Self.authRequest, headers: Self.original("https://app.example.com/administrator")).status == .ok)
                // Without a URL the strictest rule in use applies.
                #expect(try await bob.get(Self.authRequest).status == .forbidden)

                var root = Self.browser(client)
                try await root.get("/login")
                try await root.post("/login", [("username", "root"), ("password", "correct horse battery")])
                let admin = try await root.get(Self.authRequest, headers: Self.original("https://app.example.com/admin/users"))
                #expect(admin.status == .ok)
                #expect(admin.headers[HTTPField.Name("Remote-User")!] == "root")
                #expect(admin.headers[HTTPField.Name("Remote-Groups")!] == "admin")
            }
        }
    }

    @Test func theSessionCookieCarriesTheConfiguredDomain() async throws {
        try await TestEnvironment.with(overrides: Self.overrides(["session.cookie_domain": "example.com"])) { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Self.browser(client)
                try await browser.get("/login")
                let response = try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("sekisho_session=") })
                #expect(cookie.contains("Domain=example.com"))
            }
        }
    }
}

/// The pieces without a server: rules, URLs, `rd` and configuration.
@Suite struct ForwardAuthRuleTests {
    @Test func rulesParseAndMatch() throws {
        let wildcard = try ForwardAuthRule("*.Example.com /public/ bypass")
        #expect(wildcard.description == "*.example.com /public bypass")
        #expect(wildcard.matches(host: "app.example.com", path: "/public"))
        #expect(wildcard.matches(host: "a.b.example.com", path: "/public/x"))
        #expect(!wildcard.matches(host: "example.com", path: "/public"))
        #expect(!wildcard.matches(host: "badexample.com", path: "/public"))
        #expect(!wildcard.matches(host: "app.example.com", path: "/publicity"))
        let any = try ForwardAuthRule("* / admin")
        #expect(any.matches(host: "whatever.test", path: "/anything") && any.policy == .admin)
        #expect(try ForwardAuthRule("app.example.com /x signed_in").policy == .signedIn)
    }

    @Test func malformedRulesNameTheKey() {
        for text in [
            "app.example.com /x", "app.example.com x bypass", "app.example.com /x allow", "app..com /x bypass", "*.*.com / bypass", "a/b / bypass",
        ] {
            #expect(throws: ConfigurationError.self, "\(text)") { try ForwardAuthRule(text) }
            do {
                _ = try ForwardAuthRule(text)
            } catch {
                #expect(error.key == "forward_auth.rules")
            }
        }
    }

    @Test func originalURLsAreNormalisedForMatching() throws {
        let url = try #require(OriginalURL("https://App.Example.com.:8443/a/./b/../c//d%2Fe?q=1"))
        #expect(url.host == "app.example.com")
        #expect(url.path == "/a/c/d/e")
        #expect(OriginalURL("ftp://app.example.com/") == nil)
        #expect(OriginalURL("https://user@app.example.com/") == nil)
        #expect(OriginalURL("https://app.example.com/a b") == nil)
        #expect(OriginalURL("/relative") == nil)
        #expect(OriginalURL(proto: "https", host: "app.example.com", uri: "/x?y=1")?.text == "https://app.example.com/x?y=1")
        #expect(OriginalURL(proto: "https", host: "app.example.com", uri: nil)?.text == "https://app.example.com/")
        #expect(OriginalURL(proto: "https", host: "evil.net/@app.example.com", uri: "/") == nil)
        #expect(OriginalURL(proto: "https", host: "app.example.com", uri: "//evil.net/") == nil)
        #expect(OriginalURL(proto: "gopher", host: "app.example.com", uri: "/") == nil)
        // A path that cannot be decoded matches no rule (the strictest policy applies).
        #expect(OriginalURL("https://app.example.com/%ff%fe")?.path == nil)
    }

    @Test func returnPathAcceptsOnlyPathsAndAllowedDomains() {
        let returnPath = ReturnPath(allowedDomains: ["Example.com", "*.corp.test", ".other.test"])
        #expect(returnPath.allowedDomains == ["example.com", "corp.test", "other.test"])
        for good in [
            "/", "/account?tab=2", "https://example.com/", "http://app.example.com/x", "https://APP.EXAMPLE.COM/", "https://a.corp.test/",
            "https://other.test./",
        ] {
            #expect(returnPath.sanitize(good) == good, "\(good) refused")
        }
        for bad in [
            "//evil.net", "/\\evil.net", "https://evil.net/", "https://example.com.evil.net/", "https://notexample.com/",
            "https://example.com@evil.net/", "https://evil.net#@example.com", "https:example.com/", "https:/example.com/",
            "ftp://example.com/", "javascript://example.com/%0aalert(1)", "https://example.com/\u{0}", "https://exa mple.com/",
            "https://ex\u{e4}mple.com/", "", "relative/path",
        ] {
            #expect(returnPath.sanitize(bad) == nil, "\(bad) accepted")
        }
        #expect(ReturnPath(allowedDomains: []).sanitize("https://example.com/") == nil)
        #expect(returnPath.query("https://app.example.com/a?b=c") == "?rd=https%3A%2F%2Fapp%2Eexample%2Ecom%2Fa%3Fb%3Dc")
        #expect(returnPath.query("https://evil.net/") == "")
        #expect(
            ReturnPath(allowedDomains: ["example.com"]).formActionSources
                == "http://example.com:* http://*.example.com:* https://example.com:* https://*.example.com:*"
        )
    }

    @Test func configurationKeysParseWithEmptyDefaults() async throws {
        let defaults = try await ConfigurationLoader(filePath: nil, environment: [:]).load()
        #expect(defaults.server.trustedProxies.isEmpty)
        #expect(defaults.forwardAuth.allowedDomains.isEmpty)
        #expect(defaults.forwardAuth.rules.isEmpty)
        let set = try await ConfigurationLoader(
            filePath: nil,
            environment: ["SEKISHO_SERVER_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8"],
            overrides: ["forward_auth.rules": "*.example.com /public bypass, * /admin admin", "forward_auth.allowed_domains": "*.Example.com"]
        ).load()
        #expect(set.server.trustedProxies.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(set.forwardAuth.rules.map(\.description) == ["*.example.com /public bypass", "* /admin admin"])
        #expect(set.forwardAuth.allowedDomains == ["example.com"])
        await #expect(
            throws: ConfigurationError(
                key: "server.trusted_proxies",
                "expected an address or CIDR range such as 10.0.0.0/8 or fd00::/8, got '10.0.0.0/40'"
            )
        ) {
            try await ConfigurationLoader(filePath: nil, environment: [:], overrides: ["server.trusted_proxies": "10.0.0.0/40"]).load()
        }
        do {
            _ = try await ConfigurationLoader(filePath: nil, environment: [:], overrides: ["forward_auth.rules": "* /x maybe"]).load()
            Issue.record("a rule with an unknown policy was accepted")
        } catch {
            #expect(error.key == "forward_auth.rules")
        }
        do {
            _ = try await ConfigurationLoader(filePath: nil, environment: [:], overrides: ["forward_auth.allowed_domains": "https://x.test/"]).load()
            Issue.record("a URL was accepted as a domain")
        } catch {
            #expect(error.key == "forward_auth.allowed_domains")
        }
    }

    @Test func productionExampleConfiguresForwardAuth() async throws {
        let configuration = try await ConfigurationLoader(filePath: repositoryRoot() + "/Config/sekisho.production.yaml", environment: [:]).load()
        #expect(configuration.server.trustedProxies.count == 3)
        #expect(configuration.forwardAuth.allowedDomains == ["example.com"])
        #expect(configuration.forwardAuth.rules.map(\.policy) == [.bypass, .admin, .signedIn])
    }
}

extension ForwardAuthTests {
    /// `forward_auth.cache_ttl`: a session ended elsewhere (here the store is written directly, as
    /// another instance or the console would) is reused for at most the TTL; 0 reads every time.
    @Test(arguments: [2.0, 0])
    func aSessionEndedElsewhereIsReusedForAtMostTheTTL(ttl: Double) async throws {
        try await TestEnvironment.with(overrides: Self.overrides(["forward_auth.cache_ttl": "\(ttl)"])) { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                #expect(try await browser.get(Self.authRequest).status == .ok)
                try await environment.store.deleteSessions(userID: user.id, keeping: nil)
                #expect(try await browser.get(Self.authRequest).status == (ttl > 0 ? .ok : .unauthorized))
                environment.clock.advance(by: ttl + 0.5)
                #expect(try await browser.get(Self.authRequest).status == .unauthorized)
            }
        }
    }

    /// A logout through this instance applies to forward auth at once, cache or not.
    @Test func aLogoutHereEndsACachedSessionAtOnce() async throws {
        try await TestEnvironment.with(overrides: Self.overrides(["forward_auth.cache_ttl": "60"])) { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Self.browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                #expect(try await browser.get(Self.authRequest).status == .ok)
                let stolen = try #require(browser.cookies[SessionService.cookieName])
                try await browser.get("/")
                let loggedOut = try await browser.signOut()
                #expect(loggedOut.status == .seeOther)
                browser.cookies[SessionService.cookieName] = stolen
                #expect(try await browser.get(Self.authRequest).status == .unauthorized)
            }
        }
    }
}
