import Foundation
import Hummingbird
import Prometheus
import SekishoCore
import SekishoStore

/// Binding an authenticator (S3, S5, S13): a pending secret tied to the half-way session,
/// confirmed by one correct code.
struct EnrollmentService: Sendable {
    let store: any Store
    let secretBox: SecretBox
    let clock: any WallClock
    let settings: SekishoConfiguration.TOTPSettings
    let limiter: AttemptLimiter
    let sessions: SessionService

    /// What the enrollment page shows.
    struct Enrollment {
        let key: String
        let uri: String
        let qrSVG: String
    }

    enum Confirmation {
        /// Bound and signed in: the cookie names the new session, which replaced the half-way one.
        case confirmed(recoveryCodes: [String], cookie: Cookie)
        case wrongCode
        case locked
        /// The pending enrollment is gone (expired, or confirmed in another tab).
        case expired
    }

    /// The enrollment of this session: the same key on reload, a new one for a new session.
    func current(for session: ActiveSession) async throws -> Enrollment {
        let now = clock.now()
        let secret: [UInt8]
        if let pending = try await store.pendingEnrollment(userID: session.user.id, sessionIDHash: session.record.idHash, at: now) {
            secret = try secretBox.open([UInt8](pending.sealedSecret), context: Self.context(pending.id))
        } else {
            secret = TOTPSecret.generate(byteCount: settings.secretBytes)
            let id = OpaqueToken.generate().value
            let sealed = try secretBox.seal(secret, context: Self.context(id))
            try await store.savePendingEnrollment(
                PendingEnrollment(
                    id: id,
                    userID: session.user.id,
                    sessionIDHash: session.record.idHash,
                    sealedSecret: Data(sealed),
                    algorithm: settings.algorithm,
                    digits: settings.digits,
                    period: settings.period,
                    createdAt: now,
                    expiresAt: session.record.expiresAt
                )
            )
        }
        let uri = try OTPAuthURI(
            issuer: settings.issuer,
            account: session.user.username,
            secret: secret,
            algorithm: OTPAlgorithm(rawValue: settings.algorithm) ?? .sha1,
            digits: settings.digits,
            period: settings.period
        ).uriString
        return Enrollment(key: Base32.encode(secret), uri: uri, qrSVG: try QRCode.svg(for: uri))
    }

    func confirm(code: String, session: ActiveSession, clientAddress: String) async throws -> Confirmation {
        let user = session.user
        let check = PendingEnrollmentCheck(store: store, secretBox: secretBox, clock: clock, settings: settings, limiter: limiter)
        let pendingID: String
        let binding: TOTPBinding
        let charge: AttemptCharge
        switch try await check.check(code, session: session, name: "", clientAddress: clientAddress) {
        case .expired: return .expired
        case .locked: return .locked
        case .wrongCode: return .wrongCode
        case .right(let id, let made, let taken): (pendingID, binding, charge) = (id, made, taken)
        }
        let codes = RecoveryCodes.generate()
        let recoveryKey = secretBox.subkey(purpose: "recovery-codes")
        let effects = SideEffects(
            mails: [limiter.notices.mail(.authenticatorAdded, to: user, values: ["name": "TOTP"])],
            audit: [
                NewAuditEvent(kind: AuditKind.enrolled.rawValue, subjectUserID: user.id, username: user.username, clientAddress: clientAddress),
                NewAuditEvent(
                    kind: AuditKind.signIn.rawValue,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress,
                    detail: "enrollment"
                ),
            ],
            attempt: .signedIn(charge)
        )
        // The binding, its recovery codes and the signed-in session in one transaction.
        let next = sessions.prepare(.signedIn, for: user, by: SignInMethods.passwordAndCode, replacing: session, clientAddress: clientAddress)
        let confirmed = try await store.confirmEnrollment(
            enrollmentID: pendingID,
            binding: binding,
            recoveryCodeHashes: codes.map { RecoveryCodes.hash($0, key: recoveryKey) },
            startingSession: SessionStart(next.record, replacing: session.record.idHash),
            effects: effects
        )
        guard confirmed else { return .expired }
        limiter.metrics.codesOK.increment()
        limiter.metrics.signInsOK.increment()
        return .confirmed(recoveryCodes: codes, cookie: next.cookie)
    }

    static func context(_ enrollmentID: String) -> SealContext {
        SealContext(table: "totp_enrollment", column: "sealed_secret", rowID: enrollmentID)
    }

    /// What a binding's secret is sealed with: bound to its row. Bindings from before several
    /// apps per account have their user's id as their id, which is what they were sealed with.
    static func bindingContext(_ bindingID: String) -> SealContext {
        SealContext(table: "totp_binding", column: "sealed_secret", rowID: bindingID)
    }

    /// A new binding's id: 16 random bytes in hex after `app-`, so it never reads as a number (the
    /// ids of bindings from before several apps per account are their user's id).
    static func newBindingID() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "app-" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// True when the user has an authenticator app or a passkey (the code page, not enrollment,
    /// is next).
    func isEnrolled(_ user: User) async throws -> Bool {
        try await store.hasAuthenticator(userID: user.id)
    }
}
