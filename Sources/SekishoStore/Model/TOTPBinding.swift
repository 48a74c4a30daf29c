import Foundation

/// A confirmed authenticator app of one user; a user may have several. The secret is sealed
/// (AES-GCM) by the caller, bound to ``id``.
public struct TOTPBinding: Sendable, Equatable, Codable {
    /// Random, known before insert so that the sealed secret can be bound to it. Bindings made
    /// before several apps per account have their user's id as text.
    public var id: String
    public var userID: Int64
    /// What the user called it; empty for those bound before names existed.
    public var name: String
    public var sealedSecret: Data
    public var algorithm: String
    public var digits: Int
    public var period: Int
    /// Step of the last accepted code; a code is accepted only for a greater step (replay guard).
    public var lastStep: Int64
    public var confirmedAt: Date
    /// Steps the authenticator's clock was off at the last accepted code: the window of the next
    /// check is centred there (RFC 6238 §6). 0 for a new binding.
    public var driftSteps: Int
    /// When it last confirmed a sign-in (not its enrollment).
    public var lastUsedAt: Date?

    public init(
        id: String,
        userID: Int64,
        name: String = "",
        sealedSecret: Data,
        algorithm: String,
        digits: Int,
        period: Int,
        lastStep: Int64,
        confirmedAt: Date,
        driftSteps: Int = 0,
        lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.userID = userID
        self.name = name
        self.sealedSecret = sealedSecret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
        self.lastStep = lastStep
        self.confirmedAt = confirmedAt
        self.driftSteps = driftSteps
        self.lastUsedAt = lastUsedAt
    }
}

/// An enrollment that was shown to the user but not yet confirmed with a code (S3, S5).
///
/// It belongs to one half-way session: leaving that session abandons it.
public struct PendingEnrollment: Sendable, Equatable, Codable {
    /// Random id, known before insert so that the sealed secret can be bound to it.
    public var id: String
    public var userID: Int64
    public var sessionIDHash: String
    public var sealedSecret: Data
    public var algorithm: String
    public var digits: Int
    public var period: Int
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        id: String,
        userID: Int64,
        sessionIDHash: String,
        sealedSecret: Data,
        algorithm: String,
        digits: Int,
        period: Int,
        createdAt: Date,
        expiresAt: Date
    ) {
        self.id = id
        self.userID = userID
        self.sessionIDHash = sessionIDHash
        self.sealedSecret = sealedSecret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What became of one more app's confirmation (``SecondFactorStore/addBinding``).
public enum BindingAddition: Sendable, Equatable {
    case added
    /// The pending enrollment is gone (expired, or confirmed in another tab).
    case expired
    /// The user has the most apps allowed already.
    case full
}
