import Foundation
import Hummingbird
import Prometheus
import SekishoCore
import SekishoStore

/// The code step of signing in (S4, S6, S7, S12): a 6-digit code from the bound authenticator,
/// or an 8-digit recovery code, each accepted once.
struct SecondFactorService: Sendable {
    let store: any Store
    let secretBox: SecretBox
    let clock: any WallClock
    let window: Int
    let limiter: AttemptLimiter
    let notices: NoticeMails
    let sessions: SessionService

    enum Outcome {
        /// Signed in: the cookie names the new session, which replaced the half-way one.
        case accepted(usedRecoveryCode: Bool, cookie: Cookie)
        case refused
        case locked
    }

    /// Checks the code and, when it is accepted, replaces the half-way `session` by a signed-in
    /// one: for an authenticator code in the same transaction as the replay guard.
    ///
    /// The guess is charged before it is checked (see ``AttemptLimiter``); an accepted code ends
    /// the account's series of failures in the transaction that spends it.
    func verify(code input: String, session: ActiveSession, clientAddress: String) async throws -> Outcome {
        let user = session.user
        guard let charge = try await limiter.charge(account: user.username, address: clientAddress) else { return .locked }
        let code = CodeInput.digits(input) ?? ""
        // Whichever code it is, the signed-in session begins in the transaction that spends it.
        let next = sessions.prepare(.signedIn, for: user, replacing: session, clientAddress: clientAddress)
        let start = SessionStart(next.record, replacing: session.record.idHash)
        let accepted: Bool
        if code.count == 6 {
            accepted = try await verifyAuthenticatorCode(
                code,
                user: user,
                clientAddress: clientAddress,
                charge: charge,
                startingSession: start
            )
        } else if code.count == RecoveryCodes.digits {
            accepted = try await useRecoveryCode(code, user: user, clientAddress: clientAddress, charge: charge, startingSession: start)
        } else {
            accepted = false
        }
        guard accepted else {
            let event = NewAuditEvent(
                kind: AuditKind.codeFailed.rawValue,
                subjectUserID: user.id,
                username: user.username,
                clientAddress: clientAddress
            )
            for event in limiter.failed(charge, event) { try await store.appendAudit(event, at: clock.now()) }
            limiter.metrics.codesFailed.increment()
            return .refused
        }
        limiter.metrics.codesOK.increment()
        limiter.metrics.signInsOK.increment()
        if code.count != 6 { limiter.metrics.recoveryCodesUsed.increment() }
        return .accepted(usedRecoveryCode: code.count != 6, cookie: next.cookie)
    }

    private func verifyAuthenticatorCode(
        _ code: String,
        user: User,
        clientAddress: String,
        charge: AttemptCharge,
        startingSession start: SessionStart
    ) async throws -> Bool {
        guard let binding = try await store.binding(userID: user.id) else { return false }
        let secret = try secretBox.open([UInt8](binding.sealedSecret), context: EnrollmentService.bindingContext(user.id))
        let totp = TOTP(secret: secret, algorithm: OTPAlgorithm(rawValue: binding.algorithm) ?? .sha1, digits: binding.digits, period: binding.period)
        let now = clock.now()
        guard let step = totp.match(code, at: now, window: window, after: binding.lastStep) else {
            if totp.match(code, at: now, window: window) != nil {
                // A valid code whose step was already used: someone replays a code (S7).
                limiter.metrics.codesReplayed.increment()
                try await store.appendAudit(
                    NewAuditEvent(
                        kind: AuditKind.codeReplayRefused.rawValue,
                        subjectUserID: user.id,
                        username: user.username,
                        clientAddress: clientAddress
                    ),
                    at: now
                )
            }
            return false
        }
        // The conditional update decides between concurrent submissions of the same code.
        let effects = SideEffects(
            audit: [
                NewAuditEvent(
                    kind: AuditKind.signIn.rawValue,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress,
                    detail: "totp"
                )
            ],
            attempt: .signedIn(charge)
        )
        return try await store.advanceLastStep(userID: user.id, to: step, at: now, startingSession: start, effects: effects)
    }

    private func useRecoveryCode(
        _ code: String,
        user: User,
        clientAddress: String,
        charge: AttemptCharge,
        startingSession start: SessionStart
    ) async throws -> Bool {
        let now = clock.now()
        let hash = RecoveryCodes.hash(code, key: secretBox.subkey(purpose: "recovery-codes"))
        let remaining = try await store.unusedRecoveryCodeCount(userID: user.id) - 1
        let effects = SideEffects(
            mails: [notices.mail(.recoveryCodeUsed, to: user, values: ["remaining": String(max(remaining, 0))])],
            audit: [
                NewAuditEvent(
                    kind: AuditKind.recoveryCodeUsed.rawValue,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress
                ),
                NewAuditEvent(
                    kind: AuditKind.signIn.rawValue,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress,
                    detail: "recovery_code"
                ),
            ],
            attempt: .signedIn(charge)
        )
        return try await store.consumeRecoveryCode(userID: user.id, hash: hash, at: now, startingSession: start, effects: effects)
    }
}
