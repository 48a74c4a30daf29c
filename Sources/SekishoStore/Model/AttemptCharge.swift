import Foundation

/// One guess charged to an account and a client address before it was checked
/// (``AttemptStore/chargeAttempt(account:address:at:accountPolicy:addressPolicy:)``).
///
/// The charge counts as a failure until the guess proves right; then the change the guess allowed
/// settles it in its own transaction (``AttemptSettlement``).
public struct AttemptCharge: Sendable, Equatable {
    public var account: String
    public var address: String
    /// The account's failures in its series, this charge included.
    public var accountFailures: Int
    /// The wait this charge started for the account, if it used up the last free attempt.
    public var accountLockedUntil: Date?
    /// The wait this charge started for the address.
    public var addressLockedUntil: Date?

    public init(account: String, address: String, accountFailures: Int, accountLockedUntil: Date?, addressLockedUntil: Date?) {
        self.account = account
        self.address = address
        self.accountFailures = accountFailures
        self.accountLockedUntil = accountLockedUntil
        self.addressLockedUntil = addressLockedUntil
    }

    /// True when this charge made the account wait (a lockout, for the audit log and metrics).
    public var startedAccountWait: Bool { accountLockedUntil != nil }
}

/// How a right guess settles its charge, written in the transaction of the change it allowed.
public enum AttemptSettlement: Sendable, Equatable {
    /// A right password on the way to the second factor: the charge is taken back from account and
    /// address (with any wait it started), but the account's series goes on, so that whoever knows
    /// the password cannot clear the count between code guesses.
    case refund(AttemptCharge)
    /// A complete sign-in: the account's series ends, and the address's charge is taken back.
    case signedIn(AttemptCharge)
}
