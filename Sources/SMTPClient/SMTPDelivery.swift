/// The outcome of a successful ``SMTPClient/send(_:messageIDDomain:)``.
public struct SMTPDelivery: Sendable, Hashable, CustomStringConvertible {
    /// The server's reply to the end of DATA, e.g. `250 2.0.0 OK queued as 4F2A1`.
    public var finalReply: SMTPReply
    /// The Message-ID header that was sent, angle brackets included.
    public var messageID: String
    /// The envelope recipients the server accepted.
    public var recipients: [String]
    /// Whether the session ran over TLS (implicit or after STARTTLS).
    public var usedTLS: Bool

    /// Makes a delivery record.
    public init(finalReply: SMTPReply, messageID: String, recipients: [String], usedTLS: Bool) {
        self.finalReply = finalReply
        self.messageID = messageID
        self.recipients = recipients
        self.usedTLS = usedTLS
    }

    /// The final reply as one line.
    public var description: String { self.finalReply.description }
}
