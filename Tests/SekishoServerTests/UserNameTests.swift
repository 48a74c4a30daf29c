import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoStore
import Testing

@testable import SekishoServer

/// User IDs under PRECIS UsernameCaseMapped (RFC 8265) with the look-alike rules of UTS #39 (issue 18, item 9).
@Suite struct UserNameTests {
    @Test(arguments: [
        ("ａｌｉｃｅ", "alice"), ("ＡＬＩＣＥ", "alice"), ("Alice", "alice"), (" alice ", "alice"), ("ﾔﾏﾀﾞ", "ヤマダ"),
        ("e\u{301}mile", "émile"), ("ＴＡＮＡＫＡ１２３", "tanaka123"),
    ])
    func widthCaseAndCompositionAreOneName(typed: String, stored: String) {
        #expect(UserName.normalize(typed) == stored)
    }

    @Test(arguments: ["alice", "bob.smith@example", "山田たろう", "やまだ", "ヤマダー", "tanaka太郎", "émile", "иван", "ελένη", "김철수"])
    func plainNamesInOneWritingSystemAreAccepted(name: String) throws {
        try UserName.check(UserName.normalize(name))
    }

    @Test func lookAlikesAreRefusedWithTheReason() {
        #expect(throws: UserName.Refusal.mixedScripts(["Cyrl", "Latn"])) { try UserName.check(UserName.normalize("аlice")) }
        #expect(throws: UserName.Refusal.looksLike("alice")) { try UserName.check(UserName.normalize("alıce")) }
        #expect(throws: UserName.Refusal.character("𝐚")) { try UserName.check(UserName.normalize("𝐚lice")) }
        #expect(throws: UserName.Refusal.looksLike("ace")) { try UserName.check(UserName.normalize("асе")) }  // all Cyrillic
        #expect(throws: UserName.Refusal.invalid) { try UserName.check(UserName.normalize("al ice")) }
        #expect(throws: UserName.Refusal.invalid) { try UserName.check(UserName.normalize("alice:x")) }
        #expect(throws: UserName.Refusal.character("①")) { try UserName.check(UserName.normalize("user①")) }
        #expect(UserName.looksAlike("へいわ", "ヘいわ"))
        #expect(!UserName.looksAlike("bob1", "bobl"))
    }

    @Test func lookAlikesOfEveryKindAreRefusedNextToAlice() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            for name in ["ａｌｉｃｅ", "аlice", "alıce", "𝐚lice", "ALICE"] {
                await #expect(throws: UserService.Refusal.self, "\(name)") { try await environment.createUser(name) }
            }
            try await environment.createUser("へいわ")
            let refusal = await #expect(throws: UserService.Refusal.self) { try await environment.createUser("ヘいわ") }
            #expect(refusal?.userID == .confusableWith("へいわ"))
            #expect(try await environment.store.userCount() == 2)
        }
    }

    @Test(arguments: [("en", "mixes writing systems (Cyrillic, Latin)"), ("ja", "複数の文字体系（キリル文字、ラテン文字）が混在")])
    func theAdminPageSaysWhyInTheReadersLanguage(language: String, words: String) async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "root"), ("password", "correct horse battery")])
                try await browser.get("/admin/users/new?lang=\(language)")
                try await browser.post(
                    "/admin/users/new?lang=\(language)",
                    [("username", "аlice"), ("email", "a@example.com"), ("role", "user"), ("password", "correct horse battery")]
                )
                #expect(browser.errorMessage?.contains(words) == true, "\(browser.errorMessage ?? browser.lastPage)")
                #expect(try await environment.store.userCount() == 1)
            }
        }
    }

    @Test func fullwidthTypingSignsInTheSameAccount() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("alice", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let response = try await browser.post("/login", [("username", "ＡＬＩＣＥ"), ("password", "correct horse battery")])
                #expect(response.headers[.location] == "/")
            }
        }
    }

    /// A name stored in the old form (lower case and NFC only) is moved to the enforced form and keeps signing in;
    /// one that now equals another account's name is left alone with a warning.
    @Test func storedNamesMoveToTheEnforcedFormAtStartUp() async throws {
        try await TestEnvironment.with { environment in
            let hash = try await environment.hasher.hash("correct horse battery")
            func legacy(_ name: String) async throws -> User {
                try await environment.store.createUser(
                    NewUser(username: name, displayName: name, email: "x@example.com", role: .user, passwordHash: hash, twoFactorEnabled: false),
                    at: environment.clock.now(),
                    effects: .none
                )
            }
            let bob = try await legacy("ｂｏｂ")
            let alice = try await legacy("alice")
            let twin = try await legacy("ａｌｉｃｅ")
            let logs = LogCapture()
            try await UserNameMigration.run(store: environment.store, clock: environment.clock, logger: logs.logger())
            #expect(try await environment.store.user(username: "bob")?.id == bob.id)
            #expect(try await environment.store.user(username: "alice")?.id == alice.id)
            #expect(try await environment.store.user(id: twin.id)?.username == "ａｌｉｃｅ")
            #expect(logs.messages(at: .warning).contains { $0.contains("ａｌｉｃｅ and alice are the same name") }, "\(logs.text)")
            #expect(try await environment.store.auditEvents(userID: bob.id, kind: "user_renamed", limit: 5, offset: 0).count == 1)

            // Running again changes nothing more.
            try await UserNameMigration.run(store: environment.store, clock: environment.clock, logger: logs.logger())
            #expect(try await environment.store.auditEvents(userID: nil, kind: "user_renamed", limit: 5, offset: 0).count == 1)

            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let response = try await browser.post("/login", [("username", "ｂｏｂ"), ("password", "correct horse battery")])
                #expect(response.headers[.location] == "/")
            }
        }
    }

    @Test func remoteHeadersCarryOnlyPrintableASCII() async throws {
        try await TestEnvironment.with(overrides: ForwardAuthTests.overrides()) { environment in
            _ = try await environment.dependencies.userService.create(
                username: "山田",
                displayName: "山田 太郎 (100%)",
                email: "taro@example.com",
                role: .user,
                password: "correct horse battery",
                twoFactorEnabled: true
            )
            try await environment.application().test(.live) { client in
                var browser = ForwardAuthTests.browser(client)
                _ = try await environment.signInAndEnroll(&browser, user: "山田")
                let response = try await browser.get(ForwardAuthTests.forwardAuth, headers: ForwardAuthTests.forwarded("https://app.example.com/"))
                #expect(response.status == .ok)
                let user = try #require(response.headers[HTTPField.Name("Remote-User")!])
                let name = try #require(response.headers[HTTPField.Name("Remote-Name")!])
                #expect(user == "%E5%B1%B1%E7%94%B0")
                #expect(name == "%E5%B1%B1%E7%94%B0 %E5%A4%AA%E9%83%8E (100%25)")
                #expect(user.removingPercentEncoding == "山田")
                #expect(name.removingPercentEncoding == "山田 太郎 (100%)")
                #expect(response.headers[HTTPField.Name("Remote-Email")!] == "taro@example.com")
            }
        }
    }
}
