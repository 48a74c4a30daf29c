import Foundation
import SekishoStore
import Testing

/// Passkeys and their challenges in the store, on both engines: a challenge is spent once (also
/// by many requests at once through two store objects), only for what and whom it was issued and
/// before it expires; a passkey's counter moves once from a given value; credential IDs are unique.
@Suite struct PasskeyStoreTests {
    static func challenge(_ userID: Int64, session: String = "session-a", purpose: WebAuthnChallenge.Purpose = .secondFactor) -> WebAuthnChallenge {
        WebAuthnChallenge(hash: "c0ffee", purpose: purpose, userID: userID, sessionIDHash: session, expiresAt: epoch.addingTimeInterval(300))
    }

    @Test(arguments: StoreKind.allCases)
    func aChallengeIsSpentOnceOnlyForWhatItWasIssuedFor(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            try await store.saveWebAuthnChallenge(Self.challenge(alice.id), effects: .none)
            // Wrong purpose, user or session, or too late: nothing spent.
            #expect(
                !(try await store.spendWebAuthnChallenge(
                    hash: "c0ffee",
                    purpose: .registration,
                    userID: alice.id,
                    sessionIDHash: "session-a",
                    at: epoch
                ))
            )
            #expect(
                !(try await store.spendWebAuthnChallenge(
                    hash: "c0ffee",
                    purpose: .secondFactor,
                    userID: bob.id,
                    sessionIDHash: "session-a",
                    at: epoch
                ))
            )
            #expect(
                !(try await store.spendWebAuthnChallenge(
                    hash: "c0ffee",
                    purpose: .secondFactor,
                    userID: alice.id,
                    sessionIDHash: "session-b",
                    at: epoch
                ))
            )
            #expect(
                !(try await store.spendWebAuthnChallenge(
                    hash: "c0ffee",
                    purpose: .secondFactor,
                    userID: alice.id,
                    sessionIDHash: "session-a",
                    at: epoch.addingTimeInterval(300)
                ))
            )
            // Expired challenges of the session are cleared by that attempt; a fresh one is spent by one of 20 at once.
            try await store.saveWebAuthnChallenge(Self.challenge(alice.id), effects: .none)
            let spent = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.spendWebAuthnChallenge(
                            hash: "c0ffee",
                            purpose: .secondFactor,
                            userID: alice.id,
                            sessionIDHash: "session-a",
                            at: epoch
                        )
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(spent == 1)
            // One never answered is purged once it expired.
            try await store.saveWebAuthnChallenge(Self.challenge(alice.id, session: "session-c"), effects: .none)
            _ = try await store.purgeExpired(at: epoch.addingTimeInterval(301), auditBefore: epoch, mailBefore: epoch)
            #expect(
                !(try await store.spendWebAuthnChallenge(
                    hash: "c0ffee",
                    purpose: .secondFactor,
                    userID: alice.id,
                    sessionIDHash: "session-c",
                    at: epoch
                ))
            )
        }
    }

    /// A passwordless challenge belongs to nobody yet, only to the ceremony cookie it was shown
    /// with: it is not spent for a user, nor from another cookie; one of 20 spends at once wins;
    /// and the schema refuses a passwordless challenge with a user, or another without one.
    @Test(arguments: StoreKind.allCases)
    func aPasswordlessChallengeBelongsToItsCeremonyAndIsSpentOnce(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let alice = try await makeUser(store)
            let challenge = WebAuthnChallenge(
                hash: "c0ffee",
                purpose: .passwordless,
                userID: nil,
                sessionIDHash: "ceremony-a",
                expiresAt: epoch.addingTimeInterval(300)
            )
            try await store.saveWebAuthnChallenge(challenge, effects: .none)
            for (purpose, userID, holder) in [
                (WebAuthnChallenge.Purpose.passwordless, Optional(alice.id), "ceremony-a"), (.secondFactor, nil, "ceremony-a"),
                (.passwordless, nil, "ceremony-b"),
            ] {
                #expect(!(try await store.spendWebAuthnChallenge(hash: "c0ffee", purpose: purpose, userID: userID, sessionIDHash: holder, at: epoch)))
            }
            let spent = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.spendWebAuthnChallenge(
                            hash: "c0ffee",
                            purpose: .passwordless,
                            userID: nil,
                            sessionIDHash: "ceremony-a",
                            at: epoch
                        )
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(spent == 1)
            var withUser = challenge
            withUser.userID = alice.id
            await #expect(throws: (any Error).self) { try await store.saveWebAuthnChallenge(withUser, effects: .none) }
            await #expect(throws: (any Error).self) {
                try await store.saveWebAuthnChallenge(Self.challenge(alice.id, purpose: .secondFactor).withoutUser, effects: .none)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aPasskeysCounterMovesOnceAndItsCredentialIDIsUnique(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let alice = try await makeUser(store)
            let bob = try await makeUser(store, "bob")
            let key = Passkey(
                userID: alice.id,
                credentialID: Data([1, 2, 3]),
                publicKey: Data([0xA5]),
                algorithm: -7,
                signCount: 4,
                name: "Laptop",
                createdAt: epoch
            )
            let stored = try await store.addPasskey(key, effects: .none)
            #expect(stored.id > 0 && stored.name == "Laptop")
            var copy = key
            copy.userID = bob.id
            await #expect(throws: StoreError.self) { _ = try await store.addPasskey(copy, effects: .none) }
            #expect(try await store.passkey(credentialID: Data([1, 2, 3]))?.userID == alice.id)

            // The same assertion (counter 4 → 5) sent 10 times at once through two store objects: used once.
            let used = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask { try await target.usePasskey(id: stored.id, from: 4, to: 5, at: epoch, startingSession: nil, effects: .none) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(used == 1)
            let after = try #require(try await store.passkeys(userID: alice.id).first)
            #expect(after.signCount == 5 && after.lastUsedAt == epoch)
            try await store.recordPasskeyCounterRegression(id: stored.id, at: epoch, effects: .none)
            #expect(try await store.passkeys(userID: alice.id).first?.counterRegressions == 1)
            // Only its owner removes it.
            #expect(
                try await store.removeAuthenticator(.passkey(stored.id), userID: bob.id, at: epoch, effects: .none, lastOneEffects: .none)
                    == .notFound
            )
            // Alice's only authenticator, with two-factor on: its removal is a reset.
            #expect(
                try await store.removeAuthenticator(.passkey(stored.id), userID: alice.id, at: epoch, effects: .none, lastOneEffects: .none)
                    == .removedLast
            )
            #expect(try await store.passkeys(userID: alice.id).isEmpty)
        }
    }
}

extension WebAuthnChallenge {
    fileprivate var withoutUser: WebAuthnChallenge {
        var copy = self
        copy.userID = nil
        return copy
    }
}
