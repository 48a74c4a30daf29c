import Foundation

/// One user's authorization of one client: what a code, and every token obtained from it by
/// refreshing, share. Revoking the grant revokes the whole family at once.
public struct OIDCGrant: Sendable, Equatable {
    /// Random; never shown to anyone.
    public var id: String
    public var clientID: String
    public var userID: Int64
    /// Space-separated, as OAuth writes scopes.
    public var scope: String
    /// When the user last signed in with password and second factor (`auth_time`).
    public var authTime: Date
    /// Authentication methods (`amr`), space-separated: `pwd otp`.
    public var amr: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, clientID: String, userID: Int64, scope: String, authTime: Date, amr: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.clientID = clientID
        self.userID = userID
        self.scope = scope
        self.authTime = authTime
        self.amr = amr
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// An authorization code to store: only its hash, bound to its client, redirect URI and PKCE
/// challenge, usable once within its short life.
public struct NewAuthorizationCode: Sendable, Equatable {
    public var codeHash: String
    public var redirectURI: String
    /// base64url(SHA-256(code_verifier)) (S256, the only method accepted); nil without PKCE.
    public var codeChallenge: String?
    public var nonce: String?
    public var expiresAt: Date

    public init(codeHash: String, redirectURI: String, codeChallenge: String?, nonce: String?, expiresAt: Date) {
        self.codeHash = codeHash
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
        self.nonce = nonce
        self.expiresAt = expiresAt
    }
}

/// What a token request presents with a code; all of it must match what the code was bound to.
public struct CodePresentation: Sendable, Equatable {
    public var codeHash: String
    public var clientID: String
    public var redirectURI: String
    /// base64url(SHA-256(code_verifier)) of the verifier sent, or nil when none was sent.
    public var codeChallenge: String?

    public init(codeHash: String, clientID: String, redirectURI: String, codeChallenge: String?) {
        self.codeHash = codeHash
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.codeChallenge = codeChallenge
    }
}

/// The hashes and lifetimes of the tokens a grant issues; stored in the same transaction that
/// spends the code or the refresh token they come from.
public struct IssuedTokens: Sendable, Equatable {
    public var accessTokenHash: String
    public var accessTokenExpiresAt: Date
    public var refreshTokenHash: String?
    public var refreshTokenExpiresAt: Date?

    public init(accessTokenHash: String, accessTokenExpiresAt: Date, refreshTokenHash: String?, refreshTokenExpiresAt: Date?) {
        self.accessTokenHash = accessTokenHash
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshTokenHash = refreshTokenHash
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
    }
}

/// How spending a code or a refresh token went.
public enum GrantExchange: Sendable, Equatable {
    /// Spent now by this request; the tokens were stored. `nonce` is the code's (nil on refresh).
    case issued(OIDCGrant, nonce: String?)
    /// Spent before: the grant and every token from it have just been revoked (RFC 6749 §4.1.2,
    /// RFC 9700 §4.14.2).
    case replayed(grantID: String)
    /// Unknown, expired, revoked, or not matching its client, redirect URI or PKCE challenge;
    /// nothing changed.
    case invalid
}

/// A live access token and whom it speaks for (introspection, userinfo).
public struct OIDCAccessToken: Sendable, Equatable {
    public var clientID: String
    public var scope: String
    /// nil for a client-credentials token, which acts for the client itself.
    public var grant: OIDCGrant?
    public var createdAt: Date
    public var expiresAt: Date

    public init(clientID: String, scope: String, grant: OIDCGrant?, createdAt: Date, expiresAt: Date) {
        self.clientID = clientID
        self.scope = scope
        self.grant = grant
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A live refresh token (introspection).
public struct OIDCRefreshToken: Sendable, Equatable {
    public var grant: OIDCGrant
    public var createdAt: Date
    public var expiresAt: Date

    public init(grant: OIDCGrant, createdAt: Date, expiresAt: Date) {
        self.grant = grant
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Which token a revocation request (RFC 7009) ended.
public enum TokenRevocation: Sendable, Equatable {
    case accessToken
    /// A refresh token: its whole grant went with it.
    case refreshToken(grantID: String)
    /// Unknown, already revoked, or another client's: nothing changed.
    case none
}
