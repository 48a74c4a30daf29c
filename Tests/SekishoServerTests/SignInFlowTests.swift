import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoCore
import SekishoServer
import SekishoStore
import Testing

@Suite struct SignInFlowTests {
    @Test func enrollmentShowsA24CharacterKeyAndTheQRCodeOfTheSameURI() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                #expect(
                    try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")]).headers[.location]
                        == "/login/enroll"
                )
                let page = try await browser.get("/login/enroll")
                #expect(page.status == .ok)
                let key = try #require(browser.manualKey)
                #expect(key.count == 24)
                #expect(try Base32.decode(key).count == 15)
                #expect(page.text.contains(#"id="qr"><svg"#))
                #expect(page.text.contains(#"inputmode="numeric""#) && page.text.contains(#"autocomplete="one-time-code""#))
                #expect(page.text.contains("If you cannot scan the QR code, type this key"))
                // Reloading in the same session keeps the key; the user may be mid-scan.
                try await browser.get("/login/enroll")
                #expect(browser.manualKey == key)
            }
        }
    }

    @Test func correctCodeBindsTheAuthenticatorShowsRecoveryCodesAndSignsIn() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                #expect(Set(browser.recoveryCodes).count == 10)
                #expect(try await browser.get("/").status == .ok)
                #expect(browser.lastPage.contains(#"id="username">alice<"#))
                let binding = try #require(try await environment.store.binding(userID: user.id))
                // The code used to enroll is spent.
                #expect(binding.lastStep == TOTP(secret: try Base32.decode(key)).step(at: environment.clock.now()))
                #expect(try await environment.store.unusedRecoveryCodeCount(userID: user.id) == 10)
                let kinds = try await environment.store.auditEvents(userID: user.id, kind: nil, limit: 10, offset: 0).map(\.kind)
                #expect(kinds.contains("enrollment") && kinds.contains("sign_in"))
            }
        }
    }

    @Test func wrongEnrollmentCodeKeepsTheSameKeyAndBindsNothing() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                try await browser.get("/login/enroll")
                let key = try #require(browser.manualKey)
                let wrong = String((Int(try environment.code(for: key))! + 1) % 1_000_000).leftPadded(to: 6)
                try await browser.post("/login/enroll", [("code", wrong)])
                #expect(browser.errorMessage != nil)
                #expect(browser.manualKey == key)
                #expect(try await environment.store.binding(userID: user.id) == nil)
            }
        }
    }

    /// S5: leaving before sending a correct code discards the key; the next sign-in shows a new one.
    @Test func abandonedEnrollmentIsDiscarded() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var first = Browser(client)
                try await first.get("/login")
                try await first.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                try await first.get("/login/enroll")
                let abandoned = try #require(first.manualKey)

                var second = Browser(client)
                try await second.get("/login")
                try await second.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                try await second.get("/login/enroll")
                let fresh = try #require(second.manualKey)
                #expect(fresh != abandoned)
                // The abandoned key cannot be confirmed any more, even in its own session.
                try await first.post("/login/enroll", [("code", try environment.code(for: abandoned))])
                #expect(first.recoveryCodes.isEmpty)
            }
        }
    }

    /// S7: a code accepted once is refused again, even inside its 30 seconds.
    @Test func acceptedCodeIsNeverAcceptedAgain() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                try await browser.signOut()

                environment.clock.advance(by: 30)
                let code = try environment.code(for: key)
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", code)]).headers[.location] == "/")
                try await browser.signOut()

                try await environment.signInToCodePage(&browser)
                let replay = try await browser.post("/login/verify", [("code", code)])
                #expect(replay.status == .ok)
                #expect(browser.errorMessage != nil)
                #expect(try await browser.get("/").headers[.location] == "/login/verify")
                let kinds = try await environment.store.auditEvents(userID: nil, kind: "code_replay_refused", limit: 5, offset: 0)
                #expect(kinds.count == 1)
            }
        }
    }

    /// A Japanese input method types full-width digits, and apps show codes as "123 456": both are
    /// the code, for an authenticator code as for a recovery code.
    @Test func fullWidthDigitsSpacesAndHyphensInACodeAreTheCode() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.enrollThenReturnToCodePage(&browser)
                let code = try environment.code(for: key, stepOffset: 1)
                let fullWidth = String(code.unicodeScalars.map { Character(Unicode.Scalar($0.value - 0x30 + 0xFF10)!) })
                let typed = fullWidth.prefix(3) + "\u{3000}" + fullWidth.dropFirst(3)
                #expect(try await browser.post("/login/verify", [("code", String(typed))]).headers[.location] == "/")
                #expect(try await environment.store.auditEvents(userID: nil, kind: "code_failed", limit: 5, offset: 0).isEmpty)
            }
        }
    }

    @Test func codeOfAStepBeforeTheLastAcceptedOneIsRefused() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                try await browser.signOut()
                // The next step's code (inside the ±1 window) moves last_step forward...
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 1))]).headers[.location] == "/")
                try await browser.signOut()
                // ...so the current step's code, still inside the window, is now too old.
                try await environment.signInToCodePage(&browser)
                try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 0))])
                #expect(browser.errorMessage != nil)
            }
        }
    }

    @Test func lateCodeOutsideTheWindowIsRefused() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                try await browser.signOut()
                let old = try environment.code(for: key, stepOffset: 1)
                environment.clock.advance(by: 90)
                try await environment.signInToCodePage(&browser)
                try await browser.post("/login/verify", [("code", old)])
                #expect(browser.errorMessage != nil)
            }
        }
    }

    @Test func fiftyConcurrentSubmissionsOfOneCodeHaveExactlyOneWinner() async throws {
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "100", "lockout.address_free_failures": "1000"]) { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var enroller = Browser(client)
                let key = try await environment.signInAndEnroll(&enroller)
                var browsers: [Browser] = []
                for _ in 0..<50 {
                    var browser = Browser(client)
                    try await environment.signInToCodePage(&browser)
                    browsers.append(browser)
                }
                let code = try environment.code(for: key, stepOffset: 1)
                let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for browser in browsers {
                        group.addTask {
                            var browser = browser
                            return try await browser.post("/login/verify", [("code", code)]).headers[.location] == "/"
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(accepted == 1)
            }
        }
    }

    /// The mail about a used recovery code says when three or fewer are left (issue #16): the
    /// sixth use of ten leaves four and says nothing more, the seventh leaves three and asks for a
    /// new set, in both languages.
    @Test func theMailAboutAUsedRecoveryCodeSaysWhenFewAreLeft() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let codes = browser.recoveryCodes
                try await browser.get("/")
                try await browser.signOut()
                for code in codes.prefix(7) {
                    try await environment.signInToCodePage(&browser)
                    #expect(try await browser.post("/login/verify", [("code", code)]).headers[.location] == "/")
                    try await browser.get("/")
                    try await browser.signOut()
                }
                let mails = try await environment.store.outboxMails(limit: 20).filter { $0.subject.contains("recovery code") }
                #expect(mails.count == 7)
                let low = mails.filter { $0.subject.contains("few are left") }
                #expect(low.count == 1)
                let body = try #require(low.first?.textBody)
                #expect(body.contains("Only 3 unused recovery codes are left"))
                #expect(body.contains("残り 3 個"))
            }
        }
    }

    @Test func recoveryCodeWorksOnceAndANewSetVoidsTheOld() async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let codes = browser.recoveryCodes
                try await browser.get("/")
                try await browser.signOut()

                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", codes[0])]).headers[.location] == "/")
                // The use is reported by mail, in the same transaction.
                #expect(
                    try await environment.store.outboxMails(limit: 10).contains {
                        $0.recipient == "alice@example.com" && $0.subject.contains("recovery code")
                    }
                )
                try await browser.get("/")
                #expect(browser.lastPage.contains("<strong>9</strong>"))
                try await browser.signOut()

                try await environment.signInToCodePage(&browser)
                try await browser.post("/login/verify", [("code", codes[0])])
                #expect(browser.errorMessage != nil)
                // With spaces and a dash, as people copy them, an unused code still works.
                let spaced = String(codes[1].prefix(4)) + " - " + String(codes[1].suffix(4))
                #expect(try await browser.post("/login/verify", [("code", spaced)]).headers[.location] == "/")

                try await browser.get("/")
                try await browser.post("/account/recovery-codes", [("password", "correct horse battery")])
                let fresh = browser.recoveryCodes
                #expect(fresh.count == 10 && Set(fresh).isDisjoint(with: codes))
                try await browser.get("/")
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                try await browser.post("/login/verify", [("code", codes[2])])
                #expect(browser.errorMessage != nil)
                #expect(try await browser.post("/login/verify", [("code", fresh[0])]).headers[.location] == "/")
                #expect(try await environment.store.unusedRecoveryCodeCount(userID: user.id) == 9)
            }
        }
    }

    @Test func newRecoveryCodesNeedThePassword() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let codes = browser.recoveryCodes
                try await browser.get("/")
                try await browser.post("/account/recovery-codes", [("password", "wrong password")])
                #expect(browser.recoveryCodes.isEmpty)
                #expect(browser.errorMessage != nil)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", codes[3])]).headers[.location] == "/")
            }
        }
    }

    @Test func halfWaySessionCannotReachTheDashboard() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.get("/").headers[.location] == "/login/verify")
                try await browser.post(
                    "/account/password",
                    [("current_password", "correct horse battery"), ("new_password", "x"), ("new_password_confirm", "x")]
                )
                #expect(browser.lastPage.isEmpty)
                // And the half-way state lasts five minutes.
                environment.clock.advance(by: 301)
                #expect(try await browser.get("/login/verify").headers[.location] == "/login?expired=1")
            }
        }
    }

    @Test func sessionIDChangesAtEveryStep() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                // A session id planted before sign-in (fixation) is never kept.
                browser.cookies["sekisho_session"] = OpaqueToken.generate().value
                let planted = browser.sessionCookie
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                let halfWay = try #require(browser.sessionCookie)
                #expect(halfWay != planted)
                try await browser.get("/login/enroll")
                let key = try #require(browser.manualKey)
                try await browser.post("/login/enroll", [("code", try environment.code(for: key))])
                let signedIn = try #require(browser.sessionCookie)
                #expect(signedIn != halfWay)
                // The half-way id no longer opens anything.
                var stale = Browser(client)
                stale.cookies["sekisho_session"] = halfWay
                #expect(try await stale.get("/").headers[.location] == "/login")
                try await browser.get("/")
                try await browser.signOut()
                #expect(browser.sessionCookie == nil)
                stale.cookies["sekisho_session"] = signedIn
                #expect(try await stale.get("/").headers[.location] == "/login")
            }
        }
    }

    @Test func userWithoutTwoFactorGoesStraightToTheDashboard() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login?rd=/account")
                let response = try await browser.post(
                    "/login",
                    [("username", "Bob"), ("password", "correct horse battery"), ("rd", "//evil.example/")]
                )
                #expect(response.headers[.location] == "/")
                #expect(try await browser.get("/").status == .ok)
            }
        }
    }

    @Test func passwordChangeEndsOtherSessionsAndChecksThePolicy() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var first = Browser(client)
                var second = Browser(client)
                for index in 0..<2 {
                    var browser = index == 0 ? first : second
                    try await browser.get("/login")
                    try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                    try await browser.get("/")
                    if index == 0 { first = browser } else { second = browser }
                }
                try await first.post(
                    "/account/password",
                    [("current_password", "correct horse battery"), ("new_password", "bob-is-me"), ("new_password_confirm", "bob-is-me")]
                )
                #expect(first.errorMessage != nil)
                try await first.post(
                    "/account/password",
                    [("current_password", "wrong"), ("new_password", "new secret words"), ("new_password_confirm", "new secret words")]
                )
                #expect(first.errorMessage != nil)
                try await first.post(
                    "/account/password",
                    [
                        ("current_password", "correct horse battery"), ("new_password", "new secret words"),
                        ("new_password_confirm", "new secret words"),
                    ]
                )
                #expect(first.errorMessage == nil)
                #expect(try await first.get("/").status == .ok)
                #expect(try await second.get("/").headers[.location] == "/login")
                var third = Browser(client)
                try await third.get("/login")
                #expect(try await third.post("/login", [("username", "bob"), ("password", "new secret words")]).headers[.location] == "/")
            }
        }
    }

    @Test func japaneseIsChosenByAcceptLanguageAndTheSwitch() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login", headers: [.acceptLanguage: "ja,en;q=0.5"])
                #expect(browser.lastPage.contains(#"<html lang="ja">"#))
                #expect(browser.lastPage.contains("ログイン"))
                try await browser.get("/login?lang=en", headers: [.acceptLanguage: "ja"])
                #expect(browser.lastPage.contains(#"<html lang="en">"#))
                // The switch is remembered.
                try await browser.get("/login", headers: [.acceptLanguage: "ja"])
                #expect(browser.lastPage.contains(#"<html lang="en">"#))
            }
        }
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
