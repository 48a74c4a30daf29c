import Foundation
import SekishoCore
import SekishoStore
import Testing

/// Several authenticator apps per account (issue #15), on both engines: a binding from before
/// keeps its secret and replay guard through the migration; each app has its own replay guard;
/// a step is spent once per app however many requests race through two store objects; adding an
/// app keeps the others and the recovery codes; removing the last authenticator resets, also
/// when the last two go at the same moment.
@Suite struct TOTPAppsStoreTests {
    static let box = try! SecretBox(keyBytes: Array(repeating: 7, count: 32))

    static func binding(_ id: String, userID: Int64, name: String = "", lastStep: Int64 = 100, secret: [UInt8] = [1, 2, 3]) throws -> TOTPBinding {
        TOTPBinding(
            id: id,
            userID: userID,
            name: name,
            sealedSecret: Data(try box.seal(secret, context: SealContext(table: "totp_binding", column: "sealed_secret", rowID: id))),
            algorithm: "SHA1",
            digits: 6,
            period: 30,
            lastStep: lastStep,
            confirmedAt: epoch
        )
    }

    /// Adds an app beside the user's others, through a pending enrollment of `session`.
    static func addApp(_ store: any Store, _ binding: TOTPBinding, session: String = "dashboard", maximumApps: Int = 10) async throws -> Bool {
        let pending = pendingEnrollment(userID: binding.userID, sessionIDHash: session)
        try await store.savePendingEnrollment(pending)
        return try await store.addBinding(enrollmentID: pending.id, binding: binding, maximumApps: maximumApps, effects: .none) == .added
    }

