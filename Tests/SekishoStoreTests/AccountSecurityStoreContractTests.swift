import Foundation
import SekishoCore
import SekishoStore
import Testing

/// The store's part of account security (issue #16): the sessions list, known browsers and
/// remembered browsers, on SQLite and PostgreSQL alike.
@Suite struct AccountSecurityStoreContractTests {
    private func session(
        _ idHash: String,
        user: User,
        _ state: SessionRecord.State = .signedIn,
        seen: TimeInterval = 0,
        agent: String = ""
    )
        -> SessionRecord
    {
        SessionRecord(
            idHash: idHash,
            userID: user.id,
            state: state,
            createdAt: epoch,
            lastSeenAt: epoch.addingTimeInterval(seen),
            expiresAt: epoch.addingTimeInterval(3600),
            authenticatedAt: epoch,
            clientAddress: "192.0.2.7",
            userAgent: agent
        )
    }

    /// Two hashes that share no prefix, so that handles tell them apart.
    private let hashA = String(repeating: "a", count: 64)
    private let hashB = String(repeating: "b", count: 64)
    private let hashC = String(repeating: "c", count: 64)
    private let hashD = String(repeating: "d", count: 64)

    @Test(arguments: StoreKind.allCases)
    func theSessionsListHoldsOnlyTheUsersSignedInSessionsWithTheirBrowser(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            try await store.createSession(session(hashA, user: alice, seen: 10, agent: "Firefox/128.0"), replacing: nil, effects: .none)
            try await store.createSession(session(hashB, user: alice, seen: 20, agent: "Chrome/140.0"), replacing: nil, effects: .none)
            try await store.createSession(session(hashC, user: alice, .awaitingSecondFactor), replacing: nil, effects: .none)
            try await store.createSession(session(hashD, user: bob), replacing: nil, effects: .none)

            let listed = try await store.signedInSessions(userID: alice.id)
            #expect(listed.map(\.idHash) == [hashB, hashA])
            #expect(listed.map(\.userAgent) == ["Chrome/140.0", "Firefox/128.0"])
            #expect(try await store.session(idHash: hashA)?.userAgent == "Firefox/128.0")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aHandleEndsOnlyASessionOfItsOwnUser(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            try await store.createSession(session(hashA, user: alice), replacing: nil, effects: .none)
            try await store.createSession(session(hashB, user: bob), replacing: nil, effects: .none)
            let audit = SideEffects(audit: [NewAuditEvent(kind: "session_ended", subjectUserID: alice.id, username: "alice")])

            // Bob's session, named by alice: nothing ends, nothing is written.
            #expect(try await store.endSession(userID: alice.id, handle: String(hashB.prefix(16)), at: epoch, effects: audit) == false)
            #expect(try await store.session(idHash: hashB) != nil)
            // A shorter prefix never matches, however many sessions it would name.
            #expect(try await store.endSession(userID: alice.id, handle: "a", at: epoch, effects: audit) == false)
            #expect(try await store.auditEvents(userID: alice.id, kind: "session_ended", limit: 10, offset: 0).isEmpty)

            #expect(try await store.endSession(userID: alice.id, handle: String(hashA.prefix(16)), at: epoch, effects: audit))
            #expect(try await store.session(idHash: hashA) == nil)
            #expect(try await store.auditEvents(userID: alice.id, kind: "session_ended", limit: 10, offset: 0).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func endingTheOtherSessionsKeepsExactlyTheOneNamed(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            for hash in [hashA, hashB, hashC] { try await store.createSession(session(hash, user: alice), replacing: nil, effects: .none) }
            try await store.createSession(session(hashD, user: bob), replacing: nil, effects: .none)

            #expect(try await store.endSessions(userID: alice.id, keeping: hashB, at: epoch, effects: .none) == 2)
            #expect(try await store.signedInSessions(userID: alice.id).map(\.idHash) == [hashB])
            #expect(try await store.session(idHash: hashD) != nil)
            #expect(try await store.endSessions(userID: alice.id, keeping: nil, at: epoch, effects: .none) == 1)
            #expect(try await store.signedInSessions(userID: alice.id).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aNewBrowserNoticeIsWrittenOncePerBrowserAndNeverForTheFirstBrowser(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            let notice = SideEffects(mails: [NewOutboxMail(recipient: "alice@example.com", subject: "New sign-in", textBody: "…")])

            // The account's first browser: its first sign-in ever.
            #expect(try await store.recordKnownBrowser(userID: alice.id, browserHash: hashA, at: epoch, effectsIfNew: notice) == false)
            #expect(try await store.recordKnownBrowser(userID: alice.id, browserHash: hashA, at: epoch, effectsIfNew: notice) == false)
            #expect(try await store.outboxMails(limit: 10).isEmpty)
            // A second browser: once.
            #expect(try await store.recordKnownBrowser(userID: alice.id, browserHash: hashB, at: epoch, effectsIfNew: notice))
            #expect(try await store.recordKnownBrowser(userID: alice.id, browserHash: hashB, at: epoch, effectsIfNew: notice) == false)
            #expect(try await store.outboxMails(limit: 10).count == 1)
            // Known to alice is not known to bob: his first browser, whichever it is.
            #expect(try await store.recordKnownBrowser(userID: bob.id, browserHash: hashB, at: epoch, effectsIfNew: notice) == false)
        }
    }

    private func remembered(_ hash: String, user: User, days: Double = 30) -> RememberedBrowser {
        RememberedBrowser(
            tokenHash: hash,
            userID: user.id,
            userAgent: "Firefox/128.0",
            clientAddress: "192.0.2.7",
            createdAt: epoch,
            expiresAt: epoch.addingTimeInterval(days * 86_400)
        )
    }

    @Test(arguments: StoreKind.allCases)
    func aRememberedBrowserStartsASessionOnlyForItsUserAndOnlyUntilItExpires(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            try await store.rememberBrowser(remembered(hashA, user: alice, days: 1), effects: .none)
            func start(_ idHash: String, _ user: User) -> SessionStart { SessionStart(session(idHash, user: user), replacing: nil) }
            let audit = SideEffects(audit: [NewAuditEvent(kind: "sign_in", subjectUserID: alice.id, username: "alice", detail: "remembered_browser")])

            // Bob's sign-in with alice's remembered browser: no session, nothing written.
            #expect(
                try await store.useRememberedBrowser(tokenHash: hashA, userID: bob.id, at: epoch, startingSession: start(hashB, bob), effects: audit)
                    == false
            )
            #expect(try await store.session(idHash: hashB) == nil)
            #expect(try await store.auditEvents(userID: alice.id, kind: "sign_in", limit: 10, offset: 0).isEmpty)
            // An unknown browser.
            #expect(
                try await store.useRememberedBrowser(
                    tokenHash: hashD,
                    userID: alice.id,
                    at: epoch,
                    startingSession: start(hashB, alice),
                    effects: audit
                ) == false
            )

            let later = epoch.addingTimeInterval(3600)
            #expect(
                try await store.useRememberedBrowser(
                    tokenHash: hashA,
                    userID: alice.id,
                    at: later,
                    startingSession: start(hashC, alice),
                    effects: audit
                )
            )
            #expect(try await store.session(idHash: hashC)?.state == .signedIn)
            #expect(try await store.auditEvents(userID: alice.id, kind: "sign_in", limit: 10, offset: 0).count == 1)
            #expect(try await store.rememberedBrowsers(userID: alice.id, at: later).first?.lastUsedAt == later)

            // A day later it has expired: refused, and no longer listed.
            let expired = epoch.addingTimeInterval(86_400)
            #expect(
                try await store.useRememberedBrowser(
                    tokenHash: hashA,
                    userID: alice.id,
                    at: expired,
                    startingSession: start(hashD, alice),
                    effects: .none
                ) == false
            )
            #expect(try await store.session(idHash: hashD) == nil)
            #expect(try await store.rememberedBrowsers(userID: alice.id, at: expired).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func rememberedBrowsersAreForgottenByANewPasswordAResetAndTwoFactorOffButNotByARehash(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            func rememberBoth() async throws {
                try await store.rememberBrowser(remembered(String(UUID().uuidString.prefix(8)) + hashA, user: alice), effects: .none)
                try await store.rememberBrowser(remembered(String(UUID().uuidString.prefix(8)) + hashB, user: bob), effects: .none)
            }
            func count(_ user: User) async throws -> Int { try await store.rememberedBrowsers(userID: user.id, at: epoch).count }

            try await rememberBoth()
            try await store.upgradePasswordHash(userID: alice.id, hash: "$argon2id$stronger", at: epoch)
            #expect(try await count(alice) == 1)
            try await store.updatePasswordHash(userID: alice.id, hash: "$argon2id$new", at: epoch, effects: .none)
            #expect(try await count(alice) == 0)
            #expect(try await count(bob) == 1)

            try await rememberBoth()
            try await store.removeBinding(userID: alice.id, at: epoch, effects: .none)
            #expect(try await count(alice) == 0)

            try await rememberBoth()
            try await store.setTwoFactorEnabled(userID: alice.id, enabled: true, at: epoch, effects: .none)
            #expect(try await count(alice) == 1)
            try await store.setTwoFactorEnabled(userID: alice.id, enabled: false, at: epoch, effects: .none)
            #expect(try await count(alice) == 0)

            try await rememberBoth()
            #expect(
                try await store.updateProfile(
                    userID: alice.id,
                    displayName: "Alice",
                    email: "alice@example.com",
                    role: .user,
                    twoFactorEnabled: false,
                    at: epoch,
                    effects: .none
                )
            )
            #expect(try await count(alice) == 0)

            try await rememberBoth()
            try await rememberBoth()
            #expect(try await store.forgetRememberedBrowsers(userID: alice.id, at: epoch, effects: .none) == 2)
            #expect(try await count(bob) == 6)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRememberedBrowserIsForgottenByItsOwnUsersHandleOnly(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            try await store.rememberBrowser(remembered(hashA, user: alice), effects: .none)
            let handle = String(hashA.prefix(16))
            #expect(try await store.forgetRememberedBrowser(userID: bob.id, handle: handle, at: epoch, effects: .none) == false)
            #expect(try await store.rememberedBrowsers(userID: alice.id, at: epoch).map(\.handle) == [handle])
            #expect(try await store.forgetRememberedBrowser(userID: alice.id, handle: handle, at: epoch, effects: .none))
            #expect(try await store.rememberedBrowsers(userID: alice.id, at: epoch).isEmpty)
        }
    }
}
