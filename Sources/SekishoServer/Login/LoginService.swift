import Foundation
import Hummingbird
import Prometheus
import SekishoCore
import SekishoStore

/// The password step of signing in.
///
/// An unknown user, a wrong password and a locked account are indistinguishable to the client:
/// the same answer, and the same Argon2id work (a dummy hash is verified for unknown users).
struct LoginService: Sendable {
    let store: any Store
    let hasher: any PasswordHasher
    let limiter: AttemptLimiter
    let clock: any WallClock
    /// A hash with the configured parameters, verified when the user does not exist.
    let dummyHash: String

    enum NextStep: Equatable {
        case signedIn
        case enroll
        case verify
    }

    enum Outcome {
        case refused
        case accepted(User, NextStep)
    }

    func checkPassword(username: String, password: String, clientAddress: String) async throws -> Outcome {
        // Longer than any user ID or sensible password: not a person at the form (it has
        // maxlength); refused before anything is hashed or stored.
        guard username.count <= UserName.maximumLength * 2, password.utf8.count <= 4096 else {
            throw HTTPError(.badRequest, message: "user ID or password far too long")
        }
        let name = UserName.normalize(username)
        let locked = try await limiter.isLocked(account: name, address: clientAddress)
        let user = try await store.user(username: name)
        let verified = try await hasher.verify(password, against: user?.passwordHash ?? dummyHash)
        guard let user, verified, !locked else {
            // While waiting, nothing is verified, so attempts then are worth nothing and not counted.
            let startedWait = locked ? false : try await limiter.recordFailure(account: name, address: clientAddress)
            var events = [
                NewAuditEvent(
                    kind: AuditKind.signInFailed.rawValue,
                    subjectUserID: user?.id,
                    username: name,
                    clientAddress: clientAddress,
                    detail: locked ? "locked" : "password"
                )
            ]
            if startedWait {
                events.append(NewAuditEvent(kind: AuditKind.lockout.rawValue, subjectUserID: user?.id, username: name, clientAddress: clientAddress))
            }
            for event in events { try await store.appendAudit(event, at: clock.now()) }
            limiter.metrics.signInsFailed.increment()
            return .refused
        }
        if hasher.needsRehash(user.passwordHash) {
            // Parameters were raised since this password was set: upgrade it now that we know it.
            let upgraded = try await hasher.hash(password)
            try await store.updatePasswordHash(userID: user.id, hash: upgraded, at: clock.now(), effects: .none)
        }
        guard user.twoFactorEnabled else { return .accepted(user, .signedIn) }
        let bound = try await store.binding(userID: user.id) != nil
        return .accepted(user, bound ? .verify : .enroll)
    }
}
