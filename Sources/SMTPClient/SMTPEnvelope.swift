/// What one SMTP transaction carries: envelope addresses and the dot-stuffed DATA bytes.
struct SMTPEnvelope: Sendable {
    var from: String
    var recipients: [String]
    /// Dot-stuffed, CRLF-normalised, ending with `.\r\n`.
    var data: [UInt8]
    /// The size of the message before dot-stuffing, for the SIZE extension.
    var messageSize: Int
}
