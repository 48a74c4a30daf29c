import Foundation
import SekishoCore
import SekishoStore

/// What a signed-in person can change about their own account.
struct AccountService: Sendable {
    let store: any Store
    let hasher: any PasswordHasher
    let secretBox: SecretBox
    let clock: any WallClock
    let policy: PasswordPolicy
    let limiter: AttemptLimiter
    let notices: NoticeMails

    /// Refusals shown to the user; any other error is the server's and propagates.
    enum Refusal: Error, Equatable {
        case wrongPassword
        case locked
        case mismatch
        case policy(PasswordPolicyViolation)
        case noAuthenticator
    }

    /// Changes the password after checking the current one; every other session of the user ends.
    func changePassword(session: ActiveSession, current: String, new: String, confirmation: String, clientAddress: String) async throws {
        let user = session.user
        // What can be refused without the current password is refused first, so that a right
        // password always leads to the change that settles its charge.
        guard new == confirmation else { throw Refusal.mismatch }
        do {
            try policy.check(new, username: user.username)
        } catch {
            throw Refusal.policy(error)
        }
        let charge = try await checkPassword(current, of: user, clientAddress: clientAddress)
        let hash = try await hasher.hash(new)
        let effects = SideEffects(
            mails: [notices.mail(.passwordChanged, to: user)],
            audit: [
                NewAuditEvent(
                    kind: AuditKind.passwordChanged.rawValue,
                    actorUserID: user.id,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress
                )
            ],
            attempt: .refund(charge)
        )
        try await store.updatePasswordHash(userID: user.id, hash: hash, at: clock.now(), effects: effects)
        try await store.deleteSessions(userID: user.id, keeping: session.record.idHash)
    }

    /// Issues a new set of recovery codes; all old ones stop working at once (S12).
    func newRecoveryCodes(session: ActiveSession, password: String, clientAddress: String) async throws -> [String] {
        let user = session.user
        guard try await store.hasAuthenticator(userID: user.id) else { throw Refusal.noAuthenticator }
        let charge = try await checkPassword(password, of: user, clientAddress: clientAddress)
        let codes = RecoveryCodes.generate()
        let key = secretBox.subkey(purpose: "recovery-codes")
        let effects = SideEffects(
            mails: [notices.mail(.recoveryCodesIssued, to: user)],
            audit: [
                NewAuditEvent(
                    kind: AuditKind.recoveryCodesIssued.rawValue,
                    actorUserID: user.id,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress
                )
            ],
            attempt: .refund(charge)
        )
        try await store.replaceRecoveryCodes(
            userID: user.id,
            hashes: codes.map { RecoveryCodes.hash($0, key: key) },
            at: clock.now(),
            effects: effects
        )
        return codes
    }

    /// The current password before a sensitive change made elsewhere (adding a passkey): checked
    /// as a guess; the charge of a right one is for the caller's change to take back.
    func confirmPassword(session: ActiveSession, password: String, clientAddress: String) async throws -> AttemptCharge {
        try await checkPassword(password, of: session.user, clientAddress: clientAddress)
    }

    /// The current password, as a guess like any other (see ``AttemptLimiter``); the charge of a
    /// right one is for the caller's change to take back.
    private func checkPassword(_ password: String, of user: User, clientAddress: String) async throws -> AttemptCharge {
        guard let charge = try await limiter.charge(account: user.username, address: clientAddress) else { throw Refusal.locked }
        guard try await hasher.verify(password, against: user.passwordHash) else {
            let event = NewAuditEvent(
                kind: AuditKind.signInFailed.rawValue,
                actorUserID: user.id,
                subjectUserID: user.id,
                username: user.username,
                clientAddress: clientAddress,
                detail: "current_password"
            )
            try await limiter.failed(charge, event, user: user)
            throw Refusal.wrongPassword
        }
        return charge
    }

    /// What the dashboard shows of the second factor.
    struct SecondFactorStatus {
        var authenticatorBound: Bool
        var recoveryCodesRemaining: Int
        /// At or below this many unused codes, the dashboard and the mail about a used code say
        /// to make a new set.
        static let recoveryCodesLowAt = 3
        /// Three or fewer codes left: time to make a new set.
        var recoveryCodesLow: Bool { authenticatorBound && recoveryCodesRemaining <= Self.recoveryCodesLowAt }
    }

    func secondFactorStatus(of user: User) async throws -> SecondFactorStatus {
        let bound = try await store.hasAuthenticator(userID: user.id)
        let remaining = bound ? try await store.unusedRecoveryCodeCount(userID: user.id) : 0
        return SecondFactorStatus(authenticatorBound: bound, recoveryCodesRemaining: remaining)
    }
}
