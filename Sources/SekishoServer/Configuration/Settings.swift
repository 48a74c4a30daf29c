import Logging

/// Every setting Sekisho understands, each declared once: key, default, accepted values and
/// help text. `SettingsParser` reads them through these handles, so a key that is misspelt or
/// not declared does not compile; `all` is the list the loader checks keys against and the
/// documentation test walks, in the order of `Config/sekisho.production.yaml`.
enum Settings {
    static let serverHost: Setting<String> = .text("server.host", default: "127.0.0.1", "Address to listen on.")
    static let serverPort: Setting<Int> = .wholeNumber("server.port", default: 8080, in: 0...65535, "TCP port to listen on (0 picks a free one).")
    static let serverPublicURL: Setting<String?> = .optionalText(
        "server.public_url",
        "Public base URL (https://login.example.com); links in mails use it; https makes cookies Secure."
    )
    static let serverAllowedHosts: Setting<[String]> = .list(
        "server.allowed_hosts",
        default: "localhost,127.0.0.1,::1",
        "Host names accepted for mail links when no public_url is set."
    )
    static let serverMaxBodyBytes: Setting<Int> = .wholeNumber(
        "server.max_body_bytes",
        default: 65536,
        in: 1024...(16 << 20),
        "Largest request body accepted; larger ones get 413."
    )
    static let serverIdleTimeout: Setting<Double> = .number(
        "server.idle_timeout",
        default: 60,
        in: 1...3600,
        "Seconds a connection may stay silent before it is closed."
    )
    static let serverHeaderTimeout: Setting<Double> = .number(
        "server.header_timeout",
        default: 10,
        in: 0.1...600,
        "Seconds a client has to send a complete request head (slow clients are closed)."
    )
    static let serverBodyTimeout: Setting<Double> = .number(
        "server.body_timeout",
        default: 10,
        in: 0.1...3600,
        "Seconds a client has, after the head, to send the whole request body (slow clients are closed)."
    )
    static let serverMaxConnections: Setting<Int> = .wholeNumber(
        "server.max_connections",
        default: 1000,
        in: 1...1_000_000,
        "Connections served at once; more get 503 and are closed (lowered to (open-file limit - 64) / 2)."
    )
    static let serverPublicDirectory: Setting<String> = .text(
        "server.public_directory",
        default: "./Public",
        "Folder with the page templates and static/ files."
    )
    static let serverTrustedProxies: Setting<[String]> = .optionalList(
        "server.trusted_proxies",
        default: nil,
        "Proxies (CIDRs) whose X-Forwarded-For/-Proto/-Host/-Uri and X-Original-URL are believed."
    )
    static let serverTimeZone: Setting<String?> = .optionalText(
        "server.time_zone",
        "Time zone of the times on the admin pages (IANA name, e.g. Asia/Tokyo); default: the system's."
    )
    static let dataDirectory: Setting<String> = .text(
        "data.directory",
        default: "./data",
        "Directory for the database, the key file and development mail (created with mode 0700)."
    )
    static let databaseBusyTimeout: Setting<Double> = .number(
        "database.busy_timeout",
        default: 5,
        in: 0.01...60,
        "Seconds to wait for another process's write lock before answering 503."
    )
    static let databasePath: Setting<String?> = .optionalText("database.path", "SQLite database file (default: <data.directory>/sekisho.sqlite).")
    static let databaseURL: Setting<String?> = .optionalText(
        "database.url",
        "postgres://user:password@host:port/database selects PostgreSQL instead of SQLite (several instances)."
    )
    static let databasePoolSize: Setting<Int> = .wholeNumber(
        "database.pool_size",
        default: 10,
        in: 1...1000,
        "Most PostgreSQL connections this instance opens."
    )
    static let keysFile: Setting<String?> = .optionalText(
        "keys.file",
        "32-byte key file sealing secrets (default: <data.directory>/sekisho.key; created 0600)."
    )
    static let keysMasterKey: Setting<String?> = .optionalText("keys.master_key", "The 32-byte key as base64, instead of a key file.", secret: true)
    static let mailTransport: Setting<SekishoConfiguration.Mail.Transport> = .choice(
        "mail.transport",
        default: .file,
        "file (writes .eml files, for development) or smtp."
    )
    static let mailDirectory: Setting<String?> = .optionalText("mail.directory", "Folder for the file transport (default: <data.directory>/mail).")
    static let mailWorker: Setting<Bool> = .flag(
        "mail.worker",
        default: true,
        "Send queued mail from this process (several instances may all do it safely)."
    )
    static let mailFrom: Setting<String> = .text("mail.from", default: "sekisho@localhost", "Sender address of Sekisho's mails.")
    static let mailFromName: Setting<String> = .text("mail.from_name", default: "Sekisho", "Sender display name.")
    static let mailSmtpHost: Setting<String?> = .optionalText(
        "mail.smtp.host",
        "SMTP server (an administrator's settings on /admin/mail take precedence)."
    )
    static let mailSmtpPort: Setting<Int?> = .optionalWholeNumber(
        "mail.smtp.port",
        in: 1...65535,
        "SMTP port (default: 587 for starttls, 465 for tls, 25 for none)."
    )
    static let mailSmtpSecurity: Setting<SMTPSettings.Security> = .choice(
        "mail.smtp.security",
        default: .starttls,
        "none, starttls (required) or tls (implicit, port 465)."
    )
    static let mailSmtpUsername: Setting<String?> = .optionalText("mail.smtp.username", "SMTP user name for AUTH PLAIN/LOGIN.")
    static let mailSmtpPassword: Setting<String?> = .optionalText("mail.smtp.password", "SMTP password.", secret: true)
    static let mailSmtpCAFile: Setting<String?> = .optionalText(
        "mail.smtp.ca_file",
        "PEM file of the CA that signed a private SMTP server's certificate."
    )
    static let mailSmtpAllowPlaintextAuth: Setting<Bool> = .flag(
        "mail.smtp.allow_plaintext_auth",
        default: false,
        "Send the SMTP password over a connection without TLS (only for a server on this machine)."
    )
    static let totpIssuer: Setting<String> = .text("totp.issuer", default: "Sekisho", "Issuer shown in authenticator apps.")
    static let totpSecretBytes: Setting<Int> = .wholeNumber(
        "totp.secret_bytes",
        default: 15,
        in: 15...20,
        "Secret length: 15 (24 base32 characters) or 20 (32 characters)."
    )
    static let totpAlgorithm: Setting<String> = .word(
        "totp.algorithm",
        default: "SHA1",
        among: ["SHA1", "SHA256", "SHA512"],
        "SHA1, SHA256 or SHA512 (most apps only support SHA1)."
    )
    static let totpWindow: Setting<Int> = .wholeNumber(
        "totp.window",
        default: 1,
        in: 0...2,
        "Steps of 30 s accepted before and after now: 0, 1 or 2."
    )
    static let passwordMinLength: Setting<Int> = .wholeNumber(
        "password.min_length",
        default: 8,
        in: 8...256,
        "Shortest password accepted (8 to 256)."
    )
    static let passwordArgon2MemoryKib: Setting<Int> = .wholeNumber(
        "password.argon2_memory_kib",
        default: 19456,
        in: 19456...(4 << 20),
        "Argon2id memory in KiB (at least 19456)."
    )
    static let passwordArgon2Iterations: Setting<Int> = .wholeNumber(
        "password.argon2_iterations",
        default: 2,
        in: 2...100,
        "Argon2id passes (at least 2)."
    )
    static let passwordArgon2Parallelism: Setting<Int> = .wholeNumber(
        "password.argon2_parallelism",
        default: 1,
        in: 1...64,
        "Argon2id lanes (at least 1)."
    )
    static let passwordMaxConcurrentHashes: Setting<Int?> = .optionalWholeNumber(
        "password.max_concurrent_hashes",
        in: 1...1024,
        "Password hashes computed at once (default: number of cores)."
    )
    static let sessionIdleTimeout: Setting<Int> = .wholeNumber(
        "session.idle_timeout",
        default: 3600,
        in: 60...(30 * 86400),
        "Seconds without a request before a session ends."
    )
    static let sessionAbsoluteTimeout: Setting<Int> = .wholeNumber(
        "session.absolute_timeout",
        default: 43200,
        in: 300...(90 * 86400),
        "Seconds after sign-in when a session ends regardless."
    )
    static let sessionCookieDomain: Setting<String?> = .optionalText(
        "session.cookie_domain",
        "Cookie Domain attribute, to share the sign-in with sub-domains."
    )
    static let sessionRememberBrowser: Setting<Bool> = .flag(
        "session.remember_browser",
        default: false,
        "Offer 'remember this browser' on the code page: a remembered browser skips the code (never the password)."
    )
    static let sessionRememberBrowserDays: Setting<Int> = .wholeNumber(
        "session.remember_browser_days",
        default: 30,
        in: 1...90,
        "Days a remembered browser skips the code."
    )
    static let forwardAuthAllowedDomains: Setting<[String]> = .optionalList(
        "forward_auth.allowed_domains",
        default: nil,
        "Domains (and their sub-domains) that rd may send a user back to after sign-in."
    )
    static let forwardAuthCacheTTL: Setting<Double> = .number(
        "forward_auth.cache_ttl",
        default: 1,
        in: 0...60,
        "Seconds forward auth reuses a session it looked up (0: every request reads the database)."
    )
    static let forwardAuthRules: Setting<[String]> = .optionalList(
        "forward_auth.rules",
        default: nil,
        "Rules 'host-pattern path-prefix policy' (bypass, signed_in, admin); first match wins."
    )
    static let lockoutFreeFailures: Setting<Int> = .wholeNumber(
        "lockout.free_failures",
        default: 5,
        in: 1...100,
        "Guesses per account checked before the first wait."
    )
    static let lockoutBaseDelay: Setting<Int> = .wholeNumber(
        "lockout.base_delay",
        default: 30,
        in: 1...3600,
        "First wait in seconds; it doubles with each further failure."
    )
    static let lockoutMaxDelay: Setting<Int> = .wholeNumber("lockout.max_delay", default: 900, in: 1...86400, "Longest single wait in seconds.")
    static let lockoutAddressFreeFailures: Setting<Int> = .wholeNumber(
        "lockout.address_free_failures",
        default: 20,
        in: 1...10000,
        "Guesses per client address checked before that address waits."
    )
    static let clockCheck: Setting<Bool> = .flag("clock.check", default: true, "Check the clock against NTP at start-up and hourly.")
    static let clockServers: Setting<[String]> = .list("clock.servers", default: "pool.ntp.org", "NTP servers (host or host:port).")
    static let clockMaxOffset: Setting<Double> = .number(
        "clock.max_offset",
        default: 3,
        in: 0.001...3600,
        "Largest clock offset in seconds considered fine."
    )
    static let clockTimeout: Setting<Double> = .number("clock.timeout", default: 2, in: 0.05...60, "Seconds to wait for each NTP answer.")
    static let clockOnFailure: Setting<SekishoConfiguration.ClockSettings.OnFailure> = .choice(
        "clock.on_failure",
        default: .warn,
        "warn: log and serve; refuse: stop start-up when the offset is too large or no server answers."
    )
    static let clockRequireAnswer: Setting<Bool> = .flag(
        "clock.require_answer",
        default: false,
        "Obsolete and ignored: refuse also refuses when no server answers (clock.check false skips the check)."
    )
    static let clockInterval: Setting<Double> = .number(
        "clock.interval",
        default: 3600,
        in: 10...86400,
        "Seconds between clock checks while running."
    )
    static let metricsAllowed: Setting<[String]> = .optionalList(
        "metrics.allowed",
        default: "127.0.0.0/8,::1",
        "Addresses (CIDR) that may read /metrics; an empty list allows everyone."
    )
    static let auditRetentionDays: Setting<Int> = .wholeNumber("audit.retention_days", default: 365, in: 1...36_500, "Days audit events are kept.")
    static let logLevel: Setting<Logger.Level> = .choice("log.level", default: .info, "trace, debug, info, notice, warning, error or critical.")

