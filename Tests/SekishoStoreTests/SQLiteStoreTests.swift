import Foundation
import SekishoStore
import Testing

@Suite struct SQLiteStoreTests {
    @Test func migratesAnEmptyDatabaseAndIsIdempotent() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        #expect(try await store.appliedMigrations() == ["v1-initial-schema", "v2-admin-tokens"])
        _ = try await makeUser(store)

        // A second start on the same file: nothing re-run, data kept.
        let reopened = try SQLiteStore(path: database.path)
        try await reopened.migrate()
        #expect(try await reopened.appliedMigrations() == ["v1-initial-schema", "v2-admin-tokens"])
        #expect(try await reopened.userCount() == 1)
        #expect(try await reopened.integrityCheck() == ["ok"])
    }

    @Test func duplicateUserNameIsReportedAsDuplicate() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        _ = try await makeUser(store)
        await #expect(throws: StoreError.duplicate("user alice")) { _ = try await makeUser(store) }
        #expect(try await store.userCount() == 1)
    }

    @Test func replayGuardAcceptsOnlyGreaterSteps() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        try await makeBinding(store, userID: user.id, lastStep: 100)

        #expect(try await store.advanceLastStep(userID: user.id, to: 100, at: epoch, effects: .none) == false)
        #expect(try await store.advanceLastStep(userID: user.id, to: 99, at: epoch, effects: .none) == false)
        #expect(try await store.advanceLastStep(userID: user.id, to: 101, at: epoch, effects: .none) == true)
        #expect(try await store.advanceLastStep(userID: user.id, to: 101, at: epoch, effects: .none) == false)
        #expect(try await store.binding(userID: user.id)?.lastStep == 101)
    }

    @Test func concurrentReplayOfOneStepHasExactlyOneWinner() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        try await makeBinding(store, userID: user.id, lastStep: 10)
        // Two store objects on one file behave like two processes: separate connections.
        let other = try SQLiteStore(path: database.path)

        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                let target = index.isMultiple(of: 2) ? store : other
                group.addTask { try await target.advanceLastStep(userID: user.id, to: 11, at: epoch, effects: .none) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test func recoveryCodeIsUsableOnceAndANewSetVoidsTheOld() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
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

    @Test func confirmingAnEnrollmentReplacesTheOldBindingOnce() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        try await makeBinding(store, userID: user.id, lastStep: 5)

        let pending = PendingEnrollment(
            id: "e2",
            userID: user.id,
            sessionIDHash: "s2",
            sealedSecret: Data([9]),
            algorithm: "SHA1",
            digits: 6,
            period: 30,
            createdAt: epoch,
            expiresAt: epoch.addingTimeInterval(300)
        )
        try await store.savePendingEnrollment(pending)
        #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "s2", at: epoch) == pending)
        #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "other", at: epoch) == nil)
        #expect(try await store.pendingEnrollment(userID: user.id, sessionIDHash: "s2", at: epoch.addingTimeInterval(301)) == nil)

        let binding = TOTPBinding(userID: user.id, sealedSecret: Data([9]), algorithm: "SHA1", digits: 6, period: 30, lastStep: 7, confirmedAt: epoch)
        #expect(try await store.confirmEnrollment(enrollmentID: "e2", binding: binding, recoveryCodeHashes: [], effects: .none))
        #expect(try await store.confirmEnrollment(enrollmentID: "e2", binding: binding, recoveryCodeHashes: [], effects: .none) == false)
        #expect(try await store.binding(userID: user.id) == binding)
    }

    @Test func failuresCountWithinTheWindowAndRestartAfterIt() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        for expected in 1...3 {
            let record = try await store.recordFailure(scope: .account, key: "alice", at: epoch, windowLength: 3600)
            #expect(record.failures == expected)
        }
        let later = try await store.recordFailure(scope: .account, key: "alice", at: epoch.addingTimeInterval(3601), windowLength: 3600)
        #expect(later.failures == 1)
        try await store.lock(scope: .account, key: "alice", until: epoch.addingTimeInterval(60))
        try await store.lock(scope: .account, key: "alice", until: epoch.addingTimeInterval(30))
        #expect(try await store.attempt(scope: .account, key: "alice")?.lockedUntil == epoch.addingTimeInterval(60))
        try await store.clearFailures(scope: .account, key: "alice")
        #expect(try await store.attempt(scope: .account, key: "alice") == nil)
    }

    @Test func sideEffectsAreWrittenWithTheChange() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1"])
        let effects = SideEffects(
            mails: [NewOutboxMail(recipient: "alice@example.com", subject: "Recovery code used", textBody: "A recovery code was used.")],
            audit: [NewAuditEvent(kind: "recovery_code_used", subjectUserID: user.id)]
        )
        #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: effects))
        // A refused change writes nothing.
        #expect(try await store.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: effects) == false)
        #expect(try await store.outboxMails(limit: 10).map(\.subject) == ["Recovery code used"])
        #expect(try await store.auditEvents(userID: user.id, kind: nil, limit: 10, offset: 0).map(\.kind) == ["recovery_code_used"])
    }

    @Test func outboxClaimsAreExclusiveUntilTheLeaseEnds() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let other = try SQLiteStore(path: database.path)
        let id = try await store.enqueueMail(NewOutboxMail(recipient: "a@example.com", subject: "s", textBody: "b"), at: epoch)

        #expect(try await store.claimDueMails(at: epoch, lease: 60, limit: 10).map(\.id) == [id])
        #expect(try await other.claimDueMails(at: epoch.addingTimeInterval(10), lease: 60, limit: 10).isEmpty)
        // The first worker died: after the lease the mail is handed out again.
        #expect(try await other.claimDueMails(at: epoch.addingTimeInterval(61), lease: 60, limit: 10).map(\.attempts) == [2])
        try await other.markMailSent(id: id, at: epoch.addingTimeInterval(62))
        #expect(try await store.claimDueMails(at: epoch.addingTimeInterval(200), lease: 60, limit: 10).isEmpty)
    }

    @Test func removingTheBindingEndsSessionsAndCodes() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1"])
        let session = SessionRecord(
            idHash: "x",
            userID: user.id,
            state: .signedIn,
            createdAt: epoch,
            lastSeenAt: epoch,
            expiresAt: epoch.addingTimeInterval(60),
            authenticatedAt: epoch,
            clientAddress: "127.0.0.1"
        )
        try await store.createSession(session, replacing: nil, effects: .none)
        try await store.removeBinding(userID: user.id, at: epoch, effects: .none)
        #expect(try await store.binding(userID: user.id) == nil)
        #expect(try await store.unusedRecoveryCodeCount(userID: user.id) == 0)
        #expect(try await store.session(idHash: "x") == nil)
    }
}

