import Foundation
import SekishoCore

/// The lockout's check for a guess that is already known to be right, made in the transaction of
/// the change it allows instead of a charge beforehand.
///
/// An authenticator code is checked in microseconds, before any write: so a right code needs no
/// charge in flight while it is checked, only the assurance, under the rows' locks, that neither
/// the account nor the address has to wait at that moment. A wrong code is still charged like
/// every other guess. The gate takes the account's row for writing (a right code ends the
/// account's series) and the address's row for reading only, so right codes from one address do
/// not queue behind each other.
public struct AttemptGate: Sendable, Equatable {
    public var account: String
    public var address: String
    public var accountPolicy: LockoutPolicy
    public var addressPolicy: LockoutPolicy

    public init(account: String, address: String, accountPolicy: LockoutPolicy, addressPolicy: LockoutPolicy) {
        self.account = account
        self.address = address
        self.accountPolicy = accountPolicy
        self.addressPolicy = addressPolicy
    }
}

/// What became of an authenticator code that matched a step of the window.
public enum CodeSpend: Sendable, Equatable {
    /// The step was after the last one used: it is spent, and the session and effects written.
    case spent
    /// The step was used already (a replay, or a concurrent submission of the same code won).
    case alreadyUsed
    /// The account or the address has to wait: nothing was checked or changed.
    case mustWait
}
