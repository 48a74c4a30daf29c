import Foundation
import Hummingbird
import Logging
import Prometheus
import SekishoCore
import SekishoStore
import WebAuthn

/// Signing in with a discoverable passkey alone, from the login page (issue #15 item 2). It counts
/// as both factors only because the authenticator verified the user (the UV flag: a PIN or
/// biometrics on the device); an assertion without it is refused. Administrators can turn it off.
///
/// Nobody is known when the page asks for a challenge, so the challenge is bound to a random
/// cookie of the ceremony (stored as its SHA-256) instead of a session; the passkey then names the
/// user, and its user handle must agree. The account's lockout applies as to a password: a locked
/// account waits, and a refused assertion counts as a failure.
struct PasswordlessService: Sendable {
    /// The setting that turns passwordless sign-in off (`off`); absent means on.
    static let settingKey = "passkeys.passwordless"
    static let cookieName = "sekisho_passkey"
    /// The path the ceremony cookie is sent to: the options and the sign-in, nothing else.
    static let cookiePath = "/login/passkey"

    let store: any Store
    let clock: any WallClock
    let ceremony: PasskeyCeremony
    let sessions: SessionService
    let limiter: AttemptLimiter
    let logger: Logger

    enum Refusal: Error, Equatable {
        /// Turned off by an administrator.
        case disabled
        /// The ceremony failed a check, or the account must wait; the reason is logged, not shown.
        case refused
    }

    // MARK: The switch

    func isEnabled() async throws -> Bool {
        try await store.setting(Self.settingKey) != "off"
    }

    /// `administrator` nil: the operator at the console.
    func setEnabled(_ enabled: Bool, by administrator: User?, clientAddress: String) async throws {
        let event = NewAuditEvent(
            kind: AuditKind.passwordlessChanged.rawValue,
            actorUserID: administrator?.id,
            clientAddress: clientAddress,
            detail: enabled ? "on" : "off"
        )
        try await store.setSetting(Self.settingKey, value: enabled ? nil : "off", at: clock.now(), effects: SideEffects(audit: [event]))
    }

    // MARK: The ceremony

    /// The options for `navigator.credentials.get` with no credentials listed (the browser offers
    /// the site's discoverable passkeys), and the cookie the challenge is bound to.
    func options() async throws -> (json: String, cookie: Cookie) {
        guard try await isEnabled() else { throw Refusal.disabled }
        let holder = OpaqueToken.generate()
        let challenge = try await ceremony.issueChallenge(.passwordless, userID: nil, holder: holder.hash, effects: .none)
        let json = try PasskeyCeremony.json([
            "challenge": Base64URL.encode(challenge),
            "rpId": ceremony.relyingParty.id,
            "timeout": Int(PasskeyCeremony.challengeLifetime * 1000),
            "userVerification": "required",
            "allowCredentials": [Any](),
        ])
        return (json, ceremonyCookie(holder.value, maxAge: Int(PasskeyCeremony.challengeLifetime)))
    }

    /// Checks the browser's answer and begins the signed-in session (replacing `previous`, if the
    /// browser had one): the user and the session's cookie.
    func signIn(
        credentialJSON: String,
        ceremonyCookie: String?,
        replacing previous: ActiveSession?,
        clientAddress: String,
        userAgent: String
    ) async throws -> (user: User, cookie: Cookie) {
        guard try await isEnabled() else { throw Refusal.disabled }
        guard let ceremonyCookie, OpaqueToken.isWellFormed(ceremonyCookie) else { throw Refusal.refused }
        let credential = try? PasskeyCeremony.Credential(json: credentialJSON)
        guard let credential, let clientData = try? credential.bytes("clientDataJSON") else { throw Refusal.refused }
        let challenge: [UInt8]
        do {
            challenge = try await ceremony.spendChallenge(
                in: clientData,
                .passwordless,
                userID: nil,
                holder: OpaqueToken.hash(ceremonyCookie),
                who: ""
            )
        } catch is PasskeyService.Refusal {
            throw Refusal.refused
        }
        guard let id = credential.credentialID, let passkey = try await store.passkey(credentialID: Data(id)),
            let user = try await store.user(id: passkey.userID)
        else {
            logger.notice("passwordless sign-in refused", metadata: ["reason": "no such passkey"])
            throw Refusal.refused
        }
        // The user handle the authenticator stored must be the one this passkey was made for.
        guard (try? credential.bytes("userHandle")) == PasskeyCeremony.userHandle(user) else {
            logger.notice("passwordless sign-in refused", metadata: ["user": "\(user.username)", "reason": "user handle does not match"])
            throw Refusal.refused
        }
        guard let charge = try await limiter.charge(account: user.username, address: clientAddress) else { throw Refusal.refused }
        let failure = NewAuditEvent(
            kind: AuditKind.signInFailed.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "passkey"
        )
        let assertion: RelyingParty.Assertion
        do {
            assertion = try await ceremony.verifyAssertion(
                credential,
                clientData: clientData,
                challenge: challenge,
                passkey: passkey,
                user: user,
                requireUserVerification: true,
                clientAddress: clientAddress
            )
        } catch {
            try await limiter.failed(charge, failure, user: user)
            throw Refusal.refused
        }
        let next = sessions.prepare(
            .signedIn,
            for: user,
            by: SignInMethods.passkeyWithUserVerification,
            replacing: previous,
            clientAddress: clientAddress,
            userAgent: userAgent
        )
        let event = NewAuditEvent(
            kind: AuditKind.signIn.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "passwordless"
        )
        guard
            try await store.usePasskey(
                id: passkey.id,
                from: passkey.signCount,
                to: Int64(assertion.signCount),
                at: clock.now(),
                startingSession: SessionStart(next.record, replacing: previous?.record.idHash),
                effects: SideEffects(audit: [event], attempt: .signedIn(charge))
            )
        else {
            // Another request used this passkey meanwhile (the same assertion sent twice).
            try await limiter.failed(charge, failure, user: user)
            throw Refusal.refused
        }
        limiter.metrics.signInsOK.increment()
        return (user, next.cookie)
    }

    /// The ceremony cookie: strict, for the login page's own requests; `maxAge` 0 clears it.
    func ceremonyCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: Self.cookieName,
            value: value,
            maxAge: maxAge,
            path: Self.cookiePath,
            secure: sessions.secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }
}
