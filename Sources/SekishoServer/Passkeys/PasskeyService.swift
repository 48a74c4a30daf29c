import Foundation
import Hummingbird
import Logging
import SekishoCore
import SekishoStore
import WebAuthn

/// Passkeys and security keys (issue #15): added from the dashboard after a fresh password
/// check, used on the code page instead of a code, removed from the dashboard. The checks of the
/// ceremonies are the WebAuthn module's; the rules here are Sekisho's: challenges are random,
/// stored hashed, bound to the user and the session, spent once within 5 minutes; a passkey
/// signs in only its own user; its counter moves forward in the transaction that starts the
/// signed-in session, so one assertion is accepted once.
struct PasskeyService: Sendable {
    static let maximumNameLength = 64

    let store: any Store
    let clock: any WallClock
    let ceremony: PasskeyCeremony
    let sessions: SessionService
    let account: AccountService
    let notices: NoticeMails
    let logger: Logger

    enum Refusal: Error, Equatable {
        case wrongPassword
        case locked
        case badName
        /// The ceremony failed a check; the reason is logged, not shown.
        case refused
    }

    /// The relying party of a public URL: its host is the RP ID, its origin the only one allowed.
    static func relyingParty(baseURL: String) -> RelyingParty {
        let components = URLComponents(string: baseURL)
        let host = components?.host ?? "localhost"
        var origin = "\(components?.scheme ?? "http")://\(host)"
        if let port = components?.port { origin += ":\(port)" }
        return RelyingParty(id: host, origins: [origin])
    }

    // MARK: Adding

    /// After the password is confirmed: the options for `navigator.credentials.create` as JSON,
    /// with a new challenge stored for this session.
    func registrationOptions(session: ActiveSession, name: String, password: String, clientAddress: String) async throws -> String {
        guard Self.isAcceptableName(name) else { throw Refusal.badName }
        let charge: AttemptCharge
        do {
            charge = try await account.confirmPassword(session: session, password: password, clientAddress: clientAddress)
        } catch AccountService.Refusal.locked {
            throw Refusal.locked
        } catch AccountService.Refusal.wrongPassword {
            throw Refusal.wrongPassword
        }
        let user = session.user
        let challenge = try await ceremony.issueChallenge(
            .registration,
            userID: user.id,
            holder: session.record.idHash,
            effects: SideEffects(attempt: .refund(charge))
        )
        let existing = try await store.passkeys(userID: user.id)
        let options: [String: Any] = [
            "challenge": Base64URL.encode(challenge),
            "rp": ["id": ceremony.relyingParty.id, "name": "Sekisho"],
            "user": [
                "id": Base64URL.encode(PasskeyCeremony.userHandle(user)), "name": user.username, "displayName": user.displayName,
            ],
            "pubKeyCredParams": COSEKey.Algorithm.allCases.map { ["type": "public-key", "alg": $0.rawValue] },
            "timeout": Int(PasskeyCeremony.challengeLifetime * 1000),
            "attestation": "none",
            "authenticatorSelection": ["residentKey": "preferred", "userVerification": "preferred"],
            "excludeCredentials": existing.map { ["type": "public-key", "id": Base64URL.encode([UInt8]($0.credentialID))] },
        ]
        return try PasskeyCeremony.json(options)
    }

    /// Checks the browser's answer and stores the new passkey.
    func register(session: ActiveSession, name: String, credentialJSON: String, clientAddress: String) async throws -> Passkey {
        guard Self.isAcceptableName(name) else { throw Refusal.badName }
        let user = session.user
        let credential = try PasskeyCeremony.Credential(json: credentialJSON)
        let clientData = try credential.bytes("clientDataJSON")
        let challenge = try await ceremony.spendChallenge(
            in: clientData,
            .registration,
            userID: user.id,
            holder: session.record.idHash,
            who: user.username
        )
        let registration: RelyingParty.Registration
        do {
            registration = try ceremony.relyingParty.verifyRegistration(
                clientDataJSON: clientData,
                attestationObject: try credential.bytes("attestationObject"),
                challenge: challenge,
                requireUserVerification: false
            )
        } catch {
            logger.notice("passkey registration refused", metadata: ["user": "\(user.username)", "reason": "\(error)"])
            throw Refusal.refused
        }
        let now = clock.now()
        let event = NewAuditEvent(
            kind: AuditKind.passkeyAdded.rawValue,
            actorUserID: user.id,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "\(name) (\(registration.algorithm), \(registration.attestationFormat))"
        )
        do {
            return try await store.addPasskey(
                Passkey(
                    userID: user.id,
                    credentialID: Data(registration.credentialID),
                    publicKey: Data(registration.publicKeyCBOR),
                    algorithm: registration.algorithm.rawValue,
                    signCount: Int64(registration.signCount),
                    name: name,
                    createdAt: now
                ),
                effects: SideEffects(mails: [notices.mail(.authenticatorAdded, to: user, values: ["name": name])], audit: [event])
            )
        } catch let error as StoreError where error.isDuplicate {
            logger.notice("passkey registration refused", metadata: ["user": "\(user.username)", "reason": "credential ID registered already"])
            throw Refusal.refused
        }
    }

