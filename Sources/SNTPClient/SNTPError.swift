/// Why an SNTP query produced no usable measurement.
///
/// A struct over a private enum (as in swift-nio) so that cases can be added without breaking clients. Compare with
/// `==` against the static members, e.g. `error == .timeout` or `error == .kissOfDeath(code: "RATE")`.
/// ``description`` is written to complete the sentence "clock offset could not be determined: …".
public struct SNTPError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case timeout
        case truncated(byteCount: Int)
        case notServerMode(mode: Int)
        case unsupportedVersion(version: Int)
        case badStratum(stratum: Int)
        case unsynchronized
        case originMismatch
        case zeroTransmitTimestamp
        case kissOfDeath(code: String)
        case resolutionFailed(host: String)
        case network(description: String)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// No acceptable reply arrived before the timeout.
    public static let timeout = SNTPError(.timeout)

    /// The reply was shorter than the 48-byte NTP header.
    public static func truncated(byteCount: Int) -> SNTPError { SNTPError(.truncated(byteCount: byteCount)) }

    /// The reply's mode was not 4 (server).
    public static func notServerMode(_ mode: Int) -> SNTPError { SNTPError(.notServerMode(mode: mode)) }

    /// The reply's version was neither 3 nor 4.
    public static func unsupportedVersion(_ version: Int) -> SNTPError { SNTPError(.unsupportedVersion(version: version)) }

    /// The reply's stratum was outside 1...15 (and not 0, which is a kiss-o'-death).
    public static func badStratum(_ stratum: Int) -> SNTPError { SNTPError(.badStratum(stratum: stratum)) }

    /// The server set leap indicator 3: its own clock is not synchronised.
    public static let unsynchronized = SNTPError(.unsynchronized)

    /// Replies came from the server, but none carried our transmit value as its origin timestamp (stale or forged).
    public static let originMismatch = SNTPError(.originMismatch)

    /// The reply's transmit timestamp was zero, which no working server sends.
    public static let zeroTransmitTimestamp = SNTPError(.zeroTransmitTimestamp)

    /// The server answered with stratum 0, a kiss-o'-death such as "RATE" (slow down) or "DENY" (go away).
    public static func kissOfDeath(code: String) -> SNTPError { SNTPError(.kissOfDeath(code: code)) }

    /// The server's host name could not be resolved to an address.
    public static func resolutionFailed(host: String) -> SNTPError { SNTPError(.resolutionFailed(host: host)) }

    /// A socket operation failed.
    public static func network(_ description: String) -> SNTPError { SNTPError(.network(description: description)) }

    /// The kiss code if this is a kiss-o'-death, so callers can honour "RATE" by querying less often.
    public var kissOfDeathCode: String? {
        if case .kissOfDeath(let code) = self.base { return code }
        return nil
    }

    public var description: String {
        switch self.base {
        case .timeout:
            return "no reply from the NTP server before the timeout"
        case .truncated(let byteCount):
            return "the NTP server sent a truncated reply (\(byteCount) bytes, expected at least 48)"
        case .notServerMode(let mode):
            return "the reply was not from an NTP server (mode \(mode), expected 4)"
        case .unsupportedVersion(let version):
            return "the NTP server replied with unsupported version \(version)"
        case .badStratum(let stratum):
            return "the NTP server reported invalid stratum \(stratum)"
        case .unsynchronized:
            return "the NTP server reports that its own clock is not synchronised"
        case .originMismatch:
            return "the NTP server's reply did not match our request (origin timestamp mismatch)"
        case .zeroTransmitTimestamp:
            return "the NTP server's reply had no transmit timestamp"
        case .kissOfDeath(let code):
            return "the NTP server refused the request (kiss-o'-death \(code))"
        case .resolutionFailed(let host):
            return "the NTP server name \(host) could not be resolved"
        case .network(let description):
            return "network error: \(description)"
        }
    }
}

extension SNTPError {
    /// Whether the reply that caused this error might not be an answer to our request at all (stale, forged or
    /// mangled), so the client should keep waiting instead of believing it.
    var isUnattributable: Bool {
        switch self.base {
        case .originMismatch, .truncated: true
        default: false
        }
    }
}
