import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoCore
import SekishoStore
import Testing

@testable import SekishoServer

/// Several authenticator apps per account (issue #15 item 3): one more app added from the
/// dashboard after the password and one code from it, beside the first; both sign in, each code
/// once; renamed and removed; the last one removed is a reset; administrators see and remove a
/// user's authenticators.
@Suite struct AuthenticatorAppsTests {
    /// From the dashboard of a signed-in `browser`: the password, then the new app's page, then
    /// its code. Returns the new app's key.
    static func addApp(_ environment: TestEnvironment, _ browser: inout Browser, name: String) async throws -> String {
        // A second later than the first app, which makes it the second in the order apps are listed and checked in.
        environment.clock.advance(by: 1)
        try await browser.get("/")
        let page = try await browser.post("/account/authenticators/app/new", [("password", "correct horse battery")])
        guard page.status == .ok, let key = browser.manualKey else { throw BrowserError("no new app page: \(page.status)") }
        let done = try await browser.post("/account/authenticators/app", [("name", name), ("code", try environment.code(for: key))])
        guard done.headers[.location] == "/?authenticator=app_added" else { throw BrowserError("app not added: \(browser.errorMessage ?? "")") }
        return key
    }

    @Test func aSecondAppIsAddedBesideTheFirstAndEachSignsInWithEachCodeOnce() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let first = try await environment.signInAndEnroll(&browser)
                try await browser.get("/")
                let session = browser.sessionCookie
                environment.clock.advance(by: 1)