    /// The most apps an account may have is the store's to enforce, in the transaction that adds
    /// one: at the limit the confirmation changes nothing, and its pending enrollment stays.
    @Test(arguments: StoreKind.allCases)
    func anAppBeyondTheMostAllowedIsNotAdded(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 5)
            #expect(try await Self.addApp(store, try Self.binding("app-b", userID: user.id), maximumApps: 2))
            let pending = pendingEnrollment("one-too-many", userID: user.id, sessionIDHash: "dashboard")
            try await store.savePendingEnrollment(pending)
            let third = try Self.binding("app-c", userID: user.id)
            #expect(try await store.addBinding(enrollmentID: "one-too-many", binding: third, maximumApps: 2, effects: .none) == .full)
            #expect(try await store.bindings(userID: user.id).count == 2)
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "dashboard", at: epoch) != nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBindingFromBeforeSeveralAppsKeepsItsSecretAndReplayGuard(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            let secret: [UInt8] = Array("12345678901234567890".utf8)
            // Sealed as version 8 sealed it: bound to the user's id.
            let sealed = try Self.box.seal(secret, context: SealContext(table: "totp_binding", column: "sealed_secret", rowID: String(user.id)))
            let hex = sealed.map { String(format: "%02x", $0) }.joined()
            let (bytes, bigint, time, literal, forget) =
                kind == .sqlite
                ? ("BLOB", "INTEGER", "REAL", "X'\(hex)'", "DELETE FROM grdb_migrations WHERE identifier = 'v9-totp-apps'")
                : ("BYTEA", "BIGINT", "DOUBLE PRECISION", "decode('\(hex)', 'hex')", "DELETE FROM schema_migrations WHERE name = 'v9-totp-apps'")
            // The database as version 8 left it: one binding per user, keyed by the user.
            for sql in [
                "DROP TABLE totp_binding",
                """
                CREATE TABLE totp_binding (
                    user_id \(bigint) PRIMARY KEY REFERENCES "user"(id) ON DELETE CASCADE,
                    sealed_secret \(bytes) NOT NULL, algorithm TEXT NOT NULL, digits INTEGER NOT NULL, period INTEGER NOT NULL,
                    last_step \(bigint) NOT NULL, confirmed_at \(time) NOT NULL, drift_steps INTEGER NOT NULL DEFAULT 0
                )
                """,
                """
                INSERT INTO totp_binding (user_id, sealed_secret, algorithm, digits, period, last_step, confirmed_at, drift_steps)
                VALUES (\(user.id), \(literal), 'SHA1', 6, 30, 60000000, 1800000000, -1)
                """,
                forget,
            ] {
                switch kind {
                case .sqlite: try await database.openSQLite().executeRaw(sql: sql)
                case .postgres: try await database.openPostgres().executeRaw(sql: sql)
                }
            }
            let migrated = try await database.open()
            let bindings = try await migrated.bindings(userID: user.id)
            let old = try #require(bindings.first)
            #expect(bindings.count == 1)
            #expect(old.id == String(user.id) && old.name == "" && old.lastUsedAt == nil)
            #expect(old.lastStep == 60_000_000 && old.driftSteps == -1 && old.confirmedAt == epoch)
            // The secret opens with the context every binding uses now: its id.
            let opened = try Self.box.open(
                [UInt8](old.sealedSecret),
                context: SealContext(table: "totp_binding", column: "sealed_secret", rowID: old.id)
            )
            #expect(opened == secret)
            // Its replay guard came along: the old step is refused, the next one spent once.
            #expect(try await migrated.advanceLastStep(userID: user.id, bindingID: old.id, to: 60_000_000, at: epoch, effects: .none) == false)
            #expect(try await migrated.advanceLastStep(userID: user.id, bindingID: old.id, to: 60_000_001, at: epoch, effects: .none))
            #expect(try await migrated.binding(userID: user.id)?.lastUsedAt == epoch)
            // A second app goes beside it.
            #expect(try await Self.addApp(migrated, try Self.binding("app-second", userID: user.id, name: "Tablet")))
            #expect(try await migrated.bindings(userID: user.id).map(\.id).sorted() == ["1", "app-second"].sorted())
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anAddedAppKeepsTheOthersAndTheRecoveryCodes(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 5, codes: ["h1", "h2"])
            #expect(try await Self.addApp(store, try Self.binding("app-b", userID: user.id, name: "Tablet")))
            let pending = pendingEnrollment("used-once", userID: user.id, sessionIDHash: "dashboard")
            try await store.savePendingEnrollment(pending)
            #expect(
                try await store.addBinding(
                    enrollmentID: "used-once",
                    binding: try Self.binding("app-c", userID: user.id),
                    maximumApps: 10,
                    effects: .none
                )
                    == .added
            )
            // The pending row is gone: a second confirmation adds nothing.
            #expect(
                try await store.addBinding(
                    enrollmentID: "used-once",
                    binding: try Self.binding("app-d", userID: user.id),
                    maximumApps: 10,
                    effects: .none
                )
                    == .expired
            )
            let apps = try await store.bindings(userID: user.id)
            #expect(Set(apps.map(\.id)) == [String(user.id), "app-b", "app-c"])
            #expect(apps.first { $0.id == "app-b" }?.name == "Tablet")
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 2)
            #expect(try await store.hasAuthenticator(userID: user.id))

            // Renaming: only the owner's, only that one.
            let bob = try await makeUser(store, "bob")
            #expect(try await store.renameAuthenticator(.app("app-b"), userID: bob.id, name: "Mine", at: epoch, effects: .none) == false)
            #expect(try await store.renameAuthenticator(.app("app-b"), userID: user.id, name: "Old tablet", at: epoch, effects: .none))
            #expect(try await store.bindings(userID: user.id).map(\.name).contains("Old tablet"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func eachAppKeepsItsOwnReplayGuardAndAStepIsSpentOnce(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            #expect(try await Self.addApp(store, try Self.binding("app-a", userID: user.id, lastStep: 100)))
            #expect(try await Self.addApp(store, try Self.binding("app-b", userID: user.id, lastStep: 100)))
            // 20 requests at once through two store objects spend step 101 of app A: once.
            let spent = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask { try await target.advanceLastStep(userID: user.id, bindingID: "app-a", to: 101, at: epoch, effects: .none) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(spent == 1)
            let apps = Dictionary(uniqueKeysWithValues: try await store.bindings(userID: user.id).map { ($0.id, $0) })
            #expect(apps["app-a"]?.lastStep == 101 && apps["app-a"]?.lastUsedAt == epoch)
            // App B's guard is its own: untouched, and its step 101 is still there to spend.
            #expect(apps["app-b"]?.lastStep == 100 && apps["app-b"]?.lastUsedAt == nil)
            #expect(try await store.advanceLastStep(userID: user.id, bindingID: "app-b", to: 101, at: epoch, effects: .none))
            // Another user's binding id spends nothing.
            let bob = try await makeUser(store, "bob")
            #expect(try await store.advanceLastStep(userID: bob.id, bindingID: "app-a", to: 500, at: epoch, effects: .none) == false)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func removingTheLastAuthenticatorResetsAndOthersRemain(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 5, codes: ["h1"])
            try await makeSession(store, "signed-in", userID: user.id)
            let key = try await store.addPasskey(
                Passkey(userID: user.id, credentialID: Data([9]), publicKey: Data([1]), algorithm: -7, signCount: 0, name: "Key", createdAt: epoch),
                effects: .none
            )
            let mail = NewOutboxMail(recipient: "alice@example.com", subject: "s", textBody: "b")
            let others = SideEffects(audit: [NewAuditEvent(kind: "removed", subjectUserID: user.id)])
            let last = SideEffects(mails: [mail], audit: [NewAuditEvent(kind: "last", subjectUserID: user.id)])
            #expect(try await store.removeAuthenticator(.app("nope"), userID: user.id, at: epoch, effects: others, lastOneEffects: last) == .notFound)
            #expect(
                try await store.removeAuthenticator(.app(String(user.id)), userID: user.id, at: epoch, effects: others, lastOneEffects: last)
                    == .removed
            )
            #expect(try await store.hasAuthenticator(userID: user.id))
            #expect(try await store.session(idHash: "signed-in") != nil)
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 1)
            #expect(
                try await store.removeAuthenticator(.passkey(key.id), userID: user.id, at: epoch, effects: others, lastOneEffects: last)
                    == .removedLast
            )
            #expect(try await store.hasAuthenticator(userID: user.id) == false)
            #expect(try await store.session(idHash: "signed-in") == nil)
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 0)
            #expect(try await store.auditEvents(userID: user.id, kind: "removed", limit: 10, offset: 0).count == 1)
            #expect(try await store.auditEvents(userID: user.id, kind: "last", limit: 10, offset: 0).count == 1)
            #expect(try await store.outboxMails(limit: 10).count == 1)

            // With two-factor off, the last one just goes.
            let bob = try await makeUser(store, "bob")
            try await store.setTwoFactorEnabled(userID: bob.id, enabled: false, at: epoch, effects: .none)
            try await makeBinding(store, userID: bob.id, lastStep: 5)
            #expect(
                try await store.removeAuthenticator(.app(String(bob.id)), userID: bob.id, at: epoch, effects: .none, lastOneEffects: .none)
                    == .removed
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theLastTwoRemovedAtOnceEndInAReset(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            for round in 0..<5 {
                let user = try await makeUser(store, "user\(round)")
                try await makeBinding(store, userID: user.id, lastStep: 5, codes: ["h1"])
                #expect(try await Self.addApp(store, try Self.binding("app-\(round)", userID: user.id)))
                let outcomes = try await withThrowingTaskGroup(of: AuthenticatorRemoval.self) { group in
                    for (target, id) in [(store, String(user.id)), (other, "app-\(round)")] {
                        group.addTask {
                            try await target.removeAuthenticator(.app(id), userID: user.id, at: epoch, effects: .none, lastOneEffects: .none)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                // Exactly one of them saw itself remove the last one, and did the reset.
                #expect(outcomes.sorted { "\($0)" < "\($1)" } == [.removed, .removedLast])
                #expect(try await store.hasAuthenticator(userID: user.id) == false)
                #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 0)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aResetRemovesEveryAppAndPasskey(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 5)
            #expect(try await Self.addApp(store, try Self.binding("app-b", userID: user.id)))
            _ = try await store.addPasskey(
                Passkey(userID: user.id, credentialID: Data([9]), publicKey: Data([1]), algorithm: -7, signCount: 0, name: "Key", createdAt: epoch),
                effects: .none
            )
            try await store.removeBinding(userID: user.id, at: epoch, effects: .none)
            #expect(try await store.bindings(userID: user.id).isEmpty)
            #expect(try await store.passkeys(userID: user.id).isEmpty)
            #expect(try await store.hasAuthenticator(userID: user.id) == false)
        }
    }
}
