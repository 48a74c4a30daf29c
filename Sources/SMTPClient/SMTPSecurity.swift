/// How the connection to the SMTP server is protected.
public enum SMTPSecurity: Sendable, Hashable {
    /// Plain text for the whole session (credentials are then refused unless explicitly allowed).
    case none
    /// Plain connection upgraded with STARTTLS. When `required` is false the upgrade is opportunistic:
    /// used when the server offers it, otherwise the session stays plain text.
    case startTLS(required: Bool)
    /// TLS from the first byte (SMTPS, usually port 465).
    case implicitTLS

    /// The customary port: 25 for plain, 587 for STARTTLS, 465 for implicit TLS.
    public var defaultPort: Int {
        switch self {
        case .none: 25
        case .startTLS: 587
        case .implicitTLS: 465
        }
    }
}
