/// A 64-bit NTP timestamp: seconds since 1900-01-01 00:00 UTC in the high 32 bits, a binary fraction in the low 32 bits.
///
/// The seconds field wraps every 2^32 s (136 years; the first wrap is 2036-02-07 06:28:16 UTC), so a timestamp alone
/// names a moment only within its era. Like RFC 5905 §6 and RFC 4330 §3, this type therefore never compares timestamps
/// as absolute values: ``seconds(since:)`` subtracts with wrapping 64-bit arithmetic and reads the result as signed
/// fixed point, which is exact across an era boundary as long as the two moments lie less than 68 years apart.
public struct NTPTimestamp: Hashable, Sendable, CustomStringConvertible {
    /// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    /// The all-zero timestamp, which NTP uses to mean "not set".
    public static let zero = NTPTimestamp(rawValue: 0)

    /// The wire value: seconds in the high 32 bits, fraction in the low 32 bits.
    public var rawValue: UInt64

    /// Wraps a wire value.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Builds a timestamp from its seconds and fraction fields.
    public init(seconds: UInt32, fraction: UInt32) {
        self.rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// Converts a Unix time (seconds since 1970, any era) to an NTP timestamp, wrapping the seconds into their era.
    ///
    /// Sub-second precision is limited by `Double` (about 0.5 µs for present-day values), far below what SNTP resolves.
    public init(unixSeconds: Double) {
        let whole = unixSeconds.rounded(.down)
        // 2^32 * fraction is in [0, 2^32); `min` guards the rounding edge where it would reach 2^32.
        let fraction = UInt32(min((unixSeconds - whole) * 4_294_967_296, 4_294_967_295))
        let ntpSeconds = Int64(whole) + Int64(Self.unixEpochOffset)
        self.init(seconds: UInt32(truncatingIfNeeded: ntpSeconds), fraction: fraction)
    }

    /// The seconds field (era-relative).
    public var seconds: UInt32 { UInt32(truncatingIfNeeded: self.rawValue >> 32) }

    /// The fraction field, in units of 2^-32 s.
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: self.rawValue) }

    /// The signed time from `earlier` to `self`, in seconds, using wrapping ("on-wire") arithmetic.
    ///
    /// Correct across the 2036 era rollover: a timestamp just after the rollover minus one just before it is a small
    /// positive number, not minus 136 years. Only meaningful if the true difference is within ±68 years.
    public func seconds(since earlier: NTPTimestamp) -> Double {
        let difference = Int64(bitPattern: self.rawValue &- earlier.rawValue)
        return Double(difference) / 4_294_967_296
    }

    /// This timestamp as Unix seconds, choosing the era that puts it closest to `reference` (a Unix time).
    ///
    /// Example: `NTPTimestamp(seconds: 5, fraction: 0).unixSeconds(near: 2_100_000_000)` is in 2036, not in 1900.
    public func unixSeconds(near reference: Double) -> Double {
        reference + self.seconds(since: NTPTimestamp(unixSeconds: reference))
    }

    public var description: String {
        let hex = String(self.rawValue, radix: 16)
        return "NTPTimestamp(0x\(String(repeating: "0", count: 16 - hex.count))\(hex))"
    }
}
