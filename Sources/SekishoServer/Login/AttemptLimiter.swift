import Foundation
import Prometheus
import SekishoCore
import SekishoStore

/// Counts guesses of passwords, codes and recovery codes per account and per client address, in
/// the database so that restarts and other instances see the same counts.
///
/// A guess is charged before it is checked (``charge(account:address:)``): the charge counts as a
/// failure, and the one atomic statement that makes it refuses while the account or the address
/// has to wait. Checking first and counting afterwards let guesses sent at the same moment all be
/// checked before the first failure was counted. A right guess settles its charge in the
/// transaction of the change it allows (``AttemptSettlement``).
struct AttemptLimiter: Sendable {
    let store: any Store
    let clock: any WallClock
    let accountPolicy: LockoutPolicy
    let addressPolicy: LockoutPolicy
    let metrics: SekishoMetrics
    let notices: NoticeMails

    init(store: any Store, clock: any WallClock, settings: SekishoConfiguration.LockoutSettings, metrics: SekishoMetrics, notices: NoticeMails) {
        self.metrics = metrics
        self.notices = notices
        self.store = store
        self.clock = clock
        accountPolicy = LockoutPolicy(freeFailures: settings.freeFailures, baseDelay: settings.baseDelay, maxDelay: settings.maxDelay)
        addressPolicy = LockoutPolicy(freeFailures: settings.addressFreeFailures, baseDelay: settings.baseDelay, maxDelay: settings.maxDelay)
    }

    /// Charges one guess; nil when the account or the address has to wait, and the guess must be
    /// refused without being checked.
    func charge(account: String, address: String) async throws -> AttemptCharge? {
        try await store.chargeAttempt(account: account, address: address, at: clock.now(), accountPolicy: accountPolicy, addressPolicy: addressPolicy)
    }

    /// The gate for a guess already known to be right (an authenticator code matching a step of the
    /// window): checked in the transaction that spends it, with no charge in flight.
    func gate(account: String, address: String) -> AttemptGate {
        AttemptGate(account: account, address: address, accountPolicy: accountPolicy, addressPolicy: addressPolicy)
    }

    /// A wrong guess keeps its charge as a failure. Writes `event`, and when this charge started
    /// the account's first wait of its series, a lockout event and a notice mail to `user` (nil for
    /// an unknown user ID): one mail per series, however long an attacker keeps guessing.
    func failed(_ charge: AttemptCharge, _ event: NewAuditEvent, user: User?) async throws {
        var effects = SideEffects(audit: [event])
        if charge.startedAccountWait {
            metrics.lockouts.increment()
            effects.audit.append(
                NewAuditEvent(
                    kind: AuditKind.lockout.rawValue,
                    subjectUserID: event.subjectUserID,
                    username: event.username,
                    clientAddress: event.clientAddress
                )
            )
            if let user, charge.accountFailures == accountPolicy.freeFailures {
                effects.mails.append(notices.mail(.accountLocked, to: user, values: ["place": CoarseAddress(charge.address).description]))
            }
        }
        try await store.appendEffects(effects, at: clock.now())
    }
}
