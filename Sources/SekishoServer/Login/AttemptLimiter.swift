import Foundation
import Prometheus
import SekishoCore
import SekishoStore

/// Counts failed passwords, codes and recovery codes per account and per client address, in
/// the database so that restarts and other instances see the same counts.
struct AttemptLimiter: Sendable {
    let store: any Store
    let clock: any WallClock
    let accountPolicy: LockoutPolicy
    let addressPolicy: LockoutPolicy
    let metrics: SekishoMetrics

    init(store: any Store, clock: any WallClock, settings: SekishoConfiguration.LockoutSettings, metrics: SekishoMetrics) {
        self.metrics = metrics
        self.store = store
        self.clock = clock
        accountPolicy = LockoutPolicy(freeFailures: settings.freeFailures, baseDelay: settings.baseDelay, maxDelay: settings.maxDelay)
        addressPolicy = LockoutPolicy(freeFailures: settings.addressFreeFailures, baseDelay: settings.baseDelay, maxDelay: settings.maxDelay)
    }

    /// An account's and an address's counts, read once before a check and used after it.
    struct Standing: Sendable {
        let account: AttemptRecord?
        let address: AttemptRecord?

        func isLocked(at now: Date) -> Bool {
            [account, address].contains { ($0?.lockedUntil).map { $0 > now } ?? false }
        }
    }

    func standing(account: String, address: String) async throws -> Standing {
        let records = try await store.attempts(account: account, address: address)
        return Standing(account: records.account, address: records.address)
    }

    /// True while the account or the address must wait.
    func isLocked(account: String, address: String) async throws -> Bool {
        try await standing(account: account, address: address).isLocked(at: clock.now())
    }

    /// Counts a failure; returns true when it started a wait for the account.
    @discardableResult
    func recordFailure(account: String, address: String) async throws -> Bool {
        let now = clock.now()
        let accountRecord = try await store.recordFailure(scope: .account, key: account, at: now, windowLength: accountPolicy.window)
        var locked = false
        if let delay = accountPolicy.delay(afterFailures: accountRecord.failures) {
            try await store.lock(scope: .account, key: account, until: now.addingTimeInterval(delay))
            locked = true
            metrics.lockouts.increment()
        }
        let addressRecord = try await store.recordFailure(scope: .address, key: address, at: now, windowLength: addressPolicy.window)
        if let delay = addressPolicy.delay(afterFailures: addressRecord.failures) {
            try await store.lock(scope: .address, key: address, until: now.addingTimeInterval(delay))
        }
        return locked
    }

    /// A complete sign-in forgives the account's failures. Password success alone does not:
    /// otherwise whoever knows the password could reset the count between code guesses.
    ///
    /// With the `standing` read before the check, an account without failures costs nothing more.
    func recordSuccess(account: String, standing: Standing? = nil) async throws {
        // A read first: most sign-ins follow no failure, and a write would cost a commit for nothing.
        if let standing {
            guard standing.account != nil else { return }
        } else {
            guard try await store.attempt(scope: .account, key: account) != nil else { return }
        }
        try await store.clearFailures(scope: .account, key: account)
    }
}
