import Foundation

/// A mail waiting in (or sent from) the durable outbox.
public struct OutboxMail: Sendable, Equatable, Codable {
    public var id: Int64
    public var recipient: String
    public var subject: String
    public var textBody: String
    public var htmlBody: String?
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
    public var textBody: String
    public var htmlBody: String?

    public init(recipient: String, subject: String, textBody: String, htmlBody: String? = nil) {
        self.recipient = recipient
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
    }
}
