import SNTPClient

/// What the clock check asks of NTP and how it judges the answer (configuration keys `clock.*`).
public struct ClockCheckSettings: Sendable, Equatable {
    /// What start-up does when the clock is off or nobody answers.
    public enum OnFailure: String, Sendable, Equatable {
        /// Log a warning and serve anyway.
        case warn
        /// Stop start-up with exit status 3, also when no server answers.
        case refuse
    }

    /// NTP servers as "host", "host:port" or "[v6]:port"; all are queried and the answer with the smallest delay wins.
    public var servers: [String]
    /// Largest offset in seconds, either way, still considered fine.
    public var maxOffset: Double
    /// Seconds to wait for each server.
    public var timeout: Double
    public var onFailure: OnFailure
    /// Seconds between re-checks while the server runs.
    public var interval: Double
    /// The TOTP step; an offset beyond it makes most users' codes fail even with a tolerance window.
    public var totpPeriod: Double

    /// Creates settings; the defaults are those of the configuration keys.
    public init(
        servers: [String] = ["pool.ntp.org"],
        maxOffset: Double = 3,
        timeout: Double = 2,
        onFailure: OnFailure = .warn,
        interval: Double = 3600,
        totpPeriod: Double = 30
    ) {
        self.servers = servers
        self.maxOffset = maxOffset
        self.timeout = timeout
        self.onFailure = onFailure
        self.interval = interval
        self.totpPeriod = totpPeriod
    }
}

extension ClockCheckSettings {
    /// Whether `text` is an NTP server address the check can query ("host", "host:port", "[v6]:port", "::1").
    public static func isValidServer(_ text: String) -> Bool {
        SNTPServer(parsing: text) != nil
    }
}