                // A wrong password shows no key and stores nothing.
                let refused = try await browser.post("/account/authenticators/app/new", [("password", "wrong")])
                #expect(refused.headers[.location] == "/?authenticator=wrong_password")
                try await browser.get(try #require(refused.headers[.location]))
                #expect(browser.errorMessage?.contains("wrong") == true || browser.lastPage.contains("class=\"error\""))

                try await browser.get("/")
                let page = try await browser.post("/account/authenticators/app/new", [("password", "correct horse battery")])
                #expect(page.status == .ok && page.text.contains(#"id="qr"><svg"#))
                let second = try #require(browser.manualKey)
                #expect(second.count == 24 && second != first)
                // A wrong code shows the same key again and adds nothing; so does an empty name.
                try await browser.post("/account/authenticators/app", [("name", "Tablet"), ("code", "000000")])
                #expect(browser.manualKey == second && browser.errorMessage != nil)
                try await browser.post("/account/authenticators/app", [("name", "   "), ("code", try environment.code(for: second))])
                #expect(browser.manualKey == second && browser.errorMessage?.contains("1 to 64") == true)
                #expect(try await environment.store.bindings(userID: user.id).count == 1)

                let added = try await browser.post(
                    "/account/authenticators/app",
                    [("name", " Tablet "), ("code", try environment.code(for: second))]
                )
                #expect(added.headers[.location] == "/?authenticator=app_added")
                let apps = try await environment.store.bindings(userID: user.id)
                #expect(apps.count == 2 && apps.map(\.name) == ["", "Tablet"])
                #expect(apps[1].id.hasPrefix("app-") && Int64(apps[1].id) == nil)
                // The others, the recovery codes and the session stay.
                #expect(try await environment.store.unusedRecoveryCodeCount(userID: user.id) == 10)
                #expect(browser.sessionCookie == session)
                let dashboard = try await browser.get("/?authenticator=app_added")
                #expect(dashboard.status == .ok && dashboard.text.contains("The authenticator app was added."))
                #expect(dashboard.text.contains("Tablet") && dashboard.text.contains("Authenticator app"))
                let notices = try await environment.store.outboxMails(limit: 10).filter { $0.subject.contains("An authenticator was added") }
                #expect(notices.count == 2 && notices.contains { $0.textBody.contains("(Tablet)") })
                #expect(try await environment.store.auditEvents(userID: user.id, kind: "authenticator_app_added", limit: 10, offset: 0).count == 1)

                // Both apps sign in; the next step, since each code used so far is spent.
                environment.clock.advance(by: 30)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                let fromFirst = try environment.code(for: first)
                #expect(try await browser.post("/login/verify", [("code", fromFirst)]).headers[.location] == "/")
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                let fromSecond = try environment.code(for: second)
                #expect(try await browser.post("/login/verify", [("code", fromSecond)]).headers[.location] == "/")
                // Each code once: the second app's code again is a replay, refused and logged.
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", fromSecond)]).headers[.location] == nil)
                #expect(try await browser.post("/login/verify", [("code", fromFirst)]).headers[.location] == nil)
                #expect(try await environment.store.auditEvents(userID: user.id, kind: "code_replay_refused", limit: 10, offset: 0).count == 2)
                let used = try await environment.store.bindings(userID: user.id)
                #expect(used.allSatisfy { $0.lastUsedAt == environment.clock.now() })
                let signIns = try await environment.store.auditEvents(userID: user.id, kind: "sign_in", limit: 10, offset: 0).map(\.detail)
                #expect(signIns.contains("totp: Tablet") && signIns.contains("totp"))
            }
        }
    }

    /// Two apps that share a secret (one QR code scanned twice) give the same codes: of twenty
    /// sign-ins sending the same code at once, one is accepted, and the code is never accepted by
    /// the other app afterwards.
    @Test func aCodeTwoAppsShareIsAcceptedOnceEvenInABurst() async throws {
        // The nineteen refused replays must not lock the account before the last check.
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "100", "lockout.address_free_failures": "1000"]) { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                let first = try #require(try await environment.store.binding(userID: user.id))
                let box = environment.dependencies.secretBox
                let id = EnrollmentService.newBindingID()
                let pending = PendingEnrollment(
                    id: "copy",
                    userID: user.id,
                    sessionIDHash: "elsewhere",
                    sealedSecret: Data([0]),
                    algorithm: "SHA1",
                    digits: 6,
                    period: 30,
                    createdAt: environment.clock.now(),
                    expiresAt: environment.clock.now().addingTimeInterval(600)
                )
                try await environment.store.savePendingEnrollment(pending)
                let copy = TOTPBinding(
                    id: id,
                    userID: user.id,
                    name: "Copy",
                    sealedSecret: Data(try box.seal(try Base32.decode(key), context: EnrollmentService.bindingContext(id))),
                    algorithm: "SHA1",
                    digits: 6,
                    period: 30,
                    lastStep: first.lastStep,
                    confirmedAt: environment.clock.now().addingTimeInterval(1)
                )
                #expect(try await environment.store.addBinding(enrollmentID: "copy", binding: copy, maximumApps: 3, effects: .none) == .added)
                environment.clock.advance(by: 30)
                try await browser.signOut()
                var browsers: [Browser] = []
                for _ in 0..<20 {
                    var other = Browser(client)
                    try await environment.signInToCodePage(&other)
                    browsers.append(other)
                }
                let code = try environment.code(for: key)
                let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for start in browsers {
                        group.addTask {
                            var guesser = start
                            return try await guesser.post("/login/verify", [("code", code)]).headers[.location] == "/"
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(accepted == 1)
                let apps = try await environment.store.bindings(userID: user.id)
                #expect(apps.filter { $0.lastUsedAt != nil }.count == 1, "only one app spent the code")
                // Later, the same code is still refused: the app whose code it is decides.
                var late = Browser(client)
                try await environment.signInToCodePage(&late)
                #expect(try await late.post("/login/verify", [("code", code)]).headers[.location] == nil)
            }
        }
    }

    @Test func renamingChecksTheNameAndRemovingOneOfTwoKeepsTheOther() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let second = try await Self.addApp(environment, &browser, name: "Tablet")
                let firstID = try #require(try await environment.store.binding(userID: user.id)?.id)
                try await browser.get("/")
                #expect(browser.lastPage.contains(#"href="/account/authenticators/app/\#(firstID)/rename""#))
                let form = try await browser.get("/account/authenticators/app/\(firstID)/rename")
                #expect(form.status == .ok && form.text.contains(#"id="authenticator-name""#))
                for bad in ["   ", String(repeating: "x", count: 65), "tab\there"] {
                    let answer = try await browser.post("/account/authenticators/app/\(firstID)/rename", [("name", bad)])
                    #expect(answer.status == .badRequest && browser.errorMessage?.contains("1 to 64") == true)
                }
                #expect(try await environment.store.binding(userID: user.id)?.name == "")
                let renamed = try await browser.post("/account/authenticators/app/\(firstID)/rename", [("name", "  Old phone  ")])
                #expect(renamed.headers[.location] == "/?authenticator=renamed")
                #expect(try await environment.store.binding(userID: user.id)?.name == "Old phone")
                #expect(try await environment.store.auditEvents(userID: user.id, kind: "authenticator_renamed", limit: 10, offset: 0).count == 1)

                let removed = try await browser.post("/account/authenticators/app/\(firstID)/remove", [])
                #expect(removed.headers[.location] == "/?authenticator=removed")
                #expect(try await environment.store.bindings(userID: user.id).map(\.name) == ["Tablet"])
                #expect(try await browser.get("/").status == .ok, "still signed in")
                let mail = try await environment.store.outboxMails(limit: 20).first { $0.subject.contains("An authenticator was removed") }
                #expect(mail?.textBody.contains("Old phone") == true)
                // The remaining app signs in.
                environment.clock.advance(by: 30)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", try environment.code(for: second))]).headers[.location] == "/")
            }
        }
    }

    @Test func removingTheLastAuthenticatorIsAResetAndTheNextSignInEnrolls() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let id = try #require(try await environment.store.binding(userID: user.id)?.id)
                try await browser.get("/")
                let answer = try await browser.post("/account/authenticators/app/\(id)/remove", [])
                #expect(answer.status == .ok)
                #expect(answer.text.contains("two-factor authentication was reset"))
                #expect(browser.sessionCookie == nil, "the session's cookie went with it")
                #expect(try await environment.store.hasAuthenticator(userID: user.id) == false)
                #expect(try await environment.store.unusedRecoveryCodeCount(userID: user.id) == 0)
                let mails = try await environment.store.outboxMails(limit: 20)
                #expect(mails.contains { $0.subject.contains("The last authenticator was removed") })
                #expect(try await environment.store.auditEvents(userID: user.id, kind: "last_authenticator_removed", limit: 10, offset: 0).count == 1)
                try await browser.get("/login")
                let signIn = try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                #expect(signIn.headers[.location] == "/login/enroll")
            }
        }
    }

    @Test func anotherUsersAuthenticatorIsNotFound() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            try await environment.createUser("bob")
            try await environment.application().test(.router) { client in
                var aliceBrowser = Browser(client)
                _ = try await environment.signInAndEnroll(&aliceBrowser)
                var bob = Browser(client)
                _ = try await environment.signInAndEnroll(&bob, user: "bob")
                try await bob.get("/")
                let id = try #require(try await environment.store.binding(userID: alice.id)?.id)
                #expect(try await bob.post("/account/authenticators/app/\(id)/remove", []).status == .notFound)
                #expect(try await bob.post("/account/authenticators/app/\(id)/rename", [("name", "Mine")]).status == .notFound)
                #expect(try await environment.store.binding(userID: alice.id)?.name == "")
            }
        }
    }

    @Test func administratorsSeeAndRemoveAUsersAuthenticators() async throws {
        try await TestEnvironment.with { environment in
            let root = try await environment.createUser("root", twoFactor: false, role: .admin)
            let alice = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var aliceBrowser = Browser(client)
                _ = try await environment.signInAndEnroll(&aliceBrowser)
                _ = try await Self.addApp(environment, &aliceBrowser, name: "Tablet")
                let key = try await environment.store.addPasskey(
                    Passkey(
                        userID: alice.id,
                        credentialID: Data([1, 2, 3]),
                        publicKey: Data([0xA5]),
                        algorithm: -7,
                        signCount: 3,
                        name: "YubiKey",
                        createdAt: environment.clock.now()
                    ),
                    effects: .none
                )
                try await environment.store.recordPasskeyCounterRegression(id: key.id, at: environment.clock.now(), effects: .none)

                var admin = Browser(client)
                try await admin.get("/login")
                #expect(try await admin.post("/login", [("username", "root"), ("password", "correct horse battery")]).headers[.location] == "/")
                let page = try await admin.get("/admin/users/\(alice.id)")
                #expect(page.text.contains("Tablet") && page.text.contains("YubiKey") && page.text.contains("Authenticator app"))
                #expect(page.text.contains(#"class="badge off counter-regressions">1<"#))
                let japanese = try await admin.get("/admin/users/\(alice.id)", headers: [.acceptLanguage: "ja"])
                #expect(japanese.text.contains("認証手段") && japanese.text.contains("カウンター逆行"))

                let tablet = try #require(try await environment.store.bindings(userID: alice.id).first { $0.name == "Tablet" })
                let removed = try await admin.post("/admin/users/\(alice.id)/authenticators/app/\(tablet.id)/remove", [])
                #expect(removed.headers[.location] == "/admin/users/\(alice.id)?authenticator_removed=1")
                let event = try #require(
                    try await environment.store.auditEvents(userID: alice.id, kind: "authenticator_app_removed", limit: 10, offset: 0).first
                )
                #expect(event.actorUserID == root.id && event.detail == "Tablet by root")
                #expect(try await aliceBrowser.get("/").status == .ok, "alice keeps her session")

                let first = try #require(try await environment.store.binding(userID: alice.id))
                #expect(
                    try await admin.post("/admin/users/\(alice.id)/authenticators/app/\(first.id)/remove", []).headers[.location]
                        == "/admin/users/\(alice.id)?authenticator_removed=1"
                )
                #expect(
                    try await admin.post("/admin/users/\(alice.id)/authenticators/passkey/\(key.id)/remove", []).headers[.location]
                        == "/admin/users/\(alice.id)?authenticator_reset=1"
                )
                try await admin.get("/admin/users/\(alice.id)?authenticator_reset=1")
                #expect(admin.lastPage.contains("last authenticator"))
                #expect(try await environment.store.hasAuthenticator(userID: alice.id) == false)
                #expect(try await aliceBrowser.get("/").headers[.location] == "/login", "the reset ended her sessions")
                #expect(try await admin.post("/admin/users/\(alice.id)/authenticators/passkey/\(key.id)/remove", []).status == .notFound)
            }
        }
    }

    /// Each app adds its window's codes to what a guess can hit: an account has only as many apps
    /// as keep an attacker's chance in a day (README, "Security") below 0.1 %.
    @Test func theMostAppsKeepTheLockoutsBound() async throws {
        #expect(AuthenticatorService.maximumApps(window: 1, guessesPerDay: 104) == 3)
        #expect(AuthenticatorService.maximumApps(window: 2, guessesPerDay: 104) == 1)
        #expect(AuthenticatorService.maximumApps(window: 0, guessesPerDay: 104) == 9)
        try await TestEnvironment.with { environment in
            let limiter = environment.dependencies.configuration.lockout
            let policy = LockoutPolicy(freeFailures: limiter.freeFailures, baseDelay: limiter.baseDelay, maxDelay: limiter.maxDelay)
            // The defaults: 104 guesses a day, a window of ±1, so 3 apps.
            #expect(policy.maximumAttempts(within: 86_400) == 104)
            #expect(environment.dependencies.configuration.totp.window == 1)
        }
    }
}
