import Foundation

/// Passkeys and the single-use challenges of their ceremonies.
public protocol PasskeyStore: Sendable {
    /// Stores a challenge (and writes `effects`, such as the refund of a password check, with it).
    func saveWebAuthnChallenge(_ challenge: WebAuthnChallenge, effects: SideEffects) async throws
    /// Deletes the challenge if it is unexpired and was issued for `purpose`, `userID` and
    /// `sessionIDHash` (`userID` nil: issued to nobody yet, a passwordless sign-in): true for
    /// exactly one of any number of concurrent callers.
    func spendWebAuthnChallenge(
        hash: String,
        purpose: WebAuthnChallenge.Purpose,
        userID: Int64?,
        sessionIDHash: String,
        at now: Date
    )
        async throws -> Bool
    /// Stores a new passkey; ``StoreError/duplicate(_:)`` when its credential ID is registered already.
    func addPasskey(_ passkey: Passkey, effects: SideEffects) async throws -> Passkey
    func passkeys(userID: Int64) async throws -> [Passkey]
    func passkey(credentialID: Data) async throws -> Passkey?
    /// A passkey's use: its counter moves from `storedCount` to `newCount` only if nobody moved it
    /// meanwhile (the same assertion sent twice is spent once), and `startingSession` begins in
    /// the same transaction. False when the counter had moved.
    func usePasskey(
        id: Int64,
        from storedCount: Int64,
        to newCount: Int64,
        at now: Date,
        startingSession: SessionStart?,
        effects: SideEffects
    )
        async throws -> Bool
    /// Counts an assertion refused for a counter that went back.
    func recordPasskeyCounterRegression(id: Int64, at now: Date, effects: SideEffects) async throws
}
