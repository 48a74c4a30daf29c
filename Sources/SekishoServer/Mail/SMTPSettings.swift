/// How to reach the SMTP server: from the configuration file, or saved by an administrator on
/// `/admin/mail` (which then wins). The password is stored sealed, never in plain text.
public struct SMTPSettings: Sendable, Codable, Equatable {
    public enum Security: String, Sendable, Codable, CaseIterable {
        case none
        case starttls
        case tls
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    /// Sealed with the master key (base64); nil when no password is set.
    public var sealedPassword: String?
    public var caFile: String?
    /// Sending credentials without TLS must be asked for explicitly.
    public var allowPlaintextAuth: Bool
    /// The sender an administrator set; nil keeps `mail.from` / `mail.from_name`.
    public var senderAddress: String?
    public var senderName: String?

    public init(
        host: String,
        port: Int,
        security: Security,
        username: String? = nil,
        sealedPassword: String? = nil,
        caFile: String? = nil,
        allowPlaintextAuth: Bool = false
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.sealedPassword = sealedPassword
        self.caFile = caFile
        self.allowPlaintextAuth = allowPlaintextAuth
    }
}
