import Foundation
import SekishoCore
import Testing

@Suite struct LockoutPolicyTests {
    /// The failure that uses up the last free attempt starts the first wait: attempts are charged
    /// before they are checked, so that is where a burst of guesses stops.
    @Test func delaysStartWithTheLastFreeFailureAndDoubleUpToTheMaximum() {
        let policy = LockoutPolicy(freeFailures: 5, baseDelay: 30, maxDelay: 900)
        #expect((1...4).map { policy.delay(afterFailures: $0) } == [nil, nil, nil, nil])
        #expect((5...11).map { policy.delay(afterFailures: $0) } == [30, 60, 120, 240, 480, 900, 900])
        #expect(policy.delay(afterFailures: 10_000) == 900)
        #expect(policy.doublingsToMaximum == 5)
    }

    @Test func doublingsToMaximumIsWhereTheCapIsReached() {
        #expect(LockoutPolicy(baseDelay: 30, maxDelay: 30).doublingsToMaximum == 0)
        #expect(LockoutPolicy(baseDelay: 30, maxDelay: 100).doublingsToMaximum == 2)
        #expect(LockoutPolicy(baseDelay: 1, maxDelay: 86_400).doublingsToMaximum == 17)
        let widest = LockoutPolicy(freeFailures: 1, baseDelay: 1, maxDelay: 86_400)
        #expect(widest.delay(afterFailures: 18) == 86_400)
        #expect(widest.delay(afterFailures: 17) == 65_536)
    }

    /// SPEC §2: guessing codes all day succeeds with probability below 0.1 % per account per day.
    /// 5 attempts at once, then one after each wait: 30, 60, 120, 240, 480 s, then every 900 s.
    @Test func defaultPolicyKeepsADayOfCodeGuessingBelowOneInAThousand() {
        let attempts = LockoutPolicy().maximumAttempts(within: 86_400)
        #expect(attempts == 5 + 5 + Int((86_400.0 - 930) / 900))
        // Each guess hits one of (2 × window + 1) valid TOTP codes of 10^6, or one of 10 recovery codes of 10^8.
        let perGuess = 3.0 / 1_000_000 + 10.0 / 100_000_000
        let success = 1 - pow(1 - perGuess, Double(attempts))
        #expect(success < 0.001)
    }
}
