import Foundation
import Hummingbird
import Prometheus
import SekishoCore
import SekishoStore

/// The password step of signing in.
///
/// An unknown user, a wrong password and a locked account are indistinguishable to the client:
/// the same answer. An unknown user costs the same Argon2id work as a known one (a dummy hash is
/// verified); a guess that has to wait costs none, for anyone, since it is refused unchecked.
struct LoginService: Sendable {
    let store: any Store
    let hasher: any PasswordHasher
    let limiter: AttemptLimiter
    let sessions: SessionService
    let remembered: RememberedBrowsers
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
        /// The password was right; `cookie` names the new session, which replaced the previous
        /// one: signed in, or waiting for the second factor.
        case accepted(NextStep, user: User, cookie: Cookie)
    }

    /// Checks the password and starts the session it earns.
    ///
    /// The guess is charged to the account and the address before the password is verified, so
    /// that guesses sent at the same moment cannot all be checked; a right password takes its
    /// charge back in the transaction that starts the session.
    func signIn(
        username: String,
        password: String,
        replacing previous: ActiveSession?,
        clientAddress: String,
        userAgent: String,
        rememberedBrowser: String?
    ) async throws -> Outcome {
        // Longer than any user ID or sensible password: not a person at the form (it has
        // maxlength); refused before anything is hashed or stored.
        guard username.count <= UserName.maximumLength * 2, password.utf8.count <= 4096 else {
            throw HTTPError(.badRequest, message: "user ID or password far too long")
        }
        let name = UserName.normalize(username)
        // An unknown user ID is charged like a known one: to its name (so that its answers look
        // the same) and to the address.
        guard let charge = try await limiter.charge(account: name, address: clientAddress) else {
            try await store.appendAudit(failure(name, userID: nil, clientAddress: clientAddress, detail: "locked"), at: clock.now())
            limiter.metrics.signInsFailed.increment()
            return .refused
        }
        let user = try await store.user(username: name)
        let verified = try await hasher.verify(password, against: user?.passwordHash ?? dummyHash)
        guard let user, verified else {
            try await limiter.failed(charge, failure(name, userID: user?.id, clientAddress: clientAddress, detail: "password"), user: user)
            limiter.metrics.signInsFailed.increment()
            return .refused
        }
        if hasher.needsRehash(user.passwordHash) {
            // Parameters were raised since this password was set: upgrade it now that we know it.
            let upgraded = try await hasher.hash(password)
            try await store.upgradePasswordHash(userID: user.id, hash: upgraded, at: clock.now())
        }
        let next: NextStep =
            if !user.twoFactorEnabled { .signedIn } else if try await store.hasAuthenticator(userID: user.id) { .verify } else { .enroll }
        if next == .verify, let rememberedBrowser, remembered.isOffered {
            // A browser remembered for this account skips the code, never the password: checked,
            // used and the session begun in one transaction.
            let prepared = sessions.prepare(
                .signedIn,
                for: user,
                by: SignInMethods.passwordInRememberedBrowser,
                replacing: nil,
                clientAddress: clientAddress,
                userAgent: userAgent
            )
            let effects = SideEffects(
                audit: [signIn(user, clientAddress: clientAddress, detail: "remembered_browser")],
                attempt: .signedIn(charge)
            )
            let start = SessionStart(prepared.record, replacing: previous?.record.idHash)
            if try await remembered.skipSecondFactor(token: rememberedBrowser, for: user, starting: start, effects: effects) {
                limiter.metrics.signInsOK.increment()
                return .accepted(.signedIn, user: user, cookie: prepared.cookie)
            }
        }
        let event = NewAuditEvent(
            kind: (next == .signedIn ? AuditKind.signIn : AuditKind.passwordAccepted).rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: next == .signedIn ? "password" : ""
        )
        // Without a second factor the password completes the sign-in and ends the series of
        // failures; otherwise only this guess is taken back.
        let effects = SideEffects(audit: [event], attempt: next == .signedIn ? .signedIn(charge) : .refund(charge))
        let cookie = try await sessions.start(
            next == .signedIn ? .signedIn : .awaitingSecondFactor,
            for: user,
            by: SignInMethods.password,
            replacing: previous,
            clientAddress: clientAddress,
            userAgent: userAgent,
            effects: effects
        )
        return .accepted(next, user: user, cookie: cookie)
    }

    private func signIn(_ user: User, clientAddress: String, detail: String) -> NewAuditEvent {
        NewAuditEvent(kind: AuditKind.signIn.rawValue, subjectUserID: user.id, username: user.username, clientAddress: clientAddress, detail: detail)
    }

    private func failure(_ name: String, userID: Int64?, clientAddress: String, detail: String) -> NewAuditEvent {
        NewAuditEvent(kind: AuditKind.signInFailed.rawValue, subjectUserID: userID, username: name, clientAddress: clientAddress, detail: detail)
    }

    /// Ends the session (logout) with its audit event; returns the cookie that clears it.
    /// `detail`: who asked, when not the person on our own page (an OpenID client's logout).
    func signOut(_ session: ActiveSession, clientAddress: String, detail: String = "") async throws -> Cookie {
        let user = session.user
        let event = NewAuditEvent(
            kind: AuditKind.signOut.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: detail
        )
        return try await sessions.end(session, effects: SideEffects(audit: [event]))
    }
}
