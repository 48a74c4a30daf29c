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
    static let challengeLifetime: TimeInterval = 300
    static let maximumNameLength = 64

    let store: any Store
    let clock: any WallClock
    let relyingParty: RelyingParty
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
        let challenge = try await issueChallenge(.registration, session: session, effects: SideEffects(attempt: .refund(charge)))
        let existing = try await store.passkeys(userID: user.id)
        let options: [String: Any] = [
            "challenge": Base64URL.encode(challenge),
            "rp": ["id": relyingParty.id, "name": "Sekisho"],
            // The user handle is the row id: stable across renames, and not the user ID people type.
            "user": ["id": Base64URL.encode(Array(String(user.id).utf8)), "name": user.username, "displayName": user.displayName],
            "pubKeyCredParams": COSEKey.Algorithm.allCases.map { ["type": "public-key", "alg": $0.rawValue] },
            "timeout": Int(Self.challengeLifetime * 1000),
            "attestation": "none",
            "authenticatorSelection": ["residentKey": "preferred", "userVerification": "preferred"],
            "excludeCredentials": existing.map { ["type": "public-key", "id": Base64URL.encode([UInt8]($0.credentialID))] },
        ]
        return try Self.json(options)
    }

    /// Checks the browser's answer and stores the new passkey.
    func register(session: ActiveSession, name: String, credentialJSON: String, clientAddress: String) async throws -> Passkey {
        guard Self.isAcceptableName(name) else { throw Refusal.badName }
        let user = session.user
        let credential = try Self.parse(credentialJSON)
        let clientData = try bytes(credential, "clientDataJSON")
        let challenge = try await spendChallenge(in: clientData, .registration, session: session)
        let registration: RelyingParty.Registration
        do {
            registration = try relyingParty.verifyRegistration(
                clientDataJSON: clientData,
                attestationObject: try bytes(credential, "attestationObject"),
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
        let challenge = try await issueChallenge(.secondFactor, session: session, effects: .none)
        return try Self.json([
            "challenge": Base64URL.encode(challenge),
            "rpId": relyingParty.id,
            "timeout": Int(Self.challengeLifetime * 1000),
            "userVerification": "preferred",
            "allowCredentials": keys.map { ["type": "public-key", "id": Base64URL.encode([UInt8]($0.credentialID))] },
        ])
    }

    /// Confirms the half-way `session` with a passkey: the signed-in session's cookie, or a refusal.
    func signIn(session: ActiveSession, credentialJSON: String, clientAddress: String) async throws -> Cookie {
        let user = session.user
        let credential = try Self.parse(credentialJSON)
        let clientData = try bytes(credential, "clientDataJSON")
        let challenge = try await spendChallenge(in: clientData, .secondFactor, session: session)
        guard let id = (credential["id"] as? String).flatMap(Base64URL.decode),
            let passkey = try await store.passkey(credentialID: Data(id)), passkey.userID == user.id
        else {
            logger.notice("passkey sign-in refused", metadata: ["user": "\(user.username)", "reason": "not a passkey of this user"])
            throw Refusal.refused
        }
        let assertion: RelyingParty.Assertion
        do {
            assertion = try relyingParty.verifyAssertion(
                clientDataJSON: clientData,
                authenticatorData: try bytes(credential, "authenticatorData"),
                signature: try bytes(credential, "signature"),
                challenge: challenge,
                publicKeyCBOR: [UInt8](passkey.publicKey),
                storedSignCount: UInt32(clamping: passkey.signCount),
                requireUserVerification: false
            )
        } catch WebAuthnError.counterRegressed(let stored, let received) {
            // A copy of the key may exist: refused, counted for the administrators, and logged.
            logger.warning(
                "passkey counter went back",
                metadata: ["user": "\(user.username)", "passkey": "\(passkey.id)", "stored": "\(stored)", "received": "\(received)"]
            )
            let event = NewAuditEvent(
                kind: AuditKind.passkeyCounterRegressed.rawValue,
                subjectUserID: user.id,
                username: user.username,
                clientAddress: clientAddress,
                detail: "\(passkey.name): \(received) after \(stored)"
            )
            try await store.recordPasskeyCounterRegression(id: passkey.id, at: clock.now(), effects: SideEffects(audit: [event]))
            throw Refusal.refused
        } catch {
            logger.notice("passkey sign-in refused", metadata: ["user": "\(user.username)", "reason": "\(error)"])
            throw Refusal.refused
        }
        let next = sessions.prepare(.signedIn, for: user, replacing: session, clientAddress: clientAddress)
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

    // MARK: Challenges

    private func issueChallenge(_ purpose: WebAuthnChallenge.Purpose, session: ActiveSession, effects: SideEffects) async throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let challenge = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await store.saveWebAuthnChallenge(
            WebAuthnChallenge(
                hash: OpaqueToken.hash(Base64URL.encode(challenge)),
                purpose: purpose,
                userID: session.user.id,
                sessionIDHash: session.record.idHash,
                expiresAt: clock.now().addingTimeInterval(Self.challengeLifetime)
            ),
            effects: effects
        )
        return challenge
    }

    /// Spends the challenge the client data names, before anything else is checked: whatever the
    /// outcome, a challenge is good for one answer.
    private func spendChallenge(in clientData: [UInt8], _ purpose: WebAuthnChallenge.Purpose, session: ActiveSession) async throws -> [UInt8] {
        guard let parsed = try? CollectedClientData(clientData),
            try await store.spendWebAuthnChallenge(
                hash: OpaqueToken.hash(Base64URL.encode(parsed.challenge)),
                purpose: purpose,
                userID: session.user.id,
                sessionIDHash: session.record.idHash,
                at: clock.now()
            )
        else {
            logger.notice("passkey ceremony refused", metadata: ["user": "\(session.user.username)", "reason": "unknown, used or expired challenge"])
            throw Refusal.refused
        }
        return parsed.challenge
    }

    // MARK: Parsing

    static func isAcceptableName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= maximumNameLength && !UserService.containsControlCharacters(name)
    }

    private static func parse(_ json: String) throws -> [String: Any] {
        guard json.utf8.count <= 16_384, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw Refusal.refused
        }
        return object
    }

    private func bytes(_ credential: [String: Any], _ key: String) throws -> [UInt8] {
        guard let text = credential[key] as? String, let bytes = Base64URL.decode(text) else { throw Refusal.refused }
        return bytes
    }

    private static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
