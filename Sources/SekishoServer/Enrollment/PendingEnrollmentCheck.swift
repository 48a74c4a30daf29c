import Foundation
import Prometheus
import SekishoCore
import SekishoStore

/// One code from the app being enrolled, checked against the session's pending enrollment: the
/// first app at sign-in (``EnrollmentService``) and one more from the dashboard
/// (``AuthenticatorService``) confirm the same way and differ only in what they store with it.
struct PendingEnrollmentCheck: Sendable {
    let store: any Store
    let secretBox: SecretBox
    let clock: any WallClock
    let settings: SekishoConfiguration.TOTPSettings
    let limiter: AttemptLimiter

    enum Outcome {
        /// The pending enrollment is gone (expired, or confirmed in another tab).
        case expired
        case locked
        /// Wrong: counted as a failure already.
        case wrongCode
        /// Right: the binding to store (the code just used spent, its drift learned) with the
        /// pending enrollment `pendingID` it replaces; `charge` is settled in that transaction.
        case right(pendingID: String, binding: TOTPBinding, charge: AttemptCharge)
    }

    func check(_ code: String, session: ActiveSession, name: String, clientAddress: String) async throws -> Outcome {
        let user = session.user
        let now = clock.now()
        guard let pending = try await store.pendingEnrollment(userID: user.id, sessionIDHash: session.record.idHash, at: now) else {
            return .expired
        }
        // Charged before it is checked, like every guess (see ``AttemptLimiter``).
        guard let charge = try await limiter.charge(account: user.username, address: clientAddress) else { return .locked }
        let secret = try secretBox.open([UInt8](pending.sealedSecret), context: EnrollmentService.context(pending.id))
        let totp = TOTP(secret: secret, algorithm: OTPAlgorithm(rawValue: pending.algorithm) ?? .sha1, digits: pending.digits, period: pending.period)
        guard let step = totp.match(CodeInput.digits(code) ?? "", at: now, window: settings.window) else {
            let event = NewAuditEvent(
                kind: AuditKind.codeFailed.rawValue,
                subjectUserID: user.id,
                username: user.username,
                clientAddress: clientAddress,
                detail: "enrollment"
            )
            try await limiter.failed(charge, event, user: user)
            limiter.metrics.codesFailed.increment()
            return .wrongCode
        }
        let id = EnrollmentService.newBindingID()
        let binding = TOTPBinding(
            id: id,
            userID: user.id,
            name: name,
            sealedSecret: Data(try secretBox.seal(secret, context: EnrollmentService.bindingContext(id))),
            algorithm: pending.algorithm,
            digits: pending.digits,
            period: pending.period,
            // The code just used is spent: it must not sign in once more.
            lastStep: step,
            confirmedAt: now,
            // The first code already tells how far this phone's clock is off.
            driftSteps: SecondFactorService.boundedDrift(Int(step - totp.step(at: now)), window: settings.window)
        )
        return .right(pendingID: pending.id, binding: binding, charge: charge)
    }
}
