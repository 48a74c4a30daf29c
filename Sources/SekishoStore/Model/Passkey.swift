import Foundation

/// A passkey or security key registered to a user (WebAuthn). Only its public key is stored.
public struct Passkey: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    /// The credential ID the authenticator chose; unique across all users.
    public var credentialID: Data
    /// The COSE public key as the authenticator encoded it.
    public var publicKey: Data
    public var algorithm: Int
    /// The authenticator's signature counter at the last use (0 for keys that keep none).
    public var signCount: Int64
    public var name: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// Assertions refused because the counter went back: a sign of a cloned key, for administrators.
    public var counterRegressions: Int

    public init(
        id: Int64 = 0,
        userID: Int64,
        credentialID: Data,
        publicKey: Data,
        algorithm: Int,
        signCount: Int64,
        name: String,
        createdAt: Date,
        lastUsedAt: Date? = nil,
        counterRegressions: Int = 0
    ) {
        self.id = id
        self.userID = userID
        self.credentialID = credentialID
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.name = name
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.counterRegressions = counterRegressions
    }
}

/// What a WebAuthn challenge was issued for; it can be spent only for that, once.
public struct WebAuthnChallenge: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        /// Adding a passkey from the dashboard (after a fresh password check).
        case registration
        /// Confirming a half-way sign-in with a passkey instead of a code.
        case secondFactor = "second_factor"
        /// Signing in with a discoverable passkey from the login page, before anyone is known.
        case passwordless
    }

    /// SHA-256 of the challenge, hex: the challenge itself is not kept.
    public var hash: String
    public var purpose: Purpose
    /// The user it was issued to; nil for ``Purpose/passwordless``, whose user the passkey names.
    public var userID: Int64?
    /// The session it was shown to (for ``Purpose/passwordless``: the SHA-256 of the login
    /// page's ceremony cookie); spending it from another fails.
    public var sessionIDHash: String
    public var expiresAt: Date

    public init(hash: String, purpose: Purpose, userID: Int64?, sessionIDHash: String, expiresAt: Date) {
        self.hash = hash
        self.purpose = purpose
        self.userID = userID
        self.sessionIDHash = sessionIDHash
        self.expiresAt = expiresAt
    }
}
