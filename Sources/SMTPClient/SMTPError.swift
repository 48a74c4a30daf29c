/// Why a mail could not be delivered, with the server's reply when there was one.
///
/// ``isTransient`` tells a mail queue whether to try again later:
/// - transient: 4xx replies, timeouts, refused/reset/closed connections, DNS failures, a TLS handshake cut off
///   by end-of-file, task cancellation;
/// - permanent: 5xx replies, certificate or host-name verification failures and other TLS handshake failures
///   (these come from configuration — trust roots, names, protocol versions — and retrying will not fix them),
///   STARTTLS required but not offered, credentials refused over plain text, a missing AUTH mechanism,
///   an invalid message, a message above the server's SIZE limit, protocol violations.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    /// The category of failure; compare with the static members, e.g. `error.kind == .timeout`.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case connectionFailed, connectionClosed, timeout, tlsFailure, startTLSUnavailable, credentialsRequireTLS
            case authenticationUnavailable, authenticationFailed, rejected, protocolViolation, invalidMessage
            case messageTooLarge, invalidConfiguration, cancelled
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The TCP connection could not be made (refused, unreachable, name not resolved).
        public static let connectionFailed = Self(.connectionFailed)
        /// The server closed or reset the connection mid-session.
        public static let connectionClosed = Self(.connectionClosed)
        /// A step took longer than its configured timeout.
        public static let timeout = Self(.timeout)
        /// The TLS handshake failed (certificate not trusted, wrong host name, no common protocol).
        public static let tlsFailure = Self(.tlsFailure)
        /// STARTTLS is required but the server does not offer it or refused it.
        public static let startTLSUnavailable = Self(.startTLSUnavailable)
        /// Credentials are configured but the connection has no TLS and plain-text AUTH is not allowed.
        public static let credentialsRequireTLS = Self(.credentialsRequireTLS)
        /// The server offers no AUTH mechanism this client can use.
        public static let authenticationUnavailable = Self(.authenticationUnavailable)
        /// The server refused the credentials (e.g. 535).
        public static let authenticationFailed = Self(.authenticationFailed)
        /// The server refused a command with a 4xx or 5xx reply.
        public static let rejected = Self(.rejected)
        /// The server's replies broke the protocol.
        public static let protocolViolation = Self(.protocolViolation)
        /// The message could not be rendered (see ``MailFormatError``).
        public static let invalidMessage = Self(.invalidMessage)
        /// The message is larger than the server's announced SIZE limit.
        public static let messageTooLarge = Self(.messageTooLarge)
        /// The configuration cannot work (unreadable CA file, password with NUL for PLAIN, ...).
        public static let invalidConfiguration = Self(.invalidConfiguration)
        /// The sending task was cancelled.
        public static let cancelled = Self(.cancelled)

        public var description: String { "\(self.base)" }
    }

    /// The category of failure.
    public var kind: Kind
    /// The server's reply that caused the failure, if there was one.
    public var reply: SMTPReply?
    /// The command or step the failure followed, e.g. `RCPT TO` or `greeting`.
    public var step: String?
    /// Whether trying again later may succeed.
    public var isTransient: Bool
    /// A human-readable explanation (without server text, which is in ``reply``).
    public var detail: String
    /// The lower-level error, when one caused this.
    public var underlying: (any Error)?

    /// Makes an error.
    public init(kind: Kind, detail: String, reply: SMTPReply? = nil, step: String? = nil, isTransient: Bool, underlying: (any Error)? = nil) {
        self.kind = kind
        self.detail = detail
        self.reply = reply
        self.step = step
        self.isTransient = isTransient
        self.underlying = underlying
    }

    /// The server's reply code, if the server replied.
    public var replyCode: Int? { self.reply?.code }
    /// The server's reply text, if the server replied.
    public var replyText: String? { self.reply?.text }

    /// E.g. `550 5.1.1 mailbox unavailable (after RCPT TO)` or `timeout after 30 s waiting for the greeting`.
    public var description: String {
        var text = self.reply.map { "\($0)" } ?? self.detail
        if self.reply != nil, self.kind != .rejected {
            text = "\(self.detail): \(text)"
        }
        if let step {
            text += " (after \(step))"
        }
        return text
    }

    static func rejected(_ reply: SMTPReply, step: String) -> Self {
        Self(kind: .rejected, detail: "server refused \(step)", reply: reply, step: step, isTransient: reply.isTransientNegative)
    }

    static func protocolViolation(_ detail: String, reply: SMTPReply? = nil, step: String? = nil) -> Self {
        Self(kind: .protocolViolation, detail: "SMTP protocol violation: \(detail)", reply: reply, step: step, isTransient: false)
    }
}
