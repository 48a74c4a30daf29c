/// Where and how ``SMTPClient`` delivers mail.
public struct SMTPConfiguration: Sendable {
    /// The server's host name or IP address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// Plain, STARTTLS (required or opportunistic) or implicit TLS.
    public var security: SMTPSecurity
    /// Credentials for AUTH, or nil to send without authenticating.
    public var credentials: SMTPCredentials?
    /// Whether credentials may be sent over a connection without TLS. False by default: the client then fails
    /// before sending anything credential-like.
    public var allowCredentialsWithoutTLS: Bool
    /// A PEM file of CA certificates to trust instead of the system's; nil for the system trust store.
    public var trustRootsFile: String?
    /// Whether to verify the server's certificate chain and host name. True by default; turn off only for tests.
    public var verifyCertificates: Bool
    /// The name the certificate must carry and the SNI name; nil for ``host``.
    public var tlsServerName: String?
    /// The name this client gives in EHLO/HELO.
    public var heloName: String
    /// Time limits per step.
    public var timeouts: SMTPTimeouts

    /// Makes a configuration.
    ///
    /// - Parameters:
    ///   - port: nil for the customary port of `security` (25, 587 or 465).
    public init(
        host: String,
        port: Int? = nil,
        security: SMTPSecurity = .startTLS(required: true),
        credentials: SMTPCredentials? = nil,
        allowCredentialsWithoutTLS: Bool = false,
        trustRootsFile: String? = nil,
        verifyCertificates: Bool = true,
        tlsServerName: String? = nil,
        heloName: String = "localhost",
        timeouts: SMTPTimeouts = SMTPTimeouts()
    ) {
        self.host = host
        self.port = port ?? security.defaultPort
        self.security = security
        self.credentials = credentials
        self.allowCredentialsWithoutTLS = allowCredentialsWithoutTLS
        self.trustRootsFile = trustRootsFile
        self.verifyCertificates = verifyCertificates
        self.tlsServerName = tlsServerName
        self.heloName = heloName
        self.timeouts = timeouts
    }
}
