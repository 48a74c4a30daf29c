import Foundation

/// A relying party registered with Sekisho's OpenID provider.
public struct OIDCClient: Sendable, Equatable {
    /// Who may sign in to the client.
    public enum AccessPolicy: String, Sendable, CaseIterable {
        case everyone
        case admins
        /// Only the users in ``OIDCClient/allowedUserIDs``.
        case listed
    }

    /// The JWS algorithm of the client's ID tokens; `none` is not a case, so it cannot be chosen.
    public enum SigningAlgorithm: String, Sendable, CaseIterable {
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    /// Where the client was defined: configuration-file clients are replaced at every start.
    public enum Source: String, Sendable {
        case config
        case console
    }

    public var clientID: String
    /// The SHA-256 of the secret; nil for a public client, which must use PKCE instead.
    public var secretHash: String?
    public var name: String
    /// Compared exactly, character for character (no prefix or pattern matching).
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String]
    public var scopes: [String]
    public var accessPolicy: AccessPolicy
    public var allowedUserIDs: [Int64]
    /// First-party apps: the consent page is not shown.
    public var skipConsent: Bool
    /// Always true for public clients (enforced by the service); configurable for confidential ones.
    public var requirePKCE: Bool
    public var signingAlgorithm: SigningAlgorithm
    public var accessTokenLifetime: Int
    public var idTokenLifetime: Int
    public var refreshTokenLifetime: Int
    public var source: Source
    public var createdAt: Date
    public var updatedAt: Date

    public var isPublic: Bool { secretHash == nil }

    public init(
        clientID: String,
        secretHash: String?,
        name: String,
        redirectURIs: [String],
        postLogoutRedirectURIs: [String] = [],
        scopes: [String] = ["openid", "profile", "email", "groups", "offline_access"],
        accessPolicy: AccessPolicy = .everyone,
        allowedUserIDs: [Int64] = [],
        skipConsent: Bool = false,
        requirePKCE: Bool = true,
        signingAlgorithm: SigningAlgorithm = .rs256,
        accessTokenLifetime: Int = 3600,
        idTokenLifetime: Int = 3600,
        refreshTokenLifetime: Int = 30 * 86_400,
        source: Source = .console,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.clientID = clientID
        self.secretHash = secretHash
        self.name = name
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.scopes = scopes
        self.accessPolicy = accessPolicy
        self.allowedUserIDs = allowedUserIDs
        self.skipConsent = skipConsent
        self.requirePKCE = requirePKCE
        self.signingAlgorithm = signingAlgorithm
        self.accessTokenLifetime = accessTokenLifetime
        self.idTokenLifetime = idTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.source = source
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