    func passkeys(of user: User) async throws -> [Passkey] { try await store.passkeys(userID: user.id) }

    /// Removes one of the user's passkeys; false when the user has none with that id. The last
    /// authenticator of an account with two-factor on goes like a reset (see
    /// ``AuthenticatorService/remove(_:of:actor:clientAddress:)``).
    func remove(id: Int64, session: ActiveSession, clientAddress: String) async throws -> Bool {
        let user = session.user
        let name = try await store.passkeys(userID: user.id).first { $0.id == id }?.name ?? "\(id)"
        let effects = AuthenticatorService.removalEffects(
            .passkey(id),
            name: name,
            of: user,
            actor: user,
            clientAddress: clientAddress,
            notices: notices
        )
        return try await store.removeAuthenticator(
            .passkey(id),
            userID: user.id,
            at: clock.now(),
            effects: effects.others,
            lastOneEffects: effects.last
        ) != .notFound
    }

    // MARK: Signing in

    /// The options for `navigator.credentials.get` on the code page, or nil when the user has no
    /// passkey (the page then offers none).
    func assertionOptions(session: ActiveSession) async throws -> String? {
        let keys = try await store.passkeys(userID: session.user.id)
        guard !keys.isEmpty else { return nil }
        let challenge = try await ceremony.issueChallenge(.secondFactor, userID: session.user.id, holder: session.record.idHash, effects: .none)
        return try PasskeyCeremony.json([
            "challenge": Base64URL.encode(challenge),
            "rpId": ceremony.relyingParty.id,
            "timeout": Int(PasskeyCeremony.challengeLifetime * 1000),
            "userVerification": "preferred",
            "allowCredentials": keys.map { ["type": "public-key", "id": Base64URL.encode([UInt8]($0.credentialID))] },
        ])
    }

    /// Confirms the half-way `session` with a passkey: the signed-in session's cookie, or a refusal.
    func signIn(session: ActiveSession, credentialJSON: String, clientAddress: String) async throws -> Cookie {
        let user = session.user
        let credential = try PasskeyCeremony.Credential(json: credentialJSON)
        let clientData = try credential.bytes("clientDataJSON")
        let challenge = try await ceremony.spendChallenge(
            in: clientData,
            .secondFactor,
            userID: user.id,
            holder: session.record.idHash,
            who: user.username
        )
        guard let id = credential.credentialID, let passkey = try await store.passkey(credentialID: Data(id)), passkey.userID == user.id
        else {
            logger.notice("passkey sign-in refused", metadata: ["user": "\(user.username)", "reason": "not a passkey of this user"])
            throw Refusal.refused
        }
        let assertion = try await ceremony.verifyAssertion(
            credential,
            clientData: clientData,
            challenge: challenge,
            passkey: passkey,
            user: user,
            requireUserVerification: false,
            clientAddress: clientAddress
        )
        let next = sessions.prepare(.signedIn, for: user, by: SignInMethods.passwordAndPasskey, replacing: session, clientAddress: clientAddress)
        let event = NewAuditEvent(
            kind: AuditKind.signIn.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "passkey"
        )
        guard
            try await store.usePasskey(
                id: passkey.id,
                from: passkey.signCount,
                to: Int64(assertion.signCount),
                at: clock.now(),
                startingSession: SessionStart(next.record, replacing: session.record.idHash),
                effects: SideEffects(audit: [event])
            )
        else {
            // Another request used this passkey meanwhile (the same assertion sent twice).
            throw Refusal.refused
        }
        return next.cookie
    }

    // MARK: Parsing

    static func isAcceptableName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= maximumNameLength && !UserService.containsControlCharacters(name)
    }
}