@Suite struct StoredFormatTests {
    @Test func datesAreStoredAsSecondsAndIDsMapToColumns() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        try await makeBinding(store, userID: user.id, lastStep: 3)
        // Round trip through the record types...
        #expect(try await store.binding(userID: user.id)?.confirmedAt == epoch)
        #expect(try await store.user(id: user.id)?.createdAt == epoch)
        // ...and numbers in the file, so SQL compares times numerically.
        #expect(try await store.rawValue(sql: "SELECT typeof(confirmed_at) FROM totp_binding") == "real")
        #expect(try await store.rawValue(sql: "SELECT typeof(created_at) FROM user") == "real")
    }
}

@Suite struct MaintenanceTests {
    @Test func purgeRemovesOnlyWhatExpired() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try await database.open()
        let user = try await makeUser(store)
        for (hash, expires) in [("old", epoch.addingTimeInterval(-1)), ("live", epoch.addingTimeInterval(600))] {
            try await store.createSession(
                SessionRecord(
                    idHash: hash,
                    userID: user.id,
                    state: .signedIn,
                    createdAt: epoch,
                    lastSeenAt: epoch,
                    expiresAt: expires,
                    authenticatedAt: epoch,
                    clientAddress: ""
                ),
                replacing: nil,
                effects: .none
            )
        }
        try await store.appendAudit(NewAuditEvent(kind: "ancient"), at: epoch.addingTimeInterval(-400 * 86_400))
        try await store.appendAudit(NewAuditEvent(kind: "recent"), at: epoch.addingTimeInterval(-86_400))
        _ = try await store.recordFailure(scope: .account, key: "stale", at: epoch.addingTimeInterval(-2 * 86_400), windowLength: 86_400)
        _ = try await store.recordFailure(scope: .account, key: "fresh", at: epoch, windowLength: 86_400)

        let removed = try await store.purgeExpired(at: epoch, auditBefore: epoch.addingTimeInterval(-365 * 86_400), mailBefore: epoch)
        #expect(removed == 3)
        #expect(try await store.session(idHash: "old") == nil)
        #expect(try await store.session(idHash: "live") != nil)
        #expect(try await store.auditEvents(userID: nil, kind: nil, limit: 10, offset: 0).map(\.kind).contains("recent"))
        #expect(try await store.attempt(scope: .account, key: "fresh") != nil)
    }
}
