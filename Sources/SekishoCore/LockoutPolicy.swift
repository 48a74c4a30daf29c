import Foundation

/// How long an account or address waits after failed attempts.
///
/// The first `freeFailures` failures cost nothing; each further one doubles the wait, from
/// `baseDelay` up to `maxDelay`. Failures are forgotten `window` after the first one of a series.
/// With the defaults (5 free, 30 s doubling to 900 s, window 24 h) an attacker gets at most about
/// 105 guesses a day per account; see the README's security section for the arithmetic.
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

    /// The wait imposed after the `failures`-th failure, or nil while failures are still free.
    public func delay(afterFailures failures: Int) -> TimeInterval? {
        guard failures > freeFailures else { return nil }
        let doublings = min(failures - freeFailures - 1, 30)
        return min(baseDelay * pow(2, Double(doublings)), maxDelay)
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