    static let all: [ConfigurationKey] = [
        serverHost.key,
        serverPort.key,
        serverPublicURL.key,
        serverAllowedHosts.key,
        serverMaxBodyBytes.key,
        serverIdleTimeout.key,
        serverHeaderTimeout.key,
        serverBodyTimeout.key,
        serverMaxConnections.key,
        serverPublicDirectory.key,
        serverTrustedProxies.key,
        serverTimeZone.key,
        dataDirectory.key,
        databaseBusyTimeout.key,
        databasePath.key,
        databaseURL.key,
        databasePoolSize.key,
        keysFile.key,
        keysMasterKey.key,
        mailTransport.key,
        mailDirectory.key,
        mailWorker.key,
        mailFrom.key,
        mailFromName.key,
        mailSmtpHost.key,
        mailSmtpPort.key,
        mailSmtpSecurity.key,
        mailSmtpUsername.key,
        mailSmtpPassword.key,
        mailSmtpCAFile.key,
        mailSmtpAllowPlaintextAuth.key,
        totpIssuer.key,
        totpSecretBytes.key,
        totpAlgorithm.key,
        totpWindow.key,
        passwordMinLength.key,
        passwordArgon2MemoryKib.key,
        passwordArgon2Iterations.key,
        passwordArgon2Parallelism.key,
        passwordMaxConcurrentHashes.key,
        sessionIdleTimeout.key,
        sessionAbsoluteTimeout.key,
        sessionCookieDomain.key,
        sessionRememberBrowser.key,
        sessionRememberBrowserDays.key,
        forwardAuthAllowedDomains.key,
        forwardAuthCacheTTL.key,
        forwardAuthRules.key,
        lockoutFreeFailures.key,
        lockoutBaseDelay.key,
        lockoutMaxDelay.key,
        lockoutAddressFreeFailures.key,
        clockCheck.key,
        clockServers.key,
        clockMaxOffset.key,
        clockTimeout.key,
        clockOnFailure.key,
        clockRequireAnswer.key,
        clockInterval.key,
        metricsAllowed.key,
        auditRetentionDays.key,
        logLevel.key,
    ]
}
