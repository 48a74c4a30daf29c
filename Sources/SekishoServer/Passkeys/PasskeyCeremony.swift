import Foundation
import Logging
import SekishoCore
import SekishoStore
import WebAuthn

/// What every passkey ceremony shares, whoever starts it (the dashboard, the code page, the login
/// page): its challenge, random, stored hashed, bound to who it was shown to and spent once within
/// five minutes; the browser's answer read from the form; and an assertion checked against the
/// stored key, a counter that went back counted for the administrators.
struct PasskeyCeremony: Sendable {
    static let challengeLifetime: TimeInterval = 300
    /// A browser's answer is a few hundred bytes; anything much larger is not one.
    static let maximumCredentialLength = 16_384

    let store: any Store
    let clock: any WallClock
    let relyingParty: RelyingParty
    let logger: Logger

    /// The browser's answer to `navigator.credentials.create` or `.get`, as `webauthn.js` posts it.
    struct Credential {
        let fields: [String: Any]

        init(json: String) throws {
            guard json.utf8.count <= PasskeyCeremony.maximumCredentialLength,
                let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            else { throw PasskeyService.Refusal.refused }
            fields = object
        }

        /// A base64url field, decoded.
        func bytes(_ key: String) throws -> [UInt8] {
            guard let text = fields[key] as? String, let bytes = Base64URL.decode(text) else { throw PasskeyService.Refusal.refused }
            return bytes
        }

        var credentialID: [UInt8]? { (fields["id"] as? String).flatMap(Base64URL.decode) }
    }

    // MARK: Challenges

    /// A new challenge for `purpose`, stored hashed for `userID` (nil: nobody known yet) and the
    /// session or ceremony cookie whose SHA-256 is `holder`.
    func issueChallenge(_ purpose: WebAuthnChallenge.Purpose, userID: Int64?, holder: String, effects: SideEffects) async throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let challenge = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await store.saveWebAuthnChallenge(
            WebAuthnChallenge(
                hash: OpaqueToken.hash(Base64URL.encode(challenge)),
                purpose: purpose,
                userID: userID,
                sessionIDHash: holder,
                expiresAt: clock.now().addingTimeInterval(Self.challengeLifetime)
            ),
            effects: effects
        )
        return challenge
    }

    /// Spends the challenge the client data names, before anything else is checked: whatever the
    /// outcome, a challenge is good for one answer. `who` names the user in the log, if known.
    func spendChallenge(
        in clientData: [UInt8],
        _ purpose: WebAuthnChallenge.Purpose,
        userID: Int64?,
        holder: String,
        who: String
    ) async throws -> [UInt8] {
        guard let parsed = try? CollectedClientData(clientData),
            try await store.spendWebAuthnChallenge(
                hash: OpaqueToken.hash(Base64URL.encode(parsed.challenge)),
                purpose: purpose,
                userID: userID,
                sessionIDHash: holder,
                at: clock.now()
            )
        else {
            logger.notice("passkey ceremony refused", metadata: ["user": "\(who)", "reason": "unknown, used or expired challenge"])
            throw PasskeyService.Refusal.refused
        }
        return parsed.challenge
    }

    // MARK: Assertions

    /// Checks an assertion against `passkey`, the key of `user`. A counter that went back is
    /// refused, logged, audited and counted on the passkey: a copy of the key may exist.
    func verifyAssertion(
        _ credential: Credential,
        clientData: [UInt8],
        challenge: [UInt8],
        passkey: Passkey,
        user: User,
        requireUserVerification: Bool,
        clientAddress: String
    ) async throws -> RelyingParty.Assertion {
        do {
            return try relyingParty.verifyAssertion(
                clientDataJSON: clientData,
                authenticatorData: try credential.bytes("authenticatorData"),
                signature: try credential.bytes("signature"),
                challenge: challenge,
                publicKeyCBOR: [UInt8](passkey.publicKey),
                storedSignCount: UInt32(clamping: passkey.signCount),
                requireUserVerification: requireUserVerification
            )
        } catch WebAuthnError.counterRegressed(let stored, let received) {
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
            throw PasskeyService.Refusal.refused
        } catch {
            logger.notice("passkey sign-in refused", metadata: ["user": "\(user.username)", "reason": "\(error)"])
            throw PasskeyService.Refusal.refused
        }
    }

    /// The user handle every passkey of `user` carries: the row id, stable across renames, and not
    /// the user ID people type.
    static func userHandle(_ user: User) -> [UInt8] { Array(String(user.id).utf8) }

    static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
