import Foundation
import SekishoCore
import SekishoStore
import Testing

/// Two store objects on one database behave like two Sekisho processes: separate connections,
/// one shared truth. Run against both stores.
@Suite struct CrossInstanceTests {
    @Test(arguments: StoreKind.allCases)
    func concurrentReplayOfOneStepHasExactlyOneWinner(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 10)

            let effects = SideEffects(audit: [NewAuditEvent(kind: "code_accepted", subjectUserID: user.id)])
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.advanceLastStep(userID: user.id, bindingID: String(user.id), to: 11, at: epoch, effects: effects)
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await other.binding(userID: user.id)?.lastStep == 11)
            // Only the winner's side effect was written.
            #expect(try await store.auditEvents(userID: user.id, kind: "code_accepted", limit: 100, offset: 0).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentUseOfOneRecoveryCodeOrResetLinkHasOneWinner(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 0, codes: ["h1"])
            // Another user's link: using it removes that user's codes, not these.
            let bob = try await makeUser(store, "bob")
            try await store.createResetToken(hash: "r", userID: bob.id, at: epoch, expiresAt: epoch.addingTimeInterval(600), effects: .none)

            let (codeWins, resetWins) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for index in 0..<20 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        let code = try await target.consumeRecoveryCode(userID: user.id, hash: "h1", at: epoch, effects: .none)
                        let reset = try await target.consumeResetToken(hash: "r", at: epoch, effects: .none)
                        return (code ? 1 : 0, reset == nil ? 0 : 1)
                    }
                }
                return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
            #expect(codeWins == 1)
            #expect(resetWins == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func eachQueuedMailIsClaimedByExactlyOneWorker(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            var queued: Set<Int64> = []
            for index in 0..<200 {
                queued.insert(try await store.enqueueMail(NewOutboxMail(recipient: "u\(index)@example.com", subject: "s", textBody: "b"), at: epoch))
            }
            // Four workers per instance take batches of 7 until nothing is due.
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<8 {
                    let target = worker.isMultiple(of: 2) ? store : other
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await target.claimDueMails(at: epoch, lease: 300, limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claims.count == 200)
            #expect(Set(claims) == queued)
            #expect(try await store.outboxMails(limit: 500).allSatisfy { $0.attempts == 1 })
        }
    }

    /// 50 guesses at the same moment through two connections (two processes' worth): exactly
    /// the free attempts are charged, the rest refused unchecked, and nothing is counted twice.
    @Test(arguments: StoreKind.allCases)
    func aBurstOfChargesThroughTwoInstancesLetsThroughOnlyTheFreeAttempts(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let policy = LockoutPolicy(freeFailures: 5)
            let charges = try await withThrowingTaskGroup(of: AttemptCharge?.self) { group in
                for index in 0..<50 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask { try await charge(target, account: "alice", address: "192.0.2.\(index)", accountPolicy: policy) }
                }
                return try await group.reduce(into: [AttemptCharge]()) { if let charge = $1 { $0.append(charge) } }
            }
            #expect(charges.map(\.accountFailures).sorted() == Array(1...5))
            #expect(charges.filter(\.startedAccountWait).count == 1)
            #expect(try await other.attempt(scope: .account, key: "alice")?.failures == 5)
            // Refused charges left their addresses untouched.
            let chargedAddresses = Set(charges.map(\.address))
            for index in 0..<50 where !chargedAddresses.contains("192.0.2.\(index)") {
                #expect(try await store.attempt(scope: .address, key: "192.0.2.\(index)") == nil)
            }
        }
    }

    /// Failures from many accounts at one address add up across instances, each counted once.
    @Test(arguments: StoreKind.allCases)
    func addressChargesByBothInstancesAddUp(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let addressPolicy = LockoutPolicy(freeFailures: 100)
            let counts = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<40 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await charge(target, account: "user\(index)", address: "192.0.2.7", addressPolicy: addressPolicy)?.accountFailures
                    }
                }
                return try await group.reduce(into: [Int]()) { if let count = $1 { $0.append(count) } }
            }
            #expect(counts.count == 40)
            #expect(try await other.attempt(scope: .address, key: "192.0.2.7")?.failures == 40)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func twoAdministratorsDemotingEachOtherLeaveOne(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let ann = try await makeUser(store, "ann", role: .admin)
            let ben = try await makeUser(store, "ben", role: .admin)
            async let first = store.updateProfile(
                userID: ann.id,
                displayName: "Ann",
                email: "ann@example.com",
                role: .user,
                twoFactorEnabled: true,
                at: epoch,
                effects: .none
            )
            async let second = other.updateProfile(
                userID: ben.id,
                displayName: "Ben",
                email: "ben@example.com",
                role: .user,
                twoFactorEnabled: true,
                at: epoch,
                effects: .none
            )
            let results = try await [first, second]
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.countAdmins() == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aSessionMadeOnOneIsValidOnTheOther(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            try await makeSession(store, "shared", userID: user.id)
            #expect(try await other.sessionWithUser(idHash: "shared")?.user.id == user.id)
            try await other.deleteSession(idHash: "shared", at: epoch, effects: .none)
            #expect(try await store.session(idHash: "shared") == nil)
        }
    }
}
