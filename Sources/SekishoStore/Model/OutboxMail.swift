import Foundation

/// A mail waiting in (or sent from) the durable outbox.
public struct OutboxMail: Sendable, Equatable, Codable {
    public var id: Int64
    public var recipient: String
    public var subject: String
    /// What the mail says, with any secret it carries redacted: this is what stays in the table
    /// and what administrators see.
    public var textBody: String
    public var htmlBody: String?
    /// The bodies with their secret, sealed for this row; only until the mail is sent or given up.
    public var sealedBody: Data?
    public var createdAt: Date
    public var attempts: Int
    public var nextTryAt: Date
    public var sentAt: Date?
    public var failedAt: Date?
    public var lastError: String?
    /// A worker that took the mail holds it until then; another may take it afterwards.
    public var claimedUntil: Date?
}

/// A mail to queue in the same transaction as the change it reports.
public struct NewOutboxMail: Sendable, Equatable {
    public var recipient: String
    public var subject: String
    /// The bodies stored in plain text: with any secret redacted when `secret` is set.
    public var textBody: String
    public var htmlBody: String?
    /// The bodies with their secret, sealed once the row exists.
    public var secret: SealedMailBodies?

    public init(recipient: String, subject: String, textBody: String, htmlBody: String? = nil, secret: SealedMailBodies? = nil) {
        self.recipient = recipient
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.secret = secret
    }
}

/// The real bodies of a mail that carries a secret (a reset link), to be sealed for its row.
///
/// The store cannot seal (it has no key), and the sealed value is bound to the row's id, which
/// only the store learns when it inserts the row: so the store calls `seal` with that id in the
/// same transaction as the insert.
public struct SealedMailBodies: Sendable, Equatable {
    /// Two values are the same only when made by the same call (closures cannot be compared).
    private let identity = UUID()
    /// Returns the sealed bodies for the outbox row `mailID` addressed to `recipient`.
    public let seal: @Sendable (_ mailID: Int64, _ recipient: String) throws -> Data

    public init(seal: @escaping @Sendable (_ mailID: Int64, _ recipient: String) throws -> Data) {
        self.seal = seal
    }

    public static func == (lhs: SealedMailBodies, rhs: SealedMailBodies) -> Bool { lhs.identity == rhs.identity }
}
