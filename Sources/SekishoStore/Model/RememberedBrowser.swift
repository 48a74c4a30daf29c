import Foundation

/// A browser that skips the second factor of one account until `expiresAt` (issue #16). Only the
/// SHA-256 of its cookie is stored; the password is still asked every time.
public struct RememberedBrowser: Sendable, Equatable {
    public var tokenHash: String
    public var userID: Int64
    public var userAgent: String
    public var clientAddress: String
    public var createdAt: Date
    public var expiresAt: Date
    public var lastUsedAt: Date?

    public init(
        tokenHash: String,
        userID: Int64,
        userAgent: String,
        clientAddress: String,
        createdAt: Date,
        expiresAt: Date,
        lastUsedAt: Date? = nil
    ) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.userAgent = String(userAgent.prefix(SessionRecord.maximumUserAgentLength))
        self.clientAddress = clientAddress
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }

    /// What names it on a page, like ``SessionRecord/handle``: a prefix of the hash.
    public var handle: String { String(tokenHash.prefix(SessionRecord.handleLength)) }
}
