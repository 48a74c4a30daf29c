#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The system's real-time clock (`CLOCK_REALTIME`), the clock whose offset matters for TOTP.
public struct SystemSNTPClock: SNTPLocalClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
