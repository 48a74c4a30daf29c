import Foundation
import Hummingbird
import Prometheus
import SekishoCore
import SekishoStore

/// The code step of signing in (S4, S6, S7, S12): a 6-digit code from the bound authenticator,
/// or an 8-digit recovery code, each accepted once.
struct SecondFactorService: Sendable {
    /// How far either side of now a wrong code is looked for to tell a phone whose clock is off
    /// (issue #16): ten minutes of 30-second steps.
    static let clockHintReach = 20

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
        /// Wrong. `phoneClockOffset`: the code belongs to a step this many seconds away from now,
        /// outside the accepted window but within ``clockHintReach``: the phone's clock is that
        /// far off (negative: slow). The code still counts as a failure and is never accepted.
        case refused(phoneClockOffset: Int?)
        case locked
    }

    /// Checks the code and, when it is accepted, replaces the half-way `session` by a signed-in
    /// one in the transaction that spends the code.
    ///
    /// An authenticator code that matches an unused step of the window is spent through the
    /// lockout's gate in one transaction (see ``AttemptGate``): no charge is in flight while it is
    /// checked, so right codes from one address never count against each other. Every other guess
    /// (a wrong or replayed code, a recovery code) is charged before it is checked (see
    /// ``AttemptLimiter``).
    func verify(code input: String, session: ActiveSession, clientAddress: String) async throws -> Outcome {
        let user = session.user
        let code = CodeInput.digits(input) ?? ""
        // Whichever code it is, the signed-in session begins in the transaction that spends it.
        let next = sessions.prepare(.signedIn, for: user, by: SignInMethods.passwordAndCode, replacing: session, clientAddress: clientAddress)
        let start = SessionStart(next.record, replacing: session.record.idHash)
        var phoneClockOffset: Int? = nil
        if code.count == 6 {
            switch try await spendAuthenticatorCode(code, user: user, clientAddress: clientAddress, startingSession: start) {
            case .spent:
                limiter.metrics.codesOK.increment()
                limiter.metrics.signInsOK.increment()
                return .accepted(usedRecoveryCode: false, cookie: next.cookie)
            case .mustWait:
                return .locked
            case .notSpent(let offset):
                phoneClockOffset = offset
            }
        }
        guard let charge = try await limiter.charge(account: user.username, address: clientAddress) else { return .locked }
        if code.count == RecoveryCodes.digits,
            try await useRecoveryCode(code, user: user, clientAddress: clientAddress, charge: charge, startingSession: start)
        {
            limiter.metrics.codesOK.increment()
            limiter.metrics.signInsOK.increment()
            limiter.metrics.recoveryCodesUsed.increment()
            return .accepted(usedRecoveryCode: true, cookie: next.cookie)
        }
        let event = NewAuditEvent(
            kind: AuditKind.codeFailed.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress
        )
        try await limiter.failed(charge, event, user: user)
        limiter.metrics.codesFailed.increment()
        return .refused(phoneClockOffset: phoneClockOffset)
    }

    /// What became of a 6-digit code checked against the bound authenticator.
    private enum AuthenticatorCode {
        case spent
        case mustWait
        /// Not spent: wrong, replayed, or no authenticator; with the phone's clock offset when the
        /// code belongs to a step outside the window (see ``Outcome/refused(phoneClockOffset:)``).
        case notSpent(phoneClockOffset: Int?)
    }

    /// Spends an authenticator code that matches an unused step of the window of one of the user's
    /// apps. A code whose step was used already is a replay (S7): logged here, and then charged as
    /// a failure by the caller like any wrong code.
    ///
    /// The apps are checked oldest first and the first whose code it is decides, used or not: a
    /// code replayed on one app is never tried on the next, so however many apps share a code
    /// (one secret scanned twice), it is accepted once. Each app keeps its own replay guard and
    /// drift; the guarded update of the chosen app's row decides between concurrent submissions.
    private func spendAuthenticatorCode(
        _ code: String,
        user: User,
        clientAddress: String,
        startingSession start: SessionStart
    ) async throws -> AuthenticatorCode {
        let bindings = try await store.bindings(userID: user.id)
        let now = clock.now()
        var hint: Int? = nil
        for binding in bindings {
            let secret = try secretBox.open([UInt8](binding.sealedSecret), context: EnrollmentService.bindingContext(binding.id))
            let totp = TOTP(
                secret: secret,
                algorithm: OTPAlgorithm(rawValue: binding.algorithm) ?? .sha1,
                digits: binding.digits,
                period: binding.period
            )
            let drift = Self.boundedDrift(binding.driftSteps, window: window)
            if let step = totp.match(code, at: now, window: window, drift: drift, after: binding.lastStep) {
                let effects = SideEffects(
                    audit: [
                        NewAuditEvent(
                            kind: AuditKind.signIn.rawValue,
                            subjectUserID: user.id,
                            username: user.username,
                            clientAddress: clientAddress,
                            detail: binding.name.isEmpty ? "totp" : "totp: \(binding.name)"
                        )
                    ]
                )
                // The gate and the conditional update decide, in one transaction, between concurrent
                // submissions of the same code and against a lockout that began meanwhile.
                switch try await store.spendCode(
                    userID: user.id,
                    bindingID: binding.id,
                    step: step,
                    drift: Self.boundedDrift(Int(step - totp.step(at: now)), window: window),
                    at: now,
                    gate: limiter.gate(account: user.username, address: clientAddress),
                    startingSession: start,
                    effects: effects
                ) {
                case .spent: return .spent
                case .mustWait: return .mustWait
                // A concurrent submission of the same code won.
                case .alreadyUsed: return try await replayed(binding, user: user, clientAddress: clientAddress, at: now)
                }
            }
            if totp.match(code, at: now, window: window, drift: drift) != nil {
                return try await replayed(binding, user: user, clientAddress: clientAddress, at: now)
            }
            hint = hint ?? Self.phoneClockOffset(of: code, totp: totp, at: now, window: window, drift: drift)
        }
        return .notSpent(phoneClockOffset: hint)
    }

    /// A valid code whose step was already used: someone replays a code (S7).
    private func replayed(_ binding: TOTPBinding, user: User, clientAddress: String, at now: Date) async throws -> AuthenticatorCode {
        limiter.metrics.codesReplayed.increment()
        try await store.appendAudit(
            NewAuditEvent(
                kind: AuditKind.codeReplayRefused.rawValue,
                subjectUserID: user.id,
                username: user.username,
                clientAddress: clientAddress,
                detail: binding.name
            ),
            at: now
        )
        return .notSpent(phoneClockOffset: nil)
    }

    /// The window's centre: the drift the binding learned (RFC 6238 §6), but never so far that the
    /// server's own step leaves the window. A phone that is steadily a step slow keeps signing in
    /// when a code arrives late, and a phone whose clock was set right again is accepted at once
    /// instead of being locked out by what its wrong clock taught. The window stays as wide.
    static func boundedDrift(_ steps: Int, window: Int) -> Int {
        min(max(steps, -window), window)
    }

    /// Seconds between now and the step whose code `code` is, when that step lies outside the
    /// accepted window (centred on `drift`) but within ``clockHintReach``; nil otherwise. Only a
    /// hint for the page: the code was charged as a failure already.
    static func phoneClockOffset(of code: String, totp: TOTP, at now: Date, window: Int, drift: Int) -> Int? {
        guard let step = totp.match(code, at: now, window: clockHintReach) else { return nil }
        let steps = step - totp.step(at: now)
        guard abs(steps - Int64(drift)) > Int64(window) else { return nil }
        return Int(steps) * totp.period
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
            mails: [
                notices.mail(
                    remaining <= AccountService.SecondFactorStatus.recoveryCodesLowAt ? .recoveryCodeUsedRunningLow : .recoveryCodeUsed,
                    to: user,
                    values: ["remaining": String(max(remaining, 0))]
                )
            ],
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
