import Foundation

/// A key that signs ID tokens, its private part sealed with the key file.
public struct OIDCSigningKey: Sendable, Equatable {
    /// The `kid` of the JWKS and of the tokens' headers; also the row's key in the seal context.
    public var kid: String
    public var algorithm: OIDCClient.SigningAlgorithm
    /// The private key (PEM) sealed for (`oidc_signing_key`, `sealed_private_key`, kid).
    public var sealedPrivateKey: Data
    public var createdAt: Date
    /// When a newer key took over; nil for the key that signs now. A retired key is still
    /// published until the tokens it signed have expired.
    public var retiredAt: Date?

    public init(kid: String, algorithm: OIDCClient.SigningAlgorithm, sealedPrivateKey: Data, createdAt: Date, retiredAt: Date? = nil) {
        self.kid = kid
        self.algorithm = algorithm
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}
