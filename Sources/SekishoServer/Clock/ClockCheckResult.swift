import Foundation
import SNTPClient

/// The outcome of one clock check: the best NTP answer, if any, and why the other servers gave none.
///
/// Kept by ``ClockStatus`` for `/admin/system` and the metrics; ``summary`` is the sentence the log uses.
public struct ClockCheckResult: Sendable, Equatable {
    /// How the clock compares with the limit.
    public enum Verdict: String, Sendable, Equatable {
        /// An NTP server answered and the offset is at most the limit.
        case withinLimit
        /// An NTP server answered and the offset is larger than the limit, either way.
        case beyondLimit
        /// No server gave a usable answer, so nothing is known about the clock.
        case noAnswer
    }

    /// A server that gave no usable answer.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        /// The server as configured ("host" or "host:port").
        public var server: String
        /// Why, completing "clock offset could not be determined: …".
        public var reason: String

        public init(server: String, reason: String) {
            self.server = server
            self.reason = reason
        }

        public var description: String { "\(self.server): \(self.reason)" }
    }

    /// When the check finished, by the (possibly wrong) local clock.
    public var checkedAt: Date
    /// The valid answer with the smallest round-trip delay; `nil` if no server gave one.
    public var best: SNTPMeasurement?
    /// Every server without a usable answer, in configuration order (unparsable addresses included).
    public var failures: [Failure]
    /// The limit the offset was judged against, in seconds.
    public var maxOffset: Double

    public init(checkedAt: Date, best: SNTPMeasurement?, failures: [Failure], maxOffset: Double) {
        self.checkedAt = checkedAt
        self.best = best
        self.failures = failures
        self.maxOffset = maxOffset
    }

    public var verdict: Verdict {
        guard let best = self.best else { return .noAnswer }
        // Written so that a NaN offset counts as beyond: never call an unknown offset fine.
        return abs(best.offset) <= self.maxOffset ? .withinLimit : .beyondLimit
    }

    /// The measured offset in seconds (positive: our clock is behind); `nil` when unknown.
    public var offset: Double? { self.best?.offset }

    /// One line for the log and the console, e.g.
    /// "clock offset +0.012 s (server pool.ntp.org, delay 0.004 s, stratum 2): within the 3 s limit".
    ///
    /// Without an answer it says so ("clock offset could not be determined: <server>: <reason>; …") and never
    /// claims the clock is fine.
    public var summary: String {
        let limit = ClockFormatting.limit(self.maxOffset)
        guard let best = self.best else {
            return "clock offset could not be determined: \(self.failureList)"
        }
        let measured =
            "clock offset \(ClockFormatting.offset(best.offset)) "
            + "(server \(best.server), delay \(ClockFormatting.duration(best.delay)), stratum \(best.stratum))"
        switch self.verdict {
        case .withinLimit:
            return "\(measured): within the \(limit) limit"
        case .beyondLimit, .noAnswer:
            return "\(measured) exceeds the \(limit) limit: authenticator codes will fail; enable NTP on this machine"
        }
    }

    /// The extra warning when the offset is more than one TOTP step, or `nil`.
    ///
    /// Sekisho accepts codes from neighbouring steps, but beyond a whole step most codes a phone shows fall outside
    /// that window (issue 6, item 5).
    public func totpWarning(period: Double) -> String? {
        guard let offset = self.offset, !(abs(offset) <= period) else { return nil }
        return "clock offset \(ClockFormatting.offset(offset)) is more than one TOTP period (\(ClockFormatting.limit(period))): "
            + "codes will fail for most users"
    }

    /// "server: reason; server: reason", or why there is nothing to list.
    var failureList: String {
        self.failures.isEmpty ? "no NTP servers are configured (clock.servers)" : self.failures.map(\.description).joined(separator: "; ")
    }
}
