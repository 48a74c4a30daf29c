/// Time limits for each step of an SMTP session.
public struct SMTPTimeouts: Sendable, Hashable {
    /// Establishing the TCP connection (10 s by default).
    public var connect: Duration
    /// Each command's reply, the greeting and the TLS handshake included (30 s by default).
    public var command: Duration
    /// The reply after the final `.` of DATA, when the server may scan the message (120 s by default).
    public var dataEnd: Duration

    /// Makes timeouts; the defaults follow RFC 5321 section 4.5.3.2 loosely, shorter for a login server.
    public init(connect: Duration = .seconds(10), command: Duration = .seconds(30), dataEnd: Duration = .seconds(120)) {
        self.connect = connect
        self.command = command
        self.dataEnd = dataEnd
    }
}
