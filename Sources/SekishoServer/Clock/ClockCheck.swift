import Foundation
import Logging
import SNTPClient

/// Measures the server's clock against the configured NTP servers and judges the offset (SPEC S11, §4).
///
/// TOTP codes only match when the server's clock agrees with the phones, so an offset beyond `clock.max_offset` is
/// logged as a warning, or stops start-up with `clock.on_failure: refuse`. An unreachable server is reported as
/// such, never as "in sync".
///
/// ```swift
/// let check = ClockCheck(settings: ClockCheckSettings(configuration.clock), logger: logger)
/// try await check.runAtStartup(recordingIn: clockStatus)  // throws StartupError (exit 3) when refusing
/// ```
public struct ClockCheck: Sendable {
    /// The StartupError exit status for a clock refusal.
    public static let refusalExitCode: Int32 = 3

    public let settings: ClockCheckSettings
    private let client: SNTPClient
    private let logger: Logger
    private let wallClock: any WallClock

    /// Creates a check.
    ///
    /// - Parameters:
    ///   - client: Queries the servers; its own local clock is the one being checked.
    ///   - wallClock: Stamps ``ClockCheckResult/checkedAt``.
    public init(settings: ClockCheckSettings, client: SNTPClient = SNTPClient(), logger: Logger, wallClock: any WallClock = SystemWallClock()) {
        self.settings = settings
        self.client = client
        self.logger = logger
        self.wallClock = wallClock
    }

    /// Queries every server, logs the outcome as at start-up and returns it.
    public func run() async -> ClockCheckResult {
        let result = await self.measure()
        self.log(result, previous: nil)
        return result
    }

    /// Queries every configured server at once and picks the answer with the smallest delay, without logging.
    ///
    /// Server strings that do not parse are reported as failures of their own rather than stopping the check.
    public func measure() async -> ClockCheckResult {
        var parsed: [SNTPServer] = []
        var failures: [Int: ClockCheckResult.Failure] = [:]
        var positions: [Int] = []
        for (position, text) in self.settings.servers.enumerated() {
            if let server = SNTPServer(parsing: text) {
                parsed.append(server)
                positions.append(position)
            } else {
                failures[position] = .init(server: text, reason: "not a valid NTP server address (expected host, host:port or [IPv6]:port)")
            }
        }
        var report = SNTPReport(results: [])
        if !parsed.isEmpty {
            report = await self.client.query(servers: parsed, timeout: .seconds(self.settings.timeout))
        }
        for (position, entry) in zip(positions, report.results) {
            if case .failure(let error) = entry.result {
                failures[position] = .init(server: self.settings.servers[position], reason: error.description)
            }
        }
        return ClockCheckResult(
            checkedAt: self.wallClock.now(),
            best: report.best,
            failures: failures.sorted { $0.key < $1.key }.map(\.value),
            maxOffset: self.settings.maxOffset
        )
    }

    /// Whether start-up may go on: with `on_failure: refuse` an offset beyond the limit stops it, and so does having no
    /// answer at all (an unknown clock is not a good clock); with `warn` it always goes on.
    ///
    /// Machines that can reach no NTP server start with `clock.check: false`, which the refusal names.
    public func startupDecision(_ result: ClockCheckResult) -> ClockStartupDecision {
        guard self.settings.onFailure == .refuse else { return .proceed }
        let advice = "enable NTP time synchronisation (e.g. systemd-timesyncd or chrony)"
        switch result.verdict {
        case .withinLimit:
            return .proceed
        case .beyondLimit:
            let offset = ClockFormatting.offset(result.offset ?? .nan, digits: 1)
            return .refuse(
                StartupError(
                    "refusing to start: the clock is off by \(offset) (limit \(ClockFormatting.limit(result.maxOffset)), "
                        + "measured against \(result.best?.server ?? "NTP")); \(advice) or set clock.on_failure: warn",
                    exitCode: Self.refusalExitCode
                )
            )
        case .noAnswer:
            return .refuse(
                StartupError(
                    "refusing to start: the clock offset could not be determined (\(result.failureList)); "
                        + "make sure a server in clock.servers is reachable and \(advice), or set clock.on_failure: warn; "
                        + "a machine that can reach no NTP server (air-gapped) starts without the check with clock.check: false",
                    exitCode: Self.refusalExitCode
                )
            )
        }
    }

    /// The start-up check: measures, logs, records the result in `status`, and throws when start-up must stop.
    @discardableResult
    public func runAtStartup(recordingIn status: ClockStatus) async throws(StartupError) -> ClockCheckResult {
        let result = await self.run()
        status.record(result)
        if case .refuse(let error) = self.startupDecision(result) {
            throw error
        }
        return result
    }

    /// Logs `result`; `previous` (the last result) keeps a re-check from repeating a warning every interval.
    ///
    /// With no previous result everything is said, as at start-up. Afterwards a warning is logged only when the
    /// clock crosses the limit or answers stop, an info line when it comes back, and a debug line otherwise.
    func log(_ result: ClockCheckResult, previous: ClockCheckResult?) {
        let before = previous?.verdict
        switch result.verdict {
        case .withinLimit where before == .beyondLimit:
            self.logger.info("clock back within the limit: \(result.summary)")
        case .withinLimit where before == .withinLimit:
            self.logger.debug("\(result.summary)")
        case .withinLimit:
            self.logger.info("\(result.summary)")
        case .beyondLimit where before == .beyondLimit, .noAnswer where before == .noAnswer:
            self.logger.debug("\(result.summary)")
        case .beyondLimit:
            self.logger.warning("\(result.summary)")
            if let warning = result.totpWarning(period: self.settings.totpPeriod) {
                self.logger.warning("\(warning)")
            }
        case .noAnswer:
            self.logger.warning("\(result.summary)")
        }
        if result.best != nil {
            // Worth the operator's attention once; at every re-check it would only be noise.
            let level: Logger.Level = previous == nil ? .info : .debug
            for failure in result.failures {
                self.logger.log(level: level, "no usable answer from NTP server \(failure.server): \(failure.reason)")
            }
        }
    }
}
