/// One configuration key Sekisho understands: its default and what it means.
///
/// The list in `ConfigurationKey.all` is the single source for parsing, for refusing unknown
/// keys, and for the operator documentation.
public struct ConfigurationKey: Sendable {
    public let name: String
    /// nil: no default (the setting is off or derived from another one).
    public let defaultValue: String?
    public let help: String
    public let isList: Bool
    public let isSecret: Bool

    init(_ name: String, _ defaultValue: String?, _ help: String, list: Bool = false, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.isList = list
        self.isSecret = secret
    }

    /// The environment variable that sets this key: `server.public_url` → `SEKISHO_SERVER_PUBLIC_URL`.
    public var environmentName: String {
        "SEKISHO_" + name.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }

    public static let all: [ConfigurationKey] = [
        .init("server.host", "127.0.0.1", "Address to listen on."),
        .init("server.port", "8080", "TCP port to listen on (0 picks a free one)."),
        .init("server.public_url", nil, "Public base URL (https://login.example.com); links in mails use it; https makes cookies Secure."),
        .init("server.allowed_hosts", "localhost,127.0.0.1,::1", "Host names accepted for mail links when no public_url is set.", list: true),
        .init("server.max_body_bytes", "65536", "Largest request body accepted; larger ones get 413."),
        .init("server.idle_timeout", "60", "Seconds a connection may stay silent before it is closed."),
        .init("server.header_timeout", "10", "Seconds a client has to send a complete request head (slow clients are closed)."),
        .init("server.body_timeout", "10", "Seconds a client has, after the head, to send the whole request body (slow clients are closed)."),
        .init(
            "server.max_connections",
            "1000",
            "Connections served at once; more get 503 and are closed (lowered to (open-file limit - 64) / 2)."
        ),
        .init("server.public_directory", "./Public", "Folder with the page templates and static/ files."),
        .init("server.trusted_proxies", nil, "Proxies (CIDRs) whose X-Forwarded-For/-Proto/-Host/-Uri and X-Original-URL are believed.", list: true),
        .init("server.time_zone", nil, "Time zone of the times on the admin pages (IANA name, e.g. Asia/Tokyo); default: the system's."),
        .init("data.directory", "./data", "Directory for the database, the key file and development mail (created with mode 0700)."),
        .init("database.busy_timeout", "5", "Seconds to wait for another process's write lock before answering 503."),
        .init("database.path", nil, "SQLite database file (default: <data.directory>/sekisho.sqlite)."),
        .init("database.url", nil, "postgres://user:password@host:port/database selects PostgreSQL instead of SQLite (several instances)."),
        .init("database.pool_size", "10", "Most PostgreSQL connections this instance opens."),
        .init("keys.file", nil, "32-byte key file sealing secrets (default: <data.directory>/sekisho.key; created 0600)."),
        .init("keys.master_key", nil, "The 32-byte key as base64, instead of a key file.", secret: true),
        .init("mail.transport", "file", "file (writes .eml files, for development) or smtp."),
        .init("mail.directory", nil, "Folder for the file transport (default: <data.directory>/mail)."),
        .init("mail.worker", "true", "Send queued mail from this process (several instances may all do it safely)."),
        .init("mail.from", "sekisho@localhost", "Sender address of Sekisho's mails."),
        .init("mail.from_name", "Sekisho", "Sender display name."),
        .init("mail.smtp.host", nil, "SMTP server (an administrator's settings on /admin/mail take precedence)."),
        .init("mail.smtp.port", nil, "SMTP port (default: 587 for starttls, 465 for tls, 25 for none)."),
        .init("mail.smtp.security", "starttls", "none, starttls (required) or tls (implicit, port 465)."),
        .init("mail.smtp.username", nil, "SMTP user name for AUTH PLAIN/LOGIN."),
        .init("mail.smtp.password", nil, "SMTP password.", secret: true),
        .init("mail.smtp.ca_file", nil, "PEM file of the CA that signed a private SMTP server's certificate."),
        .init("mail.smtp.allow_plaintext_auth", "false", "Send the SMTP password over a connection without TLS (only for a server on this machine)."),
        .init("totp.issuer", "Sekisho", "Issuer shown in authenticator apps."),
        .init("totp.secret_bytes", "15", "Secret length: 15 (24 base32 characters) or 20 (32 characters)."),
        .init("totp.algorithm", "SHA1", "SHA1, SHA256 or SHA512 (most apps only support SHA1)."),
        .init("totp.window", "1", "Steps of 30 s accepted before and after now: 0, 1 or 2."),
        .init("password.min_length", "8", "Shortest password accepted (8 to 256)."),
        .init("password.argon2_memory_kib", "19456", "Argon2id memory in KiB (at least 19456)."),
        .init("password.argon2_iterations", "2", "Argon2id passes (at least 2)."),
        .init("password.argon2_parallelism", "1", "Argon2id lanes (at least 1)."),
        .init("password.max_concurrent_hashes", nil, "Password hashes computed at once (default: number of cores)."),
        .init("session.idle_timeout", "3600", "Seconds without a request before a session ends."),
        .init("session.absolute_timeout", "43200", "Seconds after sign-in when a session ends regardless."),
        .init("session.cookie_domain", nil, "Cookie Domain attribute, to share the sign-in with sub-domains."),
        .init("forward_auth.allowed_domains", nil, "Domains (and their sub-domains) that rd may send a user back to after sign-in.", list: true),
        .init(
            "forward_auth.cache_ttl",
            "1",
            "Seconds forward auth reuses a session it looked up (0: every request reads the database)."
        ),
        .init("forward_auth.rules", nil, "Rules 'host-pattern path-prefix policy' (bypass, signed_in, admin); first match wins.", list: true),
        .init("lockout.free_failures", "5", "Guesses per account checked before the first wait."),
        .init("lockout.base_delay", "30", "First wait in seconds; it doubles with each further failure."),
        .init("lockout.max_delay", "900", "Longest single wait in seconds."),
        .init("lockout.address_free_failures", "20", "Guesses per client address checked before that address waits."),
        .init("clock.check", "true", "Check the clock against NTP at start-up and hourly."),
        .init("clock.servers", "pool.ntp.org", "NTP servers (host or host:port).", list: true),
        .init("clock.max_offset", "3", "Largest clock offset in seconds considered fine."),
        .init("clock.timeout", "2", "Seconds to wait for each NTP answer."),
        .init("clock.on_failure", "warn", "warn: log and serve; refuse: stop start-up when the offset is too large or no server answers."),
        .init(
            "clock.require_answer",
            "false",
            "Obsolete and ignored: refuse also refuses when no server answers (clock.check false skips the check)."
        ),
        .init("clock.interval", "3600", "Seconds between clock checks while running."),
        .init("metrics.allowed", "127.0.0.0/8,::1", "Addresses (CIDR) that may read /metrics; an empty list allows everyone.", list: true),
        .init("audit.retention_days", "365", "Days audit events are kept."),
        .init("log.level", "info", "trace, debug, info, notice, warning, error or critical."),
    ]

    public static let byName: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
