import Configuration
import Foundation
import Logging
import SekishoStore

/// Turns the layered configuration into typed settings; every value out of range names its key.
struct SettingsParser {
    let reader: ConfigReader

    /// `server.time_zone` as an IANA name (`Asia/Tokyo`, `UTC`); the system's zone when unset.
    private func timeZone() throws(ConfigurationError) -> TimeZone {
        guard let name = try value(Settings.serverTimeZone) else { return .current }
        guard let zone = TimeZone(identifier: name) else {
            throw ConfigurationError(
                key: Settings.serverTimeZone.name,
                "expected a time zone name such as Asia/Tokyo, Europe/Berlin or UTC, got '\(name)'"
            )
        }
        return zone
    }

    func parse() throws(ConfigurationError) -> SekishoConfiguration {
        let dataDirectory = try value(Settings.dataDirectory)
        let publicURL = try value(Settings.serverPublicURL).map { value throws(ConfigurationError) -> URL in
            guard let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ConfigurationError(key: Settings.serverPublicURL.name, "expected an http:// or https:// URL, got '\(value)'")
            }
            return url
        }
        let masterKey = try value(Settings.keysMasterKey).map { value throws(ConfigurationError) -> [UInt8] in
            guard let data = Data(base64Encoded: value), data.count == 32 else {
                throw ConfigurationError(key: Settings.keysMasterKey.name, "expected 32 bytes in base64 (44 characters)")
            }
            return [UInt8](data)
        }
        let secretBytes = try value(Settings.totpSecretBytes)
        guard secretBytes == 15 || secretBytes == 20 else {
            throw ConfigurationError(key: Settings.totpSecretBytes.name, "expected 15 or 20, got \(secretBytes)")
        }
        return SekishoConfiguration(
            server: .init(
                host: try value(Settings.serverHost),
                port: try value(Settings.serverPort),
                publicURL: publicURL,
                allowedHosts: try value(Settings.serverAllowedHosts).map { $0.lowercased() },
                maxBodyBytes: try value(Settings.serverMaxBodyBytes),
                publicDirectory: try value(Settings.serverPublicDirectory),
                idleTimeout: try value(Settings.serverIdleTimeout),
                headerTimeout: try value(Settings.serverHeaderTimeout),
                bodyTimeout: try value(Settings.serverBodyTimeout),
                maxConnections: try value(Settings.serverMaxConnections),
                trustedProxies: try value(Settings.serverTrustedProxies).map { text throws(ConfigurationError) -> CIDR in
                    guard let range = CIDR(text) else {
                        throw ConfigurationError(
                            key: Settings.serverTrustedProxies.name,
                            "expected an address or CIDR range such as 10.0.0.0/8 or fd00::/8, got '\(text)'"
                        )
                    }
                    return range
                },
                timeZone: try timeZone()
            ),
            dataDirectory: dataDirectory,
            databasePath: try value(Settings.databasePath) ?? "\(dataDirectory)/sekisho.sqlite",
            databaseBusyTimeout: try value(Settings.databaseBusyTimeout),
            databaseURL: try databaseURL(),
            databasePoolSize: try value(Settings.databasePoolSize),
            keyFile: try value(Settings.keysFile) ?? "\(dataDirectory)/sekisho.key",
            masterKey: masterKey,
            mail: .init(
                transport: try value(Settings.mailTransport),
                worker: try value(Settings.mailWorker),
                directory: try value(Settings.mailDirectory) ?? "\(dataDirectory)/mail",
                from: try value(Settings.mailFrom),
                fromName: try value(Settings.mailFromName),
                smtp: try smtp(),
                smtpPassword: try value(Settings.mailSmtpPassword)
            ),
            totp: .init(
                issuer: try issuer(),
                secretBytes: secretBytes,
                algorithm: try value(Settings.totpAlgorithm),
                window: try value(Settings.totpWindow)
            ),
            password: .init(
                minimumLength: try value(Settings.passwordMinLength),
                argon2MemoryKiB: try value(Settings.passwordArgon2MemoryKib),
                argon2Iterations: try value(Settings.passwordArgon2Iterations),
                argon2Parallelism: try value(Settings.passwordArgon2Parallelism),
                maxConcurrentHashes: try value(Settings.passwordMaxConcurrentHashes) ?? ProcessInfo.processInfo.activeProcessorCount
            ),
            session: .init(
                idleTimeout: TimeInterval(try value(Settings.sessionIdleTimeout)),
                absoluteTimeout: TimeInterval(try value(Settings.sessionAbsoluteTimeout)),
                cookieDomain: try value(Settings.sessionCookieDomain),
                rememberBrowser: try value(Settings.sessionRememberBrowser),
                rememberBrowserFor: TimeInterval(try value(Settings.sessionRememberBrowserDays) * 86_400)
            ),
            forwardAuth: .init(
                allowedDomains: try value(Settings.forwardAuthAllowedDomains).map { text throws(ConfigurationError) -> String in
                    let domain = text.lowercased().hasPrefix("*.") ? String(text.lowercased().dropFirst(2)) : text.lowercased()
                    guard ForwardAuthRule.isHostName(domain) else {
                        throw ConfigurationError(key: Settings.forwardAuthAllowedDomains.name, "expected a domain such as example.com, got '\(text)'")
                    }
                    return domain
                },
                rules: try value(Settings.forwardAuthRules).map { text throws(ConfigurationError) in try ForwardAuthRule(text) },
                cacheTTL: try value(Settings.forwardAuthCacheTTL)
            ),
            lockout: .init(
                freeFailures: try value(Settings.lockoutFreeFailures),
                baseDelay: TimeInterval(try value(Settings.lockoutBaseDelay)),
                maxDelay: TimeInterval(try value(Settings.lockoutMaxDelay)),
                addressFreeFailures: try value(Settings.lockoutAddressFreeFailures)
            ),
            clock: .init(
                check: try value(Settings.clockCheck),
                servers: try value(Settings.clockServers),
                maxOffset: try value(Settings.clockMaxOffset),
                timeout: try value(Settings.clockTimeout),
                onFailure: try value(Settings.clockOnFailure),
                requireAnswer: try value(Settings.clockRequireAnswer),
                interval: try value(Settings.clockInterval)
            ),
            logLevel: try value(Settings.logLevel),
            metricsAllowed: try value(Settings.metricsAllowed).map { text throws(ConfigurationError) -> CIDR in
                guard let range = CIDR(text) else {
                    throw ConfigurationError(key: Settings.metricsAllowed.name, "expected an address or CIDR range, got '\(text)'")
                }
                return range
            },
            auditRetention: TimeInterval(try value(Settings.auditRetentionDays)) * 86_400
        )
    }

    // MARK: - Typed reads

    /// The value of `setting`: from the file, the environment or a flag, else its default.
    private func value<Value>(_ setting: Setting<Value>) throws(ConfigurationError) -> Value {
        let key = setting.key
        let items = key.isList ? reader.stringArray(forKey: ConfigKey(key.name)) ?? [] : []
        let text = (reader.string(forKey: ConfigKey(key.name), isSecret: key.isSecret) ?? key.defaultValue)?
            .trimmingCharacters(in: .whitespaces)
        return try setting.decode(SettingText(text: text?.isEmpty == false ? text : nil, items: items))
    }

    /// Checked now, so that a typing error stops start-up with the key named (the password is not repeated).
    private func databaseURL() throws(ConfigurationError) -> String? {
        guard let url = try value(Settings.databaseURL) else { return nil }
        do {
            _ = try PostgresURL(url)
        } catch {
            throw ConfigurationError(key: Settings.databaseURL.name, "\(error)")
        }
        return url
    }

    private func smtp() throws(ConfigurationError) -> SMTPSettings? {
        guard let host = try value(Settings.mailSmtpHost) else { return nil }
        let security: SMTPSettings.Security = try value(Settings.mailSmtpSecurity)
        let defaultPort =
            switch security {
            case .none: 25
            case .starttls: 587
            case .tls: 465
            }
        return SMTPSettings(
            host: host,
            port: try value(Settings.mailSmtpPort) ?? defaultPort,
            security: security,
            username: try value(Settings.mailSmtpUsername),
            caFile: try value(Settings.mailSmtpCAFile),
            allowPlaintextAuth: try value(Settings.mailSmtpAllowPlaintextAuth)
        )
    }

    private func issuer() throws(ConfigurationError) -> String {
        let issuer = try value(Settings.totpIssuer)
        guard !issuer.contains(":") else {
            throw ConfigurationError(key: Settings.totpIssuer.name, "must not contain ':' (authenticator apps split on it)")
        }
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
