import Foundation
import SekishoCore
import SekishoStore
import Testing

/// The `Store` contract, run against SQLite and a real PostgreSQL server alike.
@Suite struct StoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func duplicateUserNameIsReportedAsDuplicate(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            _ = try await makeUser(store)
            await #expect(throws: StoreError.duplicate("user alice")) { _ = try await makeUser(store) }
            #expect(try await store.userCount() == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func usersRoundTripAndUpdate(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let created = try await makeUser(store)
            #expect(try await store.user(id: created.id) == created)
            #expect(try await store.user(username: "alice") == created)
            #expect(try await store.user(username: "bob") == nil)

            let later = epoch.addingTimeInterval(10)
            try await store.updatePasswordHash(userID: created.id, hash: "$argon2id$y", at: later, effects: .none)
            try await store.setTwoFactorEnabled(userID: created.id, enabled: false, at: later, effects: .none)
            try await store.recordSignIn(userID: created.id, at: later, effects: .none)
            let updated = try #require(try await store.user(id: created.id))
            #expect(updated.passwordHash == "$argon2id$y")
            #expect(updated.twoFactorEnabled == false)
            #expect(updated.lastSignInAt == later)
            #expect(updated.updatedAt == later)
            await #expect(throws: StoreError.notFound("user 999")) {
                try await store.updatePasswordHash(userID: 999, hash: "x", at: later, effects: .none)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func renamingAUserKeepsTheRowAndRefusesATakenName(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let fullwidth = try await makeUser(store, "ａｌｉｃｅ")
            _ = try await makeUser(store, "bob")
            let later = epoch.addingTimeInterval(10)
            let audit = NewAuditEvent(kind: "user_renamed", subjectUserID: fullwidth.id, username: "alice", detail: "ａｌｉｃｅ → alice")
            try await store.renameUser(userID: fullwidth.id, to: "alice", at: later, effects: SideEffects(audit: [audit]))
            let renamed = try #require(try await store.user(username: "alice"))
            #expect(renamed.id == fullwidth.id)
            #expect(renamed.updatedAt == later)
            #expect(try await store.user(username: "ａｌｉｃｅ") == nil)
            #expect(try await store.auditEvents(userID: fullwidth.id, kind: "user_renamed", limit: 10, offset: 0).count == 1)
            await #expect(throws: StoreError.duplicate("user bob")) {
                try await store.renameUser(userID: fullwidth.id, to: "bob", at: later, effects: .none)
            }
            await #expect(throws: StoreError.notFound("user 999")) {
                try await store.renameUser(userID: 999, to: "carol", at: later, effects: .none)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func auditCountsGroupEventsByKindAndInterval(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let start = epoch
            // Offsets in seconds from `start`: two sign-ins in the first hour, one at the very start of the third,
            // failures in the second; events before the start, at the end, or of another kind do not count.
            let events: [(String, TimeInterval)] = [
                ("sign_in", 0), ("sign_in", 3599), ("sign_in", 7200), ("sign_in_failed", 3600), ("sign_in_failed", 5000),
                ("lockout", 5001), ("sign_in", -1), ("sign_in", 3 * 3600), ("user_created", 10),
            ]
            for (kind, offset) in events {
                try await store.appendAudit(NewAuditEvent(kind: kind), at: start.addingTimeInterval(offset))
            }
            let counts = try await store.auditCounts(
                kinds: ["sign_in", "sign_in_failed", "lockout"],
                from: start,
                to: start.addingTimeInterval(3 * 3600),
                bucket: 3600
            )
            #expect(
                counts == [
                    AuditCount(kind: "sign_in", bucket: 0, count: 2), AuditCount(kind: "lockout", bucket: 1, count: 1),
                    AuditCount(kind: "sign_in_failed", bucket: 1, count: 2), AuditCount(kind: "sign_in", bucket: 2, count: 1),
                ]
            )
            #expect(try await store.auditCounts(kinds: [], from: start, to: start.addingTimeInterval(3600), bucket: 3600).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func replayGuardAcceptsOnlyGreaterSteps(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 100)

            #expect(try await store.advanceLastStep(userID: user.id, bindingID: String(user.id), to: 100, at: epoch, effects: .none) == false)
            #expect(try await store.advanceLastStep(userID: user.id, bindingID: String(user.id), to: 99, at: epoch, effects: .none) == false)
            #expect(try await store.advanceLastStep(userID: user.id, bindingID: String(user.id), to: 101, at: epoch, effects: .none) == true)
            #expect(try await store.advanceLastStep(userID: user.id, bindingID: String(user.id), to: 101, at: epoch, effects: .none) == false)
            #expect(try await store.binding(userID: user.id)?.lastStep == 101)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anAcceptedStepStartsItsSessionInTheSameTransactionAndARefusedOneChangesNothing(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 100)
            func session(_ idHash: String, _ state: SessionRecord.State, at time: Date) -> SessionRecord {
                SessionRecord(
                    idHash: idHash,
                    userID: user.id,
                    state: state,
                    createdAt: time,
                    lastSeenAt: time,
                    expiresAt: time.addingTimeInterval(300),
                    authenticatedAt: epoch,
                    clientAddress: "127.0.0.1"
                )
            }
            try await store.createSession(session("half", .awaitingSecondFactor, at: epoch), replacing: nil, effects: .none)
            let audit = SideEffects(audit: [NewAuditEvent(kind: "sign_in", subjectUserID: user.id, username: "alice")])

            let signedIn = session("signed", .signedIn, at: epoch.addingTimeInterval(5))
            #expect(
                try await store.advanceLastStep(
                    userID: user.id,
                    bindingID: String(user.id),
                    to: 101,
                    at: epoch,
                    startingSession: SessionStart(signedIn, replacing: "half"),
                    effects: audit
                )
            )
            #expect(try await store.session(idHash: "half") == nil)
            #expect(try await store.session(idHash: "signed") == signedIn)
            #expect(try await store.user(id: user.id)?.lastSignInAt == signedIn.createdAt)
            #expect(try await store.binding(userID: user.id)?.lastStep == 101)
            #expect(try await store.auditEvents(userID: user.id, kind: "sign_in", limit: 10, offset: 0).count == 1)

            // The same step again (a replay): no session, no audit, the old session untouched.
            let replayed = session("replayed", .signedIn, at: epoch.addingTimeInterval(6))
            #expect(
                try await store.advanceLastStep(
                    userID: user.id,
                    bindingID: String(user.id),
                    to: 101,
                    at: epoch,
                    startingSession: SessionStart(replayed, replacing: "signed"),
                    effects: audit
                )
                    == false
            )
            #expect(try await store.session(idHash: "replayed") == nil)
            #expect(try await store.session(idHash: "signed") == signedIn)
            #expect(try await store.auditEvents(userID: user.id, kind: "sign_in", limit: 10, offset: 0).count == 1)
        }
    }

    /// Every way of finishing a sign-in (an authenticator code, a recovery code, a confirmed
    /// enrollment) spends its credential, begins the session, settles the attempt and writes the
    /// audit event in one transaction: when the session cannot be written (a fault injected by
    /// giving it an id that is taken), nothing was spent.
    @Test(arguments: StoreKind.allCases)
    func aSignInWhoseSessionCannotBeWrittenSpendsNothing(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 100, codes: ["h1"])
            let bound = try await store.binding(userID: user.id)
            try await makeSession(store, "taken", userID: user.id)
            let half = SessionRecord(
                idHash: "half",
                userID: user.id,
                state: .awaitingSecondFactor,
                createdAt: epoch,
                lastSeenAt: epoch,
                expiresAt: epoch.addingTimeInterval(300),
                authenticatedAt: epoch,
                clientAddress: "10.0.0.1"
            )
            try await store.createSession(half, replacing: nil, effects: .none)
            let charge = try #require(try await charge(store))
            var clashing = half
            clashing.idHash = "taken"
            clashing.state = .signedIn
            let start = SessionStart(clashing, replacing: "half")
            let effects = SideEffects(audit: [NewAuditEvent(kind: "sign_in", subjectUserID: user.id)], attempt: .signedIn(charge))

            await #expect(throws: StoreError.self) {
                try await store.advanceLastStep(
                    userID: user.id,
                    bindingID: String(user.id),
                    to: 101,
                    at: epoch,
                    startingSession: start,
                    effects: effects
                )
            }
            #expect(try await store.binding(userID: user.id)?.lastStep == 100)

            await #expect(throws: StoreError.self) {
                try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, startingSession: start, effects: effects)
            }
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 1)

            let pending = pendingEnrollment("pending", userID: user.id, sessionIDHash: "half", secret: [7, 8, 9])
            try await store.savePendingEnrollment(pending)
            var newBinding = try #require(bound)
            newBinding.sealedSecret = Data([7, 8, 9])
            await #expect(throws: StoreError.self) {
                try await store.confirmEnrollment(
                    enrollmentID: "pending",
                    binding: newBinding,
                    recoveryCodeHashes: ["n1"],
                    startingSession: start,
                    effects: effects
                )
            }
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "half", at: epoch) == pending)
            #expect(try await store.binding(userID: user.id) == bound)
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 1)

            #expect(try await store.session(idHash: "half") == half)
            #expect(try await store.auditEvents(userID: nil, kind: "sign_in", limit: 10, offset: 0).isEmpty)
            #expect(try await store.attempt(scope: .account, key: "alice")?.failures == 1, "the charge was settled")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aChargeCountsForAccountAndAddressSeparately(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            try await charge(store, account: "alice", address: "10.0.0.1")
            try await charge(store, account: "alice", address: "10.0.0.2")
            // The same key in the other scope, and another account: not to be confused.
            try await charge(store, account: "10.0.0.1", address: "alice")
            let third = try #require(try await charge(store, account: "alice", address: "10.0.0.1"))
            #expect(third.accountFailures == 3)
            #expect(third.accountLockedUntil == nil)
            #expect(try await store.attempt(scope: .account, key: "alice")?.failures == 3)
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 2)
            #expect(try await store.attempt(scope: .address, key: "10.0.0.2")?.failures == 1)
            #expect(try await store.attempt(scope: .account, key: "10.0.0.1")?.failures == 1)
            #expect(try await store.attempt(scope: .address, key: "alice")?.failures == 1)
        }
    }

    /// The last free attempt starts the wait in the statement that charges it; while waiting,
    /// nothing is charged; the waits double up to the maximum.
    @Test(arguments: StoreKind.allCases)
    func theLastFreeChargeStartsTheWaitAndChargesWhileWaitingAreRefused(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let policy = LockoutPolicy(freeFailures: 3, baseDelay: 30, maxDelay: 100)
            for _ in 1...2 { #expect(try await charge(store, at: epoch, accountPolicy: policy)?.accountLockedUntil == nil) }
            let third = try #require(try await charge(store, at: epoch, accountPolicy: policy))
            #expect(third.accountLockedUntil == epoch.addingTimeInterval(30))
            #expect(third.startedAccountWait)
            #expect(try await charge(store, at: epoch.addingTimeInterval(29), accountPolicy: policy) == nil)
            #expect(try await store.attempt(scope: .account, key: "alice")?.failures == 3)
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 3, "a refused charge changed the address")
            let fourth = try #require(try await charge(store, at: epoch.addingTimeInterval(30), accountPolicy: policy))
            #expect(fourth.accountLockedUntil == epoch.addingTimeInterval(90))
            let fifth = try #require(try await charge(store, at: epoch.addingTimeInterval(90), accountPolicy: policy))
            #expect(fifth.accountLockedUntil == epoch.addingTimeInterval(190), "capped at the maximum of 100 s")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anAddressThatMustWaitRefusesTheChargeAndLeavesTheAccountUncharged(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let addressPolicy = LockoutPolicy(freeFailures: 2)
            try await charge(store, account: "a1", addressPolicy: addressPolicy)
            try await charge(store, account: "a2", addressPolicy: addressPolicy)
            #expect(try await charge(store, account: "bob", addressPolicy: addressPolicy) == nil)
            #expect(try await store.attempt(scope: .account, key: "bob") == nil)
            #expect(try await charge(store, account: "bob", address: "10.0.0.9", addressPolicy: addressPolicy) != nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func failuresCountWithinTheWindowAndRestartAfterIt(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let policy = LockoutPolicy(freeFailures: 3, window: 3600)
            for expected in 1...2 {
                #expect(try await charge(store, at: epoch, accountPolicy: policy)?.accountFailures == expected)
            }
            // Even a series that ended in a wait is forgotten after the window.
            let later = try #require(try await charge(store, at: epoch.addingTimeInterval(3600), accountPolicy: policy))
            #expect(later.accountFailures == 1)
            #expect(later.accountLockedUntil == nil)
            #expect(try await store.attempt(scope: .account, key: "alice")?.windowStart == epoch.addingTimeInterval(3600))
            try await store.clearFailures(scope: .account, key: "alice")
            #expect(try await store.attempt(scope: .account, key: "alice") == nil)
        }
    }

    /// A right password takes its charge back, wait included, and the series goes on; a complete
    /// sign-in ends the account's series and takes back only the address's charge.
    @Test(arguments: StoreKind.allCases)
    func aRightGuessSettlesItsChargeInTheTransactionOfItsChange(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            let policy = LockoutPolicy(freeFailures: 3)
            try await charge(store, account: "alice", accountPolicy: policy)
            try await charge(store, account: "alice", accountPolicy: policy)
            let right = try #require(try await charge(store, account: "alice", accountPolicy: policy))
            #expect(right.startedAccountWait)
            let half = SessionRecord(
                idHash: "half",
                userID: user.id,
                state: .awaitingSecondFactor,
                createdAt: epoch,
                lastSeenAt: epoch,
                expiresAt: epoch.addingTimeInterval(300),
                authenticatedAt: epoch,
                clientAddress: "10.0.0.1"
            )
            try await store.createSession(half, replacing: nil, effects: SideEffects(attempt: .refund(right)))
            let account = try #require(try await store.attempt(scope: .account, key: "alice"))
            #expect(account.failures == 2)
            #expect(account.lockedUntil == nil)
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 2)

            let code = try #require(try await charge(store, account: "alice", accountPolicy: policy))
            try await store.deleteSession(idHash: "half", at: epoch, effects: SideEffects(attempt: .signedIn(code)))
            #expect(try await store.attempt(scope: .account, key: "alice") == nil)
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func recoveryCodeIsUsableOnceAndANewSetVoidsTheOld(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1", "h2", "h3"])
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 3)

            #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: .none))
            #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: .none) == false)
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 2)

            try await store.replaceRecoveryCodes(userID: user.id, hashes: ["n1"], at: epoch, effects: .none)
            #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h2", at: epoch, effects: .none) == false)
            #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "n1", at: epoch, effects: .none))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func confirmingAnEnrollmentReplacesTheOldBindingOnce(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 5)

            let pending = pendingEnrollment("e2", userID: user.id, sessionIDHash: "s2", secret: [9, 0, 255])
            try await store.savePendingEnrollment(pending)
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "s2", at: epoch) == pending)
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "other", at: epoch) == nil)
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "s2", at: epoch.addingTimeInterval(301)) == nil)

            let binding = TOTPBinding(
                id: "app-new",
                userID: user.id,
                name: "Phone",
                sealedSecret: Data([9, 0, 255]),
                algorithm: "SHA1",
                digits: 6,
                period: 30,
                lastStep: 7,
                confirmedAt: epoch
            )
            #expect(try await store.confirmEnrollment(enrollmentID: "e2", binding: binding, recoveryCodeHashes: [], effects: .none))
            #expect(try await store.confirmEnrollment(enrollmentID: "e2", binding: binding, recoveryCodeHashes: [], effects: .none) == false)
            #expect(try await store.binding(userID: user.id) == binding)
            #expect(try await store.bindings(userID: user.id).count == 1, "the enrollment of a sign-in replaces the old app (S13)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aNewPendingEnrollmentReplacesTheOldOne(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            for (id, session) in [("e1", "s1"), ("e2", "s2")] {
                try await store.savePendingEnrollment(
                    PendingEnrollment(
                        id: id,
                        userID: user.id,
                        sessionIDHash: session,
                        sealedSecret: Data([1]),
                        algorithm: "SHA1",
                        digits: 6,
                        period: 30,
                        createdAt: epoch,
                        expiresAt: epoch.addingTimeInterval(300)
                    )
                )
            }
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "s1", at: epoch) == nil)
            #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "s2", at: epoch)?.id == "e2")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func sideEffectsAreWrittenWithTheChange(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1"])
            let effects = SideEffects(
                mails: [NewOutboxMail(recipient: "alice@example.com", subject: "Recovery code used", textBody: "A recovery code was used.")],
                audit: [NewAuditEvent(kind: "recovery_code_used", subjectUserID: user.id, clientAddress: "192.0.2.1")]
            )
            #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: effects))
            // A refused change writes nothing.
            #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: effects) == false)
            #expect(try await store.outboxMails(limit: 10).map(\.subject) == ["Recovery code used"])
            let events = try await store.auditEvents(userID: user.id, kind: nil, limit: 10, offset: 0)
            #expect(events.map(\.kind) == ["recovery_code_used"])
            #expect(events.first?.clientAddress == "192.0.2.1")
            #expect(events.first?.at == epoch)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aFailingChangeWritesNoSideEffects(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            _ = try await makeUser(store)
            let effects = SideEffects(
                mails: [NewOutboxMail(recipient: "alice@example.com", subject: "Welcome", textBody: "b")],
                audit: [NewAuditEvent(kind: "user_created")]
            )
            await #expect(throws: StoreError.duplicate("user alice")) {
                _ = try await store.createUser(
                    NewUser(username: "alice", displayName: "", email: "a@example.com", role: .user, passwordHash: "x", twoFactorEnabled: true),
                    at: epoch,
                    effects: effects
                )
            }
            #expect(try await store.outboxMails(limit: 10).isEmpty)
            #expect(try await store.auditEvents(userID: nil, kind: nil, limit: 10, offset: 0).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func outboxClaimsAreExclusiveUntilTheLeaseEnds(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let id = try await store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "s", textBody: "b", htmlBody: "<p>b</p>"),
                at: epoch
            )

            let claimed = try await store.claimDueMails(at: epoch, lease: 60, limit: 10)
            #expect(claimed.map(\.id) == [id])
            #expect(claimed.first?.htmlBody == "<p>b</p>")
            #expect(claimed.first?.claimedUntil == epoch.addingTimeInterval(60))
            #expect(try await other.claimDueMails(at: epoch.addingTimeInterval(10), lease: 60, limit: 10).isEmpty)
            // The first worker died: after the lease the mail is handed out again.
            #expect(try await other.claimDueMails(at: epoch.addingTimeInterval(61), lease: 60, limit: 10).map(\.attempts) == [2])
            try await other.markMailSent(id: id, at: epoch.addingTimeInterval(62))
            #expect(try await store.claimDueMails(at: epoch.addingTimeInterval(200), lease: 60, limit: 10).isEmpty)
            #expect(try await store.outboxMails(limit: 1).first?.sentAt == epoch.addingTimeInterval(62))
        }
    }

    /// A mail's secret is sealed for its row in the insert's transaction, handed to the worker,
    /// and gone from the row once the mail is sent or given up.
    @Test(arguments: StoreKind.allCases)
    func sealedMailBodiesAreBoundToTheirRowAndDroppedWhenDone(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let secret = { (marker: String) in
                SealedMailBodies { id, recipient in Data("sealed \(marker) for \(id) \(recipient)".utf8) }
            }
            let sent = try await store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "1", textBody: "link: …", secret: secret("one")),
                at: epoch
            )
            let failed = try await store.enqueueMail(
                NewOutboxMail(recipient: "b@example.com", subject: "2", textBody: "link: …", secret: secret("two")),
                at: epoch
            )
            let claimed = try await store.claimDueMails(at: epoch, lease: 60, limit: 10)
            #expect(
                claimed.map(\.sealedBody) == [Data("sealed one for \(sent) a@example.com".utf8), Data("sealed two for \(failed) b@example.com".utf8)]
            )
            #expect(claimed.map(\.textBody) == ["link: …", "link: …"])
            try await store.markMailSent(id: sent, at: epoch.addingTimeInterval(1))
            try await store.markMailFailed(id: failed, error: "550 no such user", at: epoch.addingTimeInterval(1))
            let done = try await store.outboxMails(limit: 10)
            #expect(done.count == 2)
            #expect(done.allSatisfy { $0.sealedBody == nil && $0.textBody == "link: …" })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func outboxRetriesAndFailures(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let first = try await store.enqueueMail(NewOutboxMail(recipient: "a@example.com", subject: "1", textBody: "b"), at: epoch)
            let second = try await store.enqueueMail(NewOutboxMail(recipient: "b@example.com", subject: "2", textBody: "b"), at: epoch)
            #expect(try await store.claimDueMails(at: epoch, lease: 60, limit: 1).map(\.id) == [first])
            try await store.markMailRetry(id: first, error: "451 try later", nextTryAt: epoch.addingTimeInterval(300))
            #expect(try await store.claimDueMails(at: epoch.addingTimeInterval(1), lease: 60, limit: 10).map(\.id) == [second])
            try await store.markMailFailed(id: second, error: "550 no such user", at: epoch.addingTimeInterval(2))
            #expect(try await store.claimDueMails(at: epoch.addingTimeInterval(299), lease: 60, limit: 10).isEmpty)
            let retried = try await store.claimDueMails(at: epoch.addingTimeInterval(300), lease: 60, limit: 10)
            #expect(retried.map(\.id) == [first])
            #expect(retried.first?.lastError == "451 try later")
            let mails = try await store.outboxMails(limit: 10)
            #expect(mails.map(\.id) == [second, first])
            #expect(mails.first?.failedAt == epoch.addingTimeInterval(2))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func removingTheBindingEndsSessionsAndCodes(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1"])
            try await makeSession(store, "x", userID: user.id)
            try await store.removeBinding(userID: user.id, at: epoch, effects: .none)
            #expect(try await store.binding(userID: user.id) == nil)
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 0)
            #expect(try await store.session(idHash: "x") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func sessionsAreReplacedTouchedAndEnded(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeSession(store, "a", userID: user.id)
            let replacement = SessionRecord(
                idHash: "b",
                userID: user.id,
                state: .awaitingSecondFactor,
                createdAt: epoch,
                lastSeenAt: epoch,
                expiresAt: epoch.addingTimeInterval(60),
                authenticatedAt: epoch,
                clientAddress: "::1"
            )
            try await store.createSession(replacement, replacing: "a", effects: .none)
            #expect(try await store.session(idHash: "a") == nil)
            #expect(try await store.session(idHash: "b") == replacement)
            let joined = try #require(try await store.sessionWithUser(idHash: "b"))
            #expect(joined.session == replacement)
            // A signed-in session records the sign-in on the user in the same transaction.
            var signedIn = user
            signedIn.lastSignInAt = replacement.createdAt
            #expect(joined.user == signedIn)
            #expect(try await store.sessionWithUser(idHash: "a") == nil)

            try await store.touchSession(idHash: "b", at: epoch.addingTimeInterval(5))
            #expect(try await store.session(idHash: "b")?.lastSeenAt == epoch.addingTimeInterval(5))

            try await makeSession(store, "c", userID: user.id)
            try await makeSession(store, "d", userID: user.id)
            try await store.deleteSessions(userID: user.id, keeping: "c")
            #expect(try await store.session(idHash: "b") == nil)
            #expect(try await store.session(idHash: "c") != nil)
            try await store.deleteSessions(userID: user.id, keeping: nil)
            #expect(try await store.session(idHash: "c") == nil)

            try await makeSession(store, "e", userID: user.id, expiresAt: epoch)
            try await makeSession(store, "f", userID: user.id, expiresAt: epoch.addingTimeInterval(1))
            #expect(try await store.deleteExpiredSessions(before: epoch) == 1)
            try await store.deleteSession(idHash: "f", at: epoch, effects: SideEffects(audit: [NewAuditEvent(kind: "signed_out")]))
            #expect(try await store.session(idHash: "f") == nil)
            #expect(try await store.auditEvents(userID: nil, kind: "signed_out", limit: 10, offset: 0).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func resetTokenWorksOnceAndOnlyTheNewestWorks(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1"])
            try await makeSession(store, "s", userID: user.id)
            let expires = epoch.addingTimeInterval(3600)
            try await store.createResetToken(hash: "old", userID: user.id, at: epoch, expiresAt: expires, effects: .none)
            try await store.createResetToken(hash: "new", userID: user.id, at: epoch.addingTimeInterval(1), expiresAt: expires, effects: .none)
            #expect(try await store.resetTokenCount(userID: user.id, since: epoch.addingTimeInterval(-1)) == 2)
            #expect(try await store.resetTokenUser(hash: "old", at: epoch) == nil)
            #expect(try await store.resetTokenUser(hash: "new", at: epoch) == user.id)
            #expect(try await store.resetTokenUser(hash: "new", at: expires) == nil)

            #expect(try await store.consumeResetToken(hash: "new", at: epoch, effects: .none) == user.id)
            #expect(try await store.consumeResetToken(hash: "new", at: epoch, effects: .none) == nil)
            #expect(try await store.binding(userID: user.id) == nil)
            #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 0)
            #expect(try await store.session(idHash: "s") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func setupTokenCreatesTheFirstAdministratorOnce(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let admin = NewUser(
                username: "root",
                displayName: "Root",
                email: "root@example.com",
                role: .admin,
                passwordHash: "x",
                twoFactorEnabled: true
            )
            try await store.createSetupToken(hash: "t", at: epoch, expiresAt: epoch.addingTimeInterval(600))
            try await store.createSetupToken(hash: "t2", at: epoch, expiresAt: epoch.addingTimeInterval(600))
            #expect(try await store.setupTokenIsUsable(hash: "t", at: epoch))
            #expect(try await store.setupTokenIsUsable(hash: "t", at: epoch.addingTimeInterval(600)) == false)
            #expect(try await store.setupTokenIsUsable(hash: "unknown", at: epoch) == false)

            let effects = SideEffects(audit: [NewAuditEvent(kind: "setup_completed")])
            let created = try #require(try await store.consumeSetupToken(hash: "t", creating: admin, at: epoch, effects: effects))
            #expect(created.role == .admin)
            #expect(try await store.auditEvents(userID: created.id, kind: nil, limit: 10, offset: 0).map(\.kind) == ["setup_completed"])
            #expect(try await store.consumeSetupToken(hash: "t", creating: admin, at: epoch, effects: .none) == nil)
            // Another token is useless once a user exists.
            #expect(try await store.setupTokenIsUsable(hash: "t2", at: epoch) == false)
            #expect(try await store.consumeSetupToken(hash: "t2", creating: admin, at: epoch, effects: .none) == nil)
            #expect(try await store.userCount() == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func apiTokensActForTheirUser(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.createAPIToken(hash: "k", name: "backup", userID: user.id, at: epoch, effects: .none)
            #expect(try await store.apiTokenUser(hash: "k", at: epoch) == user)
            #expect(try await store.apiTokenUser(hash: "other", at: epoch) == nil)
            #expect(try await store.deleteUser(userID: user.id, at: epoch, effects: .none))
            #expect(try await store.apiTokenUser(hash: "k", at: epoch) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func apiTokenUseIsWrittenAtMostOnceAMinute(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.createAPIToken(hash: "k", name: "backup", userID: user.id, at: epoch, effects: .none)
            func lastUsed() async throws -> Double? {
                let sql = "SELECT CAST(last_used_at AS TEXT) FROM api_token WHERE token_hash = 'k'"
                let text: String? =
                    if let sqlite = store as? SQLiteStore { try await sqlite.rawValue(sql: sql) } else {
                        try await (store as? PostgresStore)?.rawValue(sql: sql)
                    }
                return text.flatMap(Double.init)
            }
            #expect(try await lastUsed() == nil)
            for (offset, expected) in [(10.0, 10.0), (40, 10), (69, 10), (71, 71), (72, 71)] {
                #expect(try await store.apiTokenUser(hash: "k", at: epoch.addingTimeInterval(offset)) == user)
                #expect(try await lastUsed() == epoch.timeIntervalSince1970 + expected, "at +\(offset) s")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theLastAdministratorStays(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let first = try await makeUser(store, "ann", role: .admin)
            let second = try await makeUser(store, "ben", role: .admin)
            #expect(try await store.countAdmins() == 2)
            #expect(
                try await store.updateProfile(
                    userID: first.id,
                    displayName: "A",
                    email: "a@example.com",
                    role: .user,
                    twoFactorEnabled: true,
                    at: epoch,
                    effects: .none
                )
            )
            #expect(
                try await store.updateProfile(
                    userID: second.id,
                    displayName: "B",
                    email: "b@example.com",
                    role: .user,
                    twoFactorEnabled: true,
                    at: epoch,
                    effects: .none
                ) == false
            )
            #expect(try await store.deleteUser(userID: second.id, at: epoch, effects: .none) == false)
            #expect(try await store.deleteUser(userID: first.id, at: epoch, effects: .none))
            #expect(try await store.user(id: second.id)?.role == .admin)
            await #expect(throws: StoreError.notFound("user \(first.id)")) {
                _ = try await store.deleteUser(userID: first.id, at: epoch, effects: .none)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func userListSearchesLiterallyAndShowsLocks(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let carol = try await makeUser(store, "carol")
            _ = try await makeUser(store, "al_ice")
            _ = try await makeUser(store, "alfred")
            try await makeBinding(store, userID: carol.id, lastStep: 0)
            try await charge(store, account: "carol", accountPolicy: LockoutPolicy(freeFailures: 1, baseDelay: 60))

            let all = try await store.listUsers(search: nil, limit: 10, offset: 0, at: epoch)
            #expect(all.map(\.user.username) == ["al_ice", "alfred", "carol"])
            #expect(all.map(\.authenticatorBound) == [false, false, true])
            #expect(all.map(\.lockedUntil) == [nil, nil, epoch.addingTimeInterval(60)])
            #expect(try await store.listUsers(search: nil, limit: 10, offset: 0, at: epoch.addingTimeInterval(60)).last?.lockedUntil == nil)
            // "_" is a letter to search for, not LIKE's any-character.
            #expect(try await store.listUsers(search: "L_", limit: 10, offset: 0, at: epoch).map(\.user.username) == ["al_ice"])
            #expect(try await store.listUsers(search: "AL", limit: 1, offset: 1, at: epoch).map(\.user.username) == ["alfred"])
            #expect(try await store.countUsers(search: "al") == 2)
            #expect(try await store.countUsers(search: "EXAMPLE.COM") == 3)
            #expect(try await store.countUsers(search: nil) == 3)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func settingsAndAuditFilters(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            #expect(try await store.setting("mail.from") == nil)
            try await store.setSetting("mail.from", value: "a@example.com", at: epoch, effects: .none)
            try await store.setSetting("mail.from", value: "b@example.com", at: epoch, effects: .none)
            #expect(try await store.setting("mail.from") == "b@example.com")
            try await store.setSetting(
                "mail.from",
                value: nil,
                at: epoch,
                effects: SideEffects(audit: [NewAuditEvent(kind: "setting_changed", actorUserID: 7)])
            )
            #expect(try await store.setting("mail.from") == nil)

            try await store.appendAudit(NewAuditEvent(kind: "signed_in", subjectUserID: 8, username: "x", detail: "d"), at: epoch)
            #expect(try await store.auditEvents(userID: 7, kind: nil, limit: 10, offset: 0).map(\.kind) == ["setting_changed"])
            #expect(try await store.auditEvents(userID: nil, kind: "signed_in", limit: 10, offset: 0).map(\.detail) == ["d"])
            #expect(try await store.auditEvents(userID: nil, kind: nil, limit: 10, offset: 0).map(\.kind) == ["signed_in", "setting_changed"])
            #expect(try await store.auditEvents(userID: nil, kind: nil, limit: 1, offset: 1).map(\.kind) == ["setting_changed"])
            #expect(try await store.auditEvents(userID: 8, kind: "setting_changed", limit: 10, offset: 0).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func purgeRemovesOnlyWhatExpired(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await makeSession(store, "old", userID: user.id, expiresAt: epoch.addingTimeInterval(-1))
            try await makeSession(store, "live", userID: user.id, expiresAt: epoch.addingTimeInterval(600))
            try await store.appendAudit(NewAuditEvent(kind: "ancient"), at: epoch.addingTimeInterval(-400 * 86_400))
            try await store.appendAudit(NewAuditEvent(kind: "recent"), at: epoch.addingTimeInterval(-86_400))
            try await charge(store, account: "stale", address: "10.0.0.1", at: epoch.addingTimeInterval(-2 * 86_400))
            try await charge(store, account: "fresh", address: "10.0.0.2", at: epoch)

            let removed = try await store.purgeExpired(at: epoch, auditBefore: epoch.addingTimeInterval(-365 * 86_400), mailBefore: epoch)
            // The old session, the ancient audit event, and the stale series of an account and an address.
            #expect(removed == 4)
            #expect(try await store.session(idHash: "old") == nil)
            #expect(try await store.session(idHash: "live") != nil)
            #expect(try await store.auditEvents(userID: nil, kind: nil, limit: 10, offset: 0).map(\.kind) == ["recent"])
            #expect(try await store.attempt(scope: .account, key: "fresh") != nil)
            #expect(try await store.attempt(scope: .account, key: "stale") == nil)
        }
    }
}
