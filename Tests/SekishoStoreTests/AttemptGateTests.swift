import Foundation
import SekishoCore
import SekishoStore
import Testing

/// A right authenticator code passes the lockout's gate in the transaction that spends it
/// (``AttemptGate``): refused unchanged while the account or the address has to wait; otherwise
/// the account's series ends and the address is not charged. Run against both stores.
@Suite struct AttemptGateTests {
    static let accountPolicy = LockoutPolicy(freeFailures: 3)
    static let addressPolicy = LockoutPolicy(freeFailures: 3)

    static func gate(_ account: String = "alice", address: String = "10.0.0.1") -> AttemptGate {
        AttemptGate(account: account, address: address, accountPolicy: accountPolicy, addressPolicy: addressPolicy)
    }

    @Test(arguments: StoreKind.allCases)
    func aWaitingAccountOrAddressSpendsNothing(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            try await makeBinding(store, userID: alice.id, lastStep: 100)
            try await makeBinding(store, userID: bob.id, lastStep: 100)
            for _ in 1...3 { try await charge(store, account: "alice", address: "10.0.0.9", accountPolicy: Self.accountPolicy) }
            let audit = SideEffects(audit: [NewAuditEvent(kind: "sign_in", subjectUserID: alice.id)])

            let waiting = try await store.spendCode(
                userID: alice.id,
                bindingID: String(alice.id),
                step: 101,
                drift: 0,
                at: epoch,
                gate: Self.gate(),
                startingSession: nil,
                effects: audit
            )
            #expect(waiting == .mustWait)
            #expect(try await store.binding(userID: alice.id)?.lastStep == 100)
            #expect(try await store.auditEvents(userID: alice.id, kind: "sign_in", limit: 10, offset: 0).isEmpty)
            #expect(try await store.attempt(scope: .account, key: "alice")?.failures == 3)

            // Bob's account is clear, but the address he comes from has to wait.
            for name in ["c1", "c2", "c3"] {
                try await charge(store, account: name, address: "10.0.0.2", addressPolicy: Self.addressPolicy)
            }
            let fromWaitingAddress = try await store.spendCode(
                userID: bob.id,
                bindingID: String(bob.id),
                step: 101,
                drift: 0,
                at: epoch,
                gate: Self.gate("bob", address: "10.0.0.2"),
                startingSession: nil,
                effects: .none
            )
            #expect(fromWaitingAddress == .mustWait)
            #expect(try await store.binding(userID: bob.id)?.lastStep == 100)

            // Once the wait is over, the same code goes through.
            let later = epoch.addingTimeInterval(31)
            #expect(
                try await store.spendCode(
                    userID: alice.id,
                    bindingID: String(alice.id),
                    step: 101,
                    drift: 0,
                    at: later,
                    gate: Self.gate(),
                    startingSession: nil,
                    effects: audit
                )
                    == .spent
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRightCodeEndsTheAccountsSeriesAndLeavesTheAddressAlone(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let alice = try await makeUser(store)
            try await makeBinding(store, userID: alice.id, lastStep: 100)
            for _ in 1...2 { try await charge(store, accountPolicy: Self.accountPolicy, addressPolicy: Self.addressPolicy) }

            #expect(
                try await store.spendCode(
                    userID: alice.id,
                    bindingID: String(alice.id),
                    step: 101,
                    drift: 0,
                    at: epoch,
                    gate: Self.gate(),
                    startingSession: nil,
                    effects: .none
                )
                    == .spent
            )
            #expect(try await store.attempt(scope: .account, key: "alice") == nil)
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 2)
            // The same step again is a replay; the gate changes nothing for it.
            #expect(
                try await store.spendCode(
                    userID: alice.id,
                    bindingID: String(alice.id),
                    step: 101,
                    drift: 0,
                    at: epoch,
                    gate: Self.gate(),
                    startingSession: nil,
                    effects: .none
                )
                    == .alreadyUsed
            )
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 2)
        }
    }

    /// Twelve people behind one address, whose address may fail only three times, all spend their
    /// right codes at the same moment through two store objects: none is refused, because none
    /// was charged to the address while being checked.
    @Test(arguments: StoreKind.allCases)
    func rightCodesFromOneAddressAtOnceAreAllSpent(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            var users: [User] = []
            for index in 0..<12 {
                let user = try await makeUser(store, "user\(index)")
                try await makeBinding(store, userID: user.id, lastStep: 100)
                users.append(user)
            }
            try await charge(store, account: "someone", address: "10.0.0.1", addressPolicy: Self.addressPolicy)
            let spends = try await withThrowingTaskGroup(of: CodeSpend.self) { group in
                for (index, user) in users.enumerated() {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.spendCode(
                            userID: user.id,
                            bindingID: String(user.id),
                            step: 101,
                            drift: 0,
                            at: epoch,
                            gate: Self.gate(user.username),
                            startingSession: nil,
                            effects: .none
                        )
                    }
                }
                return try await group.reduce(into: [CodeSpend]()) { $0.append($1) }
            }
            #expect(spends == Array(repeating: .spent, count: users.count))
            #expect(try await store.attempt(scope: .address, key: "10.0.0.1")?.failures == 1)
        }
    }
}
