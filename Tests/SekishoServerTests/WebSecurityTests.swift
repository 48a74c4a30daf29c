import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SekishoServer
import SekishoStore
import Testing

@Suite struct WebSecurityTests {
    /// The CSRF nonce is renewed with the session id: a token from before the sign-in (or
    /// after it, before the logout) is refused afterwards.
    @Test func theCSRFNonceIsRenewedWithTheSession() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let nonceBefore = try #require(browser.cookies["sekisho_csrf"])
                let tokenBefore = try #require(browser.csrf)
                let signedIn = try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                #expect(signedIn.headers[.location] == "/")
                let nonceAfter = try #require(browser.cookies["sekisho_csrf"])
                #expect(nonceAfter != nonceBefore)
                // The page seen before signing in no longer carries a usable token.
                #expect(try await browser.post("/logout", [], csrf: tokenBefore).status == .forbidden)
                try await browser.get("/")
                #expect(browser.csrf != tokenBefore)
                #expect(try await browser.signOut().headers[.location] == "/login")
                #expect(browser.cookies["sekisho_csrf"] != nonceAfter)
            }
        }
    }

    @Test func postWithoutOrWithAWrongCSRFTokenIsForbiddenAndChangesNothing() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                #expect(
                    try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")], csrf: .some(nil)).status
                        == .forbidden
                )
                #expect(
                    try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")], csrf: "forged").status
                        == .forbidden
                )
                #expect(browser.sessionCookie == nil)
                // A token from another browser does not fit this browser's cookie.
                var other = Browser(client)
                try await other.get("/login")
                #expect(
                    try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")], csrf: other.csrf).status
                        == .forbidden
                )
                #expect(try await environment.store.auditEvents(userID: nil, kind: "sign_in", limit: 5, offset: 0).isEmpty)
            }
        }
    }

    @Test func postFromAnotherOriginIsForbidden() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                browser.origin = "https://evil.example"
                #expect(try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")]).status == .forbidden)
                browser.origin = nil
                let crossSite = try await browser.post(
                    "/login",
                    [("username", "bob"), ("password", "correct horse battery")],
                    headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]
                )
                #expect(crossSite.status == .forbidden)
                let sameSite = try await browser.post(
                    "/login",
                    [("username", "bob"), ("password", "correct horse battery")],
                    headers: [HTTPField.Name("Sec-Fetch-Site")!: "same-site"]
                )
                #expect(sameSite.status == .forbidden)
                // A referrer-less browser sends "Origin: null" for its own forms: Sec-Fetch-Site vouches for them.
                browser.origin = "null"
                #expect(try await browser.post("/login", [("username", "bob"), ("password", "wrong")]).status == .forbidden)
                let ownForm = try await browser.post(
                    "/login",
                    [("username", "bob"), ("password", "wrong")],
                    headers: [HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]
                )
                #expect(ownForm.status == .ok)
                browser.origin = "http://localhost"
                #expect(try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")]).status == .seeOther)
            }
        }
    }

    @Test func cookiesAreHttpOnlyLaxAndSecureBehindHTTPS() async throws {
        try await TestEnvironment.with { plain in
            try await plain.application().test(.router) { client in
                let response = try await client.executeRequest(uri: "/login", method: .get, headers: [:], body: nil)
                let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("sekisho_csrf=") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
            }
            try await TestEnvironment.with(overrides: ["server.public_url": "https://login.example.com"]) { https in
                try await https.createUser("bob", twoFactor: false)
                try await https.application().test(.router) { client in
                    var browser = Browser(client)
                    browser.origin = "https://login.example.com"
                    let page = try await browser.get("/login")
                    #expect(page.headers[values: .setCookie].allSatisfy { $0.contains("Secure") })
                    let signIn = try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                    let session = try #require(signIn.headers[values: .setCookie].first { $0.hasPrefix("sekisho_session=") })
                    #expect(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Lax"))
                    // With a public URL, only its origin is ours.
                    browser.origin = "http://localhost"
                    #expect(try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")]).status == .forbidden)
                }
            }
        }
    }

    @Test func oversizedBodyIsRefusedWith413() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let huge = String(repeating: "a", count: 70 * 1024)
                #expect(try await browser.post("/login", [("username", huge), ("password", "x")]).status == .contentTooLarge)
            }
        }
    }

    @Test(arguments: [
        "username=%ZZ&password=x",
        "username=%C3%28&password=x",
        "username=a%00b&password=x",
        "username=a&username=b&password=x",
    ])
    func brokenFormsAreRefusedWith400(body: String) async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let token = try #require(browser.csrf)
                let response = try await browser.send(
                    "/login",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"],
                    body: ByteBuffer(string: body + "&csrf=" + token)
                )
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
    }

    @Test func pagesCarryTheSecurityHeadersAndNoInlineScript() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                let response = try await client.executeRequest(uri: "/login", method: .get, headers: [:], body: nil)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(response.headers[.cacheControl] == "no-store")
                // The one script is the same-origin file that offers passkeys; nothing inline.
                let scripts = Browser.allMatches(#"(<script[^>]*>[^<]*</script>)"#, in: response.text)
                #expect(scripts == [#"<script src="/static/webauthn.js"></script>"#])
                #expect(response.text.components(separatedBy: "<script").count == 2)
                #expect(!response.text.contains("style=\""))
            }
        }
    }
}
