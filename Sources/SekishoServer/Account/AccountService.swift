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
        try await checkPassword(current, of: user, clientAddress: clientAddress)
        guard new == confirmation else { throw Refusal.mismatch }
        do {
            try policy.check(new, username: user.username)
        } catch {
            throw Refusal.policy(error)
        }
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
            ]
        )
        try await store.updatePasswordHash(userID: user.id, hash: hash, at: clock.now(), effects: effects)
        try await store.deleteSessions(userID: user.id, keeping: session.record.idHash)
    }

    /// Issues a new set of recovery codes; all old ones stop working at once (S12).
    func newRecoveryCodes(session: ActiveSession, password: String, clientAddress: String) async throws -> [String] {
        let user = session.user
        try await checkPassword(password, of: user, clientAddress: clientAddress)
        guard try await store.binding(userID: user.id) != nil else { throw Refusal.noAuthenticator }
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
            ]
        )
        try await store.replaceRecoveryCodes(
            userID: user.id,
            hashes: codes.map { RecoveryCodes.hash($0, key: key) },
            at: clock.now(),
            effects: effects
        )
        return codes
    }

    private func checkPassword(_ password: String, of user: User, clientAddress: String) async throws {
        guard try await !limiter.isLocked(account: user.username, address: clientAddress) else { throw Refusal.locked }
        guard try await hasher.verify(password, against: user.passwordHash) else {
            try await limiter.recordFailure(account: user.username, address: clientAddress)
            throw Refusal.wrongPassword
        }
    }
}
