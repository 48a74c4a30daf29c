import Foundation

/// How long an account or address waits after failed attempts.
///
/// The first `freeFailures` attempts are checked without waiting; the failure that uses up the
/// last free one starts a wait of `baseDelay`, and each further failure doubles it, up to
/// `maxDelay`. Failures are forgotten `window` after the first one of a series.
///
/// Attempts are charged before they are checked (see `AttemptLimiter`), so the wait starts with
/// the charge of the last free attempt: of any number of guesses sent at the same moment at most
/// `freeFailures` are checked. With the defaults (5 free, 30 s doubling to 900 s, window 24 h) an
/// attacker gets at most 104 guesses a day per account; the README's security section has the
/// arithmetic.
public struct LockoutPolicy: Sendable, Equatable {
    public var freeFailures: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var window: TimeInterval

    public init(freeFailures: Int = 5, baseDelay: TimeInterval = 30, maxDelay: TimeInterval = 900, window: TimeInterval = 86_400) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.window = window
    }

    /// The wait that follows the `failures`-th failure of a series, or nil while attempts are
    /// still free.
    public func delay(afterFailures failures: Int) -> TimeInterval? {
        guard failures >= freeFailures else { return nil }
        let doublings = failures - freeFailures
        guard doublings < doublingsToMaximum else { return maxDelay }
        return min(baseDelay * Double(1 << doublings), maxDelay)
    }

    /// After this many doublings of `baseDelay` the wait is `maxDelay`: the stores compute the
    /// wait inside their charging statement as `baseDelay << doublings` below this bound.
    public var doublingsToMaximum: Int {
        var doublings = 0
        while doublings < 40, baseDelay * Double(1 << doublings) < maxDelay { doublings += 1 }
        return doublings
    }

    /// The most attempts an attacker can make within `duration` from a fresh start, waiting out
    /// every delay: the bound the security section of the README is based on.
    public func maximumAttempts(within duration: TimeInterval) -> Int {
        var elapsed: TimeInterval = 0
        var attempts = 0
        var failuresInWindow = 0
        var windowStart: TimeInterval = 0
        while elapsed <= duration {
            if elapsed - windowStart >= window {
                windowStart = elapsed
                failuresInWindow = 0
            }
            attempts += 1
            failuresInWindow += 1
            elapsed += delay(afterFailures: failuresInWindow) ?? 0
            if attempts > 10_000_000 { break }
        }
        return attempts
    }
}
