import Foundation
import Logging

/// Sekisho's settings, parsed and checked. Built by `ConfigurationLoader`; tests build it from an
/// in-memory dictionary through the same loader.
public struct SekishoConfiguration: Sendable {
    public var server: Server
    public var dataDirectory: String
    public var databasePath: String
    public var databaseBusyTimeout: Double
    /// A PostgreSQL URL: when set, the shared PostgreSQL store replaces the SQLite file.
    public var databaseURL: String?
    /// The most PostgreSQL connections this instance opens.
    public var databasePoolSize: Int
    public var keyFile: String
    /// Set when the key comes from configuration instead of a key file.
    public var masterKey: [UInt8]?
    public var mail: Mail
    public var totp: TOTPSettings
    public var password: PasswordSettings
    public var session: SessionSettings
    public var forwardAuth: ForwardAuthSettings
    public var lockout: LockoutSettings
    public var clock: ClockSettings
    public var logLevel: Logger.Level
    /// Who may read `/metrics`.
    public var metricsAllowed: [CIDR]
    /// How long audit events are kept.
    public var auditRetention: TimeInterval
    /// OpenID clients from the file's `oidc.clients`; nil when the file has no such list, which
    /// leaves the clients an earlier file defined as they are (an empty list removes them).
    public var oidcClients: [ConfiguredOIDCClient]? = nil

    public struct Server: Sendable {
        public var host: String
        public var port: Int
        public var publicURL: URL?
        public var allowedHosts: [String]
        public var maxBodyBytes: Int
        public var publicDirectory: String
        public var idleTimeout: Double
        public var headerTimeout: Double
        /// Seconds from a request head to the end of its body.
        public var bodyTimeout: Double
        /// Connections served at once (before the descriptor limit lowers it).
        public var maxConnections: Int
        /// Peers whose forwarded headers (client address, original URL) are believed; empty: none.
        public var trustedProxies: [CIDR]
        /// The operator's time zone, for the times on the admin pages (`server.time_zone`, default the system's).
        public var timeZone: TimeZone = .current
        /// Cookies get `Secure` when the public URL is https.
        public var isHTTPS: Bool { publicURL?.scheme == "https" }
    }

    public struct Mail: Sendable {
        public enum Transport: String, Sendable { case file, smtp }
        public var transport: Transport
        /// Whether this process runs the outbox worker.
        public var worker: Bool
        public var directory: String
        public var from: String
        public var fromName: String
        /// SMTP settings from the configuration; the password stays in memory only.
        public var smtp: SMTPSettings?
        public var smtpPassword: String?
    }

    public struct TOTPSettings: Sendable {
        public var issuer: String
        public var secretBytes: Int
        public var algorithm: String
        public var window: Int
        public let digits = 6
        public let period = 30
    }

    public struct PasswordSettings: Sendable {
        public var minimumLength: Int
        public var argon2MemoryKiB: Int
        public var argon2Iterations: Int
        public var argon2Parallelism: Int
        public var maxConcurrentHashes: Int
    }

    public struct SessionSettings: Sendable {
        public var idleTimeout: TimeInterval
        public var absoluteTimeout: TimeInterval
        public var cookieDomain: String?
        /// Whether the code page offers "remember this browser" (issue #16); off by default.
        public var rememberBrowser: Bool
        /// How long a remembered browser skips the second factor (at most 90 days).
        public var rememberBrowserFor: TimeInterval
        /// "Password accepted, waiting for the code" lasts this long (SPEC §2).
        public let pendingTimeout: TimeInterval = 300
    }

    public struct ForwardAuthSettings: Sendable {
        /// `rd` may name these hosts and their sub-domains (lower case).
        public var allowedDomains: [String]
        /// First match wins; none matching means `signed_in`.
        public var rules: [ForwardAuthRule]
        /// Seconds forward auth may reuse a session it looked up; 0 looks up every request.
        public var cacheTTL: TimeInterval
    }

    public struct LockoutSettings: Sendable {
        public var freeFailures: Int
        public var baseDelay: TimeInterval
        public var maxDelay: TimeInterval
        public var addressFreeFailures: Int
    }

    public struct ClockSettings: Sendable {
        public enum OnFailure: String, Sendable { case warn, refuse }
        public var check: Bool
        public var servers: [String]
        public var maxOffset: Double
        public var timeout: Double
        public var onFailure: OnFailure
        /// Obsolete: `refuse` now also refuses when no server answers. Still read so that existing files keep loading.
        public var requireAnswer: Bool
        public var interval: Double
    }
}
