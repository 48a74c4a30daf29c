import Foundation

/// A mail to send: sender, recipients, subject, a plain-text body and an optional HTML alternative.
///
/// Every message has a plain-text part. Values are checked when the message is rendered (see
/// ``rendered(messageIDDomain:)``); header values with CR, LF or NUL are refused there, never sent.
public struct MailMessage: Sendable {
    /// The sender (`From:` header and `MAIL FROM` envelope address).
    public var from: MailAddress
    /// The recipients (`To:` header and one `RCPT TO` each).
    public var to: [MailAddress]
    /// The subject; non-ASCII text is sent as RFC 2047 encoded words.
    public var subject: String
    /// The plain-text body, always sent.
    public var textBody: String
    /// An optional HTML body, sent as the second part of a `multipart/alternative`.
    public var htmlBody: String?
    /// The `Date:` header; injected so output is reproducible.
    public var date: Date
    /// An explicit Message-ID (with or without angle brackets); a random one is made when `nil`.
    public var messageID: String?
    /// Additional headers such as `Auto-Submitted: auto-generated`.
    public var extraHeaders: [MailHeader]

    /// Makes a message.
    public init(
        from: MailAddress,
        to: [MailAddress],
        subject: String,
        textBody: String,
        htmlBody: String? = nil,
        date: Date,
        messageID: String? = nil,
        extraHeaders: [MailHeader] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.date = date
        self.messageID = messageID
        self.extraHeaders = extraHeaders
    }
}
