import Configuration
import Foundation
import Logging
import SekishoStore

/// Turns the layered configuration into typed settings; every value out of range names its key.
struct SettingsParser {
    let reader: ConfigReader

    /// `server.time_zone` as an IANA name (`Asia/Tokyo`, `UTC`); the system's zone when unset.
    private func timeZone() throws(ConfigurationError) -> TimeZone {
        guard let name = try optionalString("server.time_zone") else { return .current }
        guard let zone = TimeZone(identifier: name) else {
            throw ConfigurationError(key: "server.time_zone", "expected a time zone name such as Asia/Tokyo, Europe/Berlin or UTC, got '\(name)'")
        }
        return zone
    }

    func parse() throws(ConfigurationError) -> SekishoConfiguration {
        let dataDirectory = try string("data.directory")
        let publicURL = try optionalString("server.public_url").map { value throws(ConfigurationError) -> URL in
            guard let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ConfigurationError(key: "server.public_url", "expected an http:// or https:// URL, got '\(value)'")
            }
            return url
        }
        let masterKey = try optionalString("keys.master_key").map { value throws(ConfigurationError) -> [UInt8] in
            guard let data = Data(base64Encoded: value), data.count == 32 else {
                throw ConfigurationError(key: "keys.master_key", "expected 32 bytes in base64 (44 characters)")
            }
            return [UInt8](data)
        }
        let secretBytes = try int("totp.secret_bytes", in: 15...20)
        guard secretBytes == 15 || secretBytes == 20 else {
            throw ConfigurationError(key: "totp.secret_bytes", "expected 15 or 20, got \(secretBytes)")
        }
        return SekishoConfiguration(
            server: .init(
                host: try string("server.host"),
                port: try int("server.port", in: 0...65535),
                publicURL: publicURL,
                allowedHosts: try list("server.allowed_hosts").map { $0.lowercased() },
                maxBodyBytes: try int("server.max_body_bytes", in: 1024...(16 << 20)),
                publicDirectory: try string("server.public_directory"),
                idleTimeout: try double("server.idle_timeout", in: 1...3600),
                headerTimeout: try double("server.header_timeout", in: 0.1...600),
                bodyTimeout: try double("server.body_timeout", in: 0.1...3600),
                maxConnections: try int("server.max_connections", in: 1...1_000_000),
                trustedProxies: try optionalList("server.trusted_proxies").map { text throws(ConfigurationError) -> CIDR in
                    guard let range = CIDR(text) else {
                        throw ConfigurationError(
                            key: "server.trusted_proxies",
                            "expected an address or CIDR range such as 10.0.0.0/8 or fd00::/8, got '\(text)'"
                        )
                    }
                    return range
                },
                timeZone: try timeZone()
            ),
            dataDirectory: dataDirectory,
            databasePath: try optionalString("database.path") ?? "\(dataDirectory)/sekisho.sqlite",
            databaseBusyTimeout: try double("database.busy_timeout", in: 0.01...60),
            databaseURL: try databaseURL(),
            databasePoolSize: try int("database.pool_size", in: 1...1000),
            keyFile: try optionalString("keys.file") ?? "\(dataDirectory)/sekisho.key",
            masterKey: masterKey,
            mail: .init(
                transport: try choice("mail.transport"),
                worker: try bool("mail.worker"),
                directory: try optionalString("mail.directory") ?? "\(dataDirectory)/mail",
                from: try string("mail.from"),
                fromName: try string("mail.from_name"),
                smtp: try smtp(),
                smtpPassword: try optionalString("mail.smtp.password")
            ),
            totp: .init(
                issuer: try issuer(),
                secretBytes: secretBytes,
                algorithm: try choice("totp.algorithm", among: ["SHA1", "SHA256", "SHA512"]),
                window: try int("totp.window", in: 0...2)
            ),
            password: .init(
                minimumLength: try int("password.min_length", in: 8...256),
                argon2MemoryKiB: try int("password.argon2_memory_kib", in: 19456...(4 << 20)),
                argon2Iterations: try int("password.argon2_iterations", in: 2...100),
                argon2Parallelism: try int("password.argon2_parallelism", in: 1...64),
                maxConcurrentHashes: try optionalInt("password.max_concurrent_hashes", in: 1...1024) ?? ProcessInfo.processInfo.activeProcessorCount
            ),
            session: .init(
                idleTimeout: TimeInterval(try int("session.idle_timeout", in: 60...(30 * 86400))),
                absoluteTimeout: TimeInterval(try int("session.absolute_timeout", in: 300...(90 * 86400))),
                cookieDomain: try optionalString("session.cookie_domain")
            ),
            forwardAuth: .init(
                allowedDomains: try optionalList("forward_auth.allowed_domains").map { text throws(ConfigurationError) -> String in
                    let domain = text.lowercased().hasPrefix("*.") ? String(text.lowercased().dropFirst(2)) : text.lowercased()
                    guard ForwardAuthRule.isHostName(domain) else {
                        throw ConfigurationError(key: "forward_auth.allowed_domains", "expected a domain such as example.com, got '\(text)'")
                    }
                    return domain
                },
                rules: try optionalList("forward_auth.rules").map { text throws(ConfigurationError) in try ForwardAuthRule(text) },
                cacheTTL: try double("forward_auth.cache_ttl", in: 0...60)
            ),
            lockout: .init(
                freeFailures: try int("lockout.free_failures", in: 1...100),
                baseDelay: TimeInterval(try int("lockout.base_delay", in: 1...3600)),
                maxDelay: TimeInterval(try int("lockout.max_delay", in: 1...86400)),
                addressFreeFailures: try int("lockout.address_free_failures", in: 1...10000)
            ),
            clock: .init(
                check: try bool("clock.check"),
                servers: try list("clock.servers"),
                maxOffset: try double("clock.max_offset", in: 0.001...3600),
                timeout: try double("clock.timeout", in: 0.05...60),
                onFailure: try choice("clock.on_failure"),
                requireAnswer: try bool("clock.require_answer"),
                interval: try double("clock.interval", in: 10...86400)
            ),
            logLevel: try choice("log.level"),
            metricsAllowed: try optionalList("metrics.allowed").map { text throws(ConfigurationError) -> CIDR in
                guard let range = CIDR(text) else {
                    throw ConfigurationError(key: "metrics.allowed", "expected an address or CIDR range, got '\(text)'")
                }
                return range
            },
            auditRetention: TimeInterval(try int("audit.retention_days", in: 1...36_500)) * 86_400
        )
    }

    // MARK: - Typed reads

    private func optionalString(_ key: String) throws(ConfigurationError) -> String? {
        let definition = ConfigurationKey.byName[key]!
        let value = reader.string(forKey: ConfigKey(key), isSecret: definition.isSecret) ?? definition.defaultValue
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    private func string(_ key: String) throws(ConfigurationError) -> String {
        guard let value = try optionalString(key) else { throw ConfigurationError(key: key, "must not be empty") }
        return value
    }

    private func list(_ key: String) throws(ConfigurationError) -> [String] {
        // A YAML list, or one comma-separated string (environment variables, flags).
        var items = reader.stringArray(forKey: ConfigKey(key)) ?? []
        if items.isEmpty {
            items = try string(key).split(separator: ",").map(String.init)
        }
        let trimmed = items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !trimmed.isEmpty else { throw ConfigurationError(key: key, "must list at least one value") }
        return trimmed
    }

    /// A list that may be empty (its key has no default).
    private func optionalList(_ key: String) throws(ConfigurationError) -> [String] {
        // A YAML list, or one comma-separated string (environment variables, flags).
        var items = reader.stringArray(forKey: ConfigKey(key)) ?? []
        if items.isEmpty, let text = try optionalString(key) {
            items = text.split(separator: ",").map(String.init)
        }
        return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Checked now, so that a typing error stops start-up with the key named (the password is not repeated).
    private func databaseURL() throws(ConfigurationError) -> String? {
        guard let value = try optionalString("database.url") else { return nil }
        do {
            _ = try PostgresURL(value)
        } catch {
            throw ConfigurationError(key: "database.url", "\(error)")
        }
        return value
    }

    private func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(key: key, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    private func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = try optionalInt(key, in: range) else { throw ConfigurationError(key: key, "must not be empty") }
        return value
    }

    private func double(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        let text = try string(key)
        guard let value = Double(text), range.contains(value) else {
            throw ConfigurationError(key: key, "expected a number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    private func bool(_ key: String) throws(ConfigurationError) -> Bool {
        switch try string(key).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case let other: throw ConfigurationError(key: key, "expected true or false, got '\(other)'")
        }
    }

    private func choice<T: RawRepresentable<String>>(_ key: String) throws(ConfigurationError) -> T where T: CaseIterableByName {
        let text = try string(key)
        guard let value = T(rawValue: text.lowercased()) else {
            throw ConfigurationError(key: key, "expected one of \(T.names.joined(separator: ", ")), got '\(text)'")
        }
        return value
    }

    private func choice(_ key: String, among allowed: [String]) throws(ConfigurationError) -> String {
        let text = try string(key).uppercased()
        guard allowed.contains(text) else {
            throw ConfigurationError(key: key, "expected one of \(allowed.joined(separator: ", ")), got '\(text)'")
        }
        return text
    }

    private func smtp() throws(ConfigurationError) -> SMTPSettings? {
        guard let host = try optionalString("mail.smtp.host") else { return nil }
        let security: SMTPSettings.Security = try choice("mail.smtp.security")
        let defaultPort =
            switch security {
            case .none: 25
            case .starttls: 587
            case .tls: 465
            }
        return SMTPSettings(
            host: host,
            port: try optionalInt("mail.smtp.port", in: 1...65535) ?? defaultPort,
            security: security,
            username: try optionalString("mail.smtp.username"),
            caFile: try optionalString("mail.smtp.ca_file"),
            allowPlaintextAuth: try bool("mail.smtp.allow_plaintext_auth")
        )
    }

    private func issuer() throws(ConfigurationError) -> String {
        let issuer = try string("totp.issuer")
        guard !issuer.contains(":") else { throw ConfigurationError(key: "totp.issuer", "must not contain ':' (authenticator apps split on it)") }
        return issuer
    }
}

/// Enumerations whose raw values are the words an operator writes.
protocol CaseIterableByName {
    static var names: [String] { get }
}

extension SekishoConfiguration.Mail.Transport: CaseIterableByName {
    static var names: [String] { ["file", "smtp"] }
}

extension SekishoConfiguration.ClockSettings.OnFailure: CaseIterableByName {
    static var names: [String] { ["warn", "refuse"] }
}

extension SMTPSettings.Security: CaseIterableByName {
    static var names: [String] { allCases.map(\.rawValue) }
}

extension Logger.Level: CaseIterableByName {
    static var names: [String] { Logger.Level.allCases.map(\.rawValue) }
}
