import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoCore
import SekishoStore
import Testing
import WebAuthn
import WebAuthnTesting

@testable import SekishoServer

/// Signing in with a passkey alone (issue #15 item 2): only with user verification, one sign-in
/// per challenge, the challenge bound to the browser that asked for it, the passkey's user handle
/// checked, the account's lockout applied, an administrator's switch, and `amr` telling the
/// OpenID clients how the user signed in. The browser's side (conditional mediation, Chromium's
/// virtual authenticator) is in Tests/e2e/test_passkeys.py.
@Suite struct PasswordlessSignInTests {
    /// A passkey of `user` from an authenticator in this process, stored as a registration would.
    static func passkey(for user: User, in environment: TestEnvironment) async throws -> SoftwareAuthenticator {
        let authenticator = try SoftwareAuthenticator(.es256)
        _ = try await environment.store.addPasskey(
            Passkey(
                userID: user.id,
                credentialID: Data(authenticator.credentialID),
                publicKey: Data(try authenticator.coseKey),
                algorithm: COSEKey.Algorithm.es256.rawValue,
                signCount: 0,
                name: "Laptop",
                createdAt: environment.clock.now()
            ),
            effects: .none
        )
        return authenticator
    }

    /// What the login page's script does first: asks for the options (the browser keeps the
    /// ceremony cookie); the challenge in them.
    static func challenge(_ browser: inout Browser) async throws -> [UInt8] {
        try await browser.get("/login")
        let answer = try await browser.post("/login/passkey/options", [])
        guard answer.status == .ok, answer.headers[.cacheControl] == "no-store",
            let options = try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any],
            options["userVerification"] as? String == "required", (options["allowCredentials"] as? [Any])?.isEmpty == true,
            let text = options["challenge"] as? String, let challenge = Base64URL.decode(text)
        else { throw BrowserError("no passwordless options: \(answer.status) \(answer.text)") }
        return challenge
    }

    /// The browser's answer as `webauthn.js` posts it. `flags` 0x05: user present and verified.
    static func assertion(
        _ authenticator: inout SoftwareAuthenticator,
        challenge: [UInt8],
        userHandle: Int64,
        environment: TestEnvironment,
        flags: UInt8 = 0x05
    ) throws -> String {
        let relyingParty = PasskeyService.relyingParty(baseURL: environment.dependencies.configuration.baseURL)
        let answer = try authenticator.assert(
            challenge: challenge,
            SoftwareAuthenticator.Options(rpID: relyingParty.id, origin: try #require(relyingParty.origins.first), flags: flags)
        )
        let fields = [
            "id": Base64URL.encode(authenticator.credentialID), "type": "public-key",
            "clientDataJSON": Base64URL.encode(answer.clientDataJSON), "authenticatorData": Base64URL.encode(answer.authenticatorData),
            "signature": Base64URL.encode(answer.signature), "userHandle": Base64URL.encode(Array(String(userHandle).utf8)),
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
    }

    static let refused = "/login?passkey=passwordless_refused"

    @Test func aVerifiedPasskeyAloneSignsInAndTheSessionSaysHow() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                let page = try await browser.get("/login")
                #expect(page.text.contains(#"id="passwordless-form""#) && page.text.contains(#"autocomplete="username webauthn""#))
                let challenge = try await Self.challenge(&browser)
                #expect(browser.cookies[PasswordlessService.cookieName] != nil)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment)
                let answer = try await browser.post("/login/passkey", [("credential", credential), ("rd", "/")])
                #expect(answer.headers[.location] == "/")
                // The ceremony cookie is cleared; the session is signed in, by a verified passkey.
                #expect(browser.cookies[PasswordlessService.cookieName] == nil)
                #expect(try await browser.get("/").status == .ok)
                let cookie = try #require(browser.sessionCookie)
                let session = try #require(try await environment.store.session(idHash: OpaqueToken.hash(cookie)))
                #expect(session.state == .signedIn && session.methods == ["hwk", "user", "mfa"])
                let signIns = try await environment.store.auditEvents(userID: alice.id, kind: "sign_in", limit: 10, offset: 0)
                #expect(signIns.first?.detail == "passwordless")
                #expect(try await environment.store.passkeys(userID: alice.id).first?.lastUsedAt == environment.clock.now())
            }
        }
    }

    /// Without the UV flag a passkey proves possession only: one factor, so no sign-in; and the
    /// try counts against the account like a wrong password.
    @Test func aPasskeyThatDidNotVerifyTheUserIsRefusedAndCountsAsAFailure() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                let challenge = try await Self.challenge(&browser)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment, flags: 0x01)
                #expect(try await browser.post("/login/passkey", [("credential", credential)]).headers[.location] == Self.refused)
                #expect(browser.sessionCookie == nil)
                #expect(try await environment.store.attempt(scope: .account, key: "alice")?.failures == 1)
                let page = try await browser.get(Self.refused)
                #expect(page.text.contains("The passkey was not accepted"))
            }
        }
    }

    /// Ten copies of one answer sent at the same moment: the challenge is spent by one of them.
    @Test func oneChallengeSignsInOnceWhenItsAnswerArrivesManyTimesAtOnce() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                let challenge = try await Self.challenge(&browser)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment)
                let sender = browser
                let locations = try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<10 {
                        group.addTask {
                            var copy = sender
                            return try await copy.post("/login/passkey", [("credential", credential)]).headers[.location]
                        }
                    }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(locations.filter { $0 == "/" }.count == 1)
                #expect(locations.filter { $0 == Self.refused }.count == 9)
                #expect(try await environment.store.auditEvents(userID: alice.id, kind: "sign_in", limit: 10, offset: 0).count == 1)
            }
        }
    }

    /// A challenge answers only in the browser that asked for it: another browser's ceremony
    /// cookie does not spend it, and without one nothing is even looked up.
    @Test func aChallengeBelongsToTheBrowserThatAskedForIt() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var asking = Browser(client)
                let challenge = try await Self.challenge(&asking)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment)
                var other = Browser(client)
                _ = try await Self.challenge(&other)
                #expect(try await other.post("/login/passkey", [("credential", credential)]).headers[.location] == Self.refused)
                var cookieless = Browser(client)
                try await cookieless.get("/login")
                #expect(try await cookieless.post("/login/passkey", [("credential", credential)]).headers[.location] == Self.refused)
                // The challenge is still there for the browser it was shown to.
                #expect(try await asking.post("/login/passkey", [("credential", credential)]).headers[.location] == "/")
            }
        }
    }

    /// Answers that are not a credential (not JSON, too long, fields missing or not base64url)
    /// are refused with the page's message, and change nothing: the challenge stays for the real
    /// answer, no attempt is charged, no session begins.
    @Test func badAnswersAreRefusedAndChangeNothing() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                let challenge = try await Self.challenge(&browser)
                for bad in ["", "not json", "[1,2]", #"{"id":"!!"}"#, String(repeating: "a", count: 20_000), #"{"clientDataJSON":"%%%"}"#] {
                    #expect(try await browser.post("/login/passkey", [("credential", bad)]).headers[.location] == Self.refused)
                }
                #expect(browser.sessionCookie == nil)
                #expect(try await environment.store.attempt(scope: .account, key: "alice") == nil)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment)
                #expect(try await browser.post("/login/passkey", [("credential", credential)]).headers[.location] == "/")
            }
        }
    }

    /// The user handle the authenticator returns must be the passkey's own user's.
    @Test func aUserHandleThatIsNotThePasskeysUserIsRefused() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let bob = try await environment.createUser("bob")
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                let challenge = try await Self.challenge(&browser)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: bob.id, environment: environment)
                #expect(try await browser.post("/login/passkey", [("credential", credential)]).headers[.location] == Self.refused)
                #expect(browser.sessionCookie == nil)
            }
        }
    }

    /// An account that must wait after failed passwords waits for a passkey too.
    @Test func aLockedAccountWaitsForItsPasskeyToo() async throws {
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "2"]) { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                try await browser.get("/login")
                for _ in 0..<3 { try await browser.post("/login", [("username", "alice"), ("password", "wrong")]) }
                #expect(try await environment.store.attempt(scope: .account, key: "alice")?.lockedUntil != nil)
                let challenge = try await Self.challenge(&browser)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment)
                #expect(try await browser.post("/login/passkey", [("credential", credential)]).headers[.location] == Self.refused)
                #expect(browser.sessionCookie == nil)
            }
        }
    }

    /// The administrators' switch: off, the login page offers no passkey and both endpoints are
    /// gone; on again, the page offers it again (the page shared between visitors follows).
    @Test func anAdministratorTurnsPasswordlessSignInOffAndOn() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            try await environment.application().test(.router) { client in
                var authenticator = made
                var admin = Browser(client)
                try await admin.get("/login")
                try await admin.post("/login", [("username", "root"), ("password", "correct horse battery")])
                let system = try await admin.get("/admin/system")
                #expect(system.text.contains(#"id="passwordless-switch""#))
                #expect(try await admin.post("/admin/system/passwordless", []).headers[.location] == "/admin/system?passwordless=saved")
                #expect(try await admin.get("/admin/system?passwordless=saved").text.contains("Passwordless sign-in was switched"))
                let changes = try await environment.store.auditEvents(userID: nil, kind: "passwordless_changed", limit: 10, offset: 0)
                #expect(changes.map(\.detail) == ["off"])

                var browser = Browser(client)
                #expect(!(try await browser.get("/login").text.contains("passwordless-form")))
                #expect(try await browser.post("/login/passkey/options", []).status == .notFound)
                // No challenge can be had: an answer to a made-up one stands for any.
                let madeUp = [UInt8](repeating: 1, count: 32)
                let credential = try Self.assertion(&authenticator, challenge: madeUp, userHandle: alice.id, environment: environment)
                #expect(try await browser.post("/login/passkey", [("credential", credential)]).status == .notFound)

                try await admin.get("/admin/system")
                try await admin.post("/admin/system/passwordless", [("passwordless", "on")])
                #expect(try await browser.get("/login").text.contains("passwordless-form"))
                _ = try await Self.challenge(&browser)
            }
        }
    }

    /// An OpenID client learns that the user signed in with a verified passkey, not a password.
    @Test func theOpenIDProviderReportsAPasswordlessSignIn() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            let made = try await Self.passkey(for: alice, in: environment)
            let party = try await TestRelyingParty.register(environment)
            let pkce = TestRelyingParty.pkce()
            try await environment.application().test(.router) { client in
                var authenticator = made
                var browser = Browser(client)
                let challenge = try await Self.challenge(&browser)
                let credential = try Self.assertion(&authenticator, challenge: challenge, userHandle: alice.id, environment: environment)
                #expect(try await browser.post("/login/passkey", [("credential", credential)]).headers[.location] == "/")
                let code = try #require(redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge)))["code"])
                let tokens = try json(try await party.exchange(client, code: code, verifier: pkce.verifier))
                let claims = try await verifiedIDToken(try #require(tokens["id_token"] as? String), client: client)
                #expect(claims.amr == ["hwk", "user", "mfa"] && claims.acr == "urn:sekisho:acr:2fa")
            }
        }
    }
}
