import Foundation

/// A server-side session. Only the SHA-256 of the cookie value is stored.
public struct SessionRecord: Sendable, Equatable, Codable {
    public var idHash: String
    public var userID: Int64
    public var state: State
    public var createdAt: Date
    public var lastSeenAt: Date
    /// Absolute end of the session (or of the half-way state).
    public var expiresAt: Date
    /// When the password was last proven in this session (recent-authentication checks).
    public var authenticatedAt: Date
    public var clientAddress: String
    /// The browser's `User-Agent` as it signed in (cut to ``maximumUserAgentLength``), for the
    /// sessions list.
    public var userAgent: String
    /// How the user proved who they are (RFC 8176 names: `pwd`, `otp`, `hwk`, `user`, `mfa`), for
    /// the OpenID provider's `amr`; empty for sessions begun before it was recorded.
    public var methods: [String]

    /// Longer `User-Agent` values are cut: they name a browser in far fewer characters.
    public static let maximumUserAgentLength = 512

    /// What names the session on a page: the first 16 characters of `idHash`. Never the cookie's
    /// value, and not even its whole hash.
    public var handle: String { String(idHash.prefix(Self.handleLength)) }
    public static let handleLength = 16

    public enum State: String, Sendable, Codable {
        /// Password accepted, waiting for the second factor; may only enroll or verify.
        case awaitingSecondFactor = "awaiting_second_factor"
        case signedIn = "signed_in"
    }

    public init(
        idHash: String,
        userID: Int64,
        state: State,
        createdAt: Date,
        lastSeenAt: Date,
        expiresAt: Date,
        authenticatedAt: Date,
        clientAddress: String,
        userAgent: String = "",
        methods: [String] = []
    ) {
        self.idHash = idHash
        self.userID = userID
        self.state = state
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.authenticatedAt = authenticatedAt
        self.clientAddress = clientAddress
        self.userAgent = String(userAgent.prefix(Self.maximumUserAgentLength))
        self.methods = methods
    }
}

/// A session that a change begins in its own transaction (a sign-in completed by a code, a
/// recovery code or an enrollment), replacing the session it grew from.
public struct SessionStart: Sendable, Equatable {
    public var session: SessionRecord
    /// The session it replaces (the half-way one): a new id at every change of privilege.
    public var replacing: String?

    public init(_ session: SessionRecord, replacing: String?) {
        self.session = session
        self.replacing = replacing
    }
}
