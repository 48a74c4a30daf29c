import Foundation
import SekishoCore
import Testing

@Suite struct LockoutPolicyTests {
    @Test func delaysStartAfterTheFreeFailuresAndDoubleUpToTheMaximum() {
        let policy = LockoutPolicy(freeFailures: 5, baseDelay: 30, maxDelay: 900)
        #expect((1...5).map { policy.delay(afterFailures: $0) } == [nil, nil, nil, nil, nil])
        #expect((6...12).map { policy.delay(afterFailures: $0) } == [30, 60, 120, 240, 480, 900, 900])
        #expect(policy.delay(afterFailures: 10_000) == 900)
    }

    /// SPEC §2: guessing codes all day succeeds with probability below 0.1 % per account per day.
    @Test func defaultPolicyKeepsADayOfCodeGuessingBelowOneInAThousand() {
        let attempts = LockoutPolicy().maximumAttempts(within: 86_400)
        #expect(attempts <= 110)
        // Each guess hits one of (2 × window + 1) valid TOTP codes of 10^6, or one of 10 recovery codes of 10^8.
        let perGuess = 3.0 / 1_000_000 + 10.0 / 100_000_000
        let success = 1 - pow(1 - perGuess, Double(attempts))
        #expect(success < 0.001)
    }
}
