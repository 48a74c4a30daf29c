import Foundation

/// Time-based one-time passwords (RFC 6238): HOTP over the number of periods since the Unix epoch.
///
/// Time is always passed in, never read here, so verification is exact in tests and the server
/// decides which clock to trust.
///
/// ```swift
/// let totp = TOTP(secret: secret)
/// if let step = totp.match(submitted, at: now, window: 1, after: binding.lastStep) {
///     // Accept, and store `step` so the same code can never be used again.
/// }
/// ```
public struct TOTP: Sendable {
    /// The underlying HOTP generator (secret, algorithm, digits).
    public let hotp: HOTP
    /// The length of a time step in seconds.
    public let period: Int

    /// Creates a generator for a shared secret.
    ///
    /// - Parameters:
    ///   - secret: The shared key bytes (not base32 text).
    ///   - algorithm: The HMAC hash function.
    ///   - digits: Code length, 6...8.
    ///   - period: Seconds per step; must be positive.
    public init(secret: [UInt8], algorithm: OTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30) {
        precondition(period > 0, "TOTP period must be positive, got \(period)")
        self.hotp = HOTP(secret: secret, algorithm: algorithm, digits: digits)
        self.period = period
    }

    /// The time step containing a date: `floor(unixTime / period)`.
    public func step(at date: Date) -> Int64 {
        let steps = (date.timeIntervalSince1970 / Double(period)).rounded(.down)
        // Dates far outside any real clock would trap on conversion; clamp them instead.
        guard steps.isFinite else { return steps < 0 ? Int64.min : Int64.max }
        if steps >= 9.2e18 { return Int64.max }
        if steps <= -9.2e18 { return Int64.min }
        return Int64(steps)
    }

    /// The code valid at a date.
    public func code(at date: Date) -> String {
        code(step: step(at: date))
    }

    /// The code for a time step.
    public func code(step: Int64) -> String {
        // Negative steps (dates before 1970) never occur with a sane clock; reinterpreting keeps
        // the function total rather than trapping.
        hotp.code(counter: UInt64(bitPattern: step))
    }

    /// Finds the step whose code equals `code`, within `window` steps either side of `date`'s
    /// step moved by `drift`.
    ///
    /// - Parameters:
    ///   - code: The code the user typed; must be exactly `digits` ASCII digits.
    ///   - date: The time of the check.
    ///   - window: How many steps of clock drift to allow either way, 0...1000; 0 checks only the current step.
    ///   - drift: Where the window is centred, in steps from `date`'s: the authenticator's learned
    ///     clock drift (RFC 6238 §6). It moves the window without widening it.
    ///   - lastStep: The step of the last accepted code for this binding. Only later steps match,
    ///     so an accepted code can never be accepted again (RFC 6238 section 5.2).
    /// - Returns: The matching step, the oldest one if several match, or `nil`.
    ///   Preferring the oldest step means a replayed code cannot move the replay guard forward
    ///   past a step that has not been used yet.
    public func match(_ code: String, at date: Date, window: Int, drift: Int = 0, after lastStep: Int64? = nil) -> Int64? {
        // A larger window would make every guess likely to match; that is a configuration error.
        precondition((0...1000).contains(window), "TOTP window must be 0...1000, got \(window)")
        let submitted = Array(code.utf8)
        guard submitted.count == hotp.digits,
            submitted.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }

        precondition((-1000...1000).contains(drift), "TOTP drift must be -1000...1000, got \(drift)")
        let (current, overflow) = step(at: date).addingReportingOverflow(Int64(drift))
        guard !overflow else { return nil }
        let window = Int64(window)
        var lower = current.subtractingReportingOverflow(window).overflow ? Int64.min : current - window
        let upper = current.addingReportingOverflow(window).overflow ? Int64.max : current + window
        if let lastStep {
            guard lastStep < upper else { return nil }
            lower = max(lower, lastStep + 1)
        }
        guard lower <= upper else { return nil }

        // Every candidate is computed and compared, so timing does not reveal which step matched.
        var matched: Int64?
        var candidate = lower
        while true {
            let isEqual = ConstantTime.equals(submitted, Array(self.code(step: candidate).utf8))
            if isEqual, matched == nil {
                matched = candidate
            }
            if candidate == upper { break }
            candidate += 1
        }
        return matched
    }
}
