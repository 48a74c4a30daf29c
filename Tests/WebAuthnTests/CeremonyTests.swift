import Testing
import WebAuthn
import WebAuthnTesting

@Suite struct CeremonyTests {
    let party = RelyingParty(id: "login.example.com", origins: ["https://login.example.com"])
    let challenge = Array("a challenge of thirty-two bytes!".utf8)

    @Test(arguments: COSEKey.Algorithm.allCases, ["none", "packed"])
    func aRegisteredCredentialSignsIn(algorithm: COSEKey.Algorithm, format: String) throws {
        var authenticator = try SoftwareAuthenticator(algorithm)
        var options = SoftwareAuthenticator.Options()
        options.format = format
        let created = try authenticator.register(challenge: challenge, options)
        let registration = try party.verifyRegistration(
            clientDataJSON: created.clientDataJSON,
            attestationObject: created.attestationObject,
            challenge: challenge,
            requireUserVerification: true
        )
        #expect(registration.credentialID == authenticator.credentialID && registration.algorithm == algorithm)
        #expect(registration.attestationFormat == format && registration.userVerified)

        let signIn = Array("another challenge, for the sign-in".utf8)
        let asserted = try authenticator.assert(challenge: signIn)
        let assertion = try party.verifyAssertion(
            clientDataJSON: asserted.clientDataJSON,
            authenticatorData: asserted.authenticatorData,
            signature: asserted.signature,
            challenge: signIn,
            publicKeyCBOR: registration.publicKeyCBOR,
            storedSignCount: registration.signCount,
            requireUserVerification: true
        )
        #expect(assertion.signCount == 1 && assertion.userVerified)
    }

    /// Each rule refuses what breaks it, with its own reason.
    @Test func refusesWhatBreaksARule() throws {
        var authenticator = try SoftwareAuthenticator(.es256)
        let registration = try party.verifyRegistration(
            clientDataJSON: try authenticator.register(challenge: challenge).clientDataJSON,
            attestationObject: try authenticator.register(challenge: challenge).attestationObject,
            challenge: challenge,
            requireUserVerification: false
        )
        func assertion(
            _ change: (inout SoftwareAuthenticator.Options) -> Void = { _ in },
            challenge sent: [UInt8]? = nil,
            expected: [UInt8]? = nil,
            stored: UInt32 = 5,
            tamper: Bool = false,
            requireUV: Bool = false
        ) throws -> RelyingParty.Assertion {
            var options = SoftwareAuthenticator.Options()
            change(&options)
            authenticator.counter = 5
            var asserted = try authenticator.assert(challenge: sent ?? challenge, options)
            if tamper { asserted.signature[asserted.signature.count / 2] ^= 0x01 }
            return try party.verifyAssertion(
                clientDataJSON: asserted.clientDataJSON,
                authenticatorData: asserted.authenticatorData,
                signature: asserted.signature,
                challenge: expected ?? challenge,
                publicKeyCBOR: registration.publicKeyCBOR,
                storedSignCount: stored,
                requireUserVerification: requireUV
            )
        }
        #expect(try assertion().signCount == 6)
        #expect(throws: WebAuthnError.wrongOrigin("https://evil.example.com")) { try assertion({ $0.origin = "https://evil.example.com" }) }
        #expect(throws: WebAuthnError.wrongRelyingParty) { try assertion({ $0.rpID = "example.com" }) }
        #expect(throws: WebAuthnError.wrongChallenge) { try assertion(challenge: Array("an older challenge, replayed....".utf8)) }
        #expect(throws: WebAuthnError.badSignature) { try assertion(tamper: true) }
        #expect(throws: WebAuthnError.counterRegressed(stored: 9, received: 6)) { try assertion(stored: 9) }
        #expect(throws: WebAuthnError.userNotPresent) { try assertion({ $0.flags = 0x04 }) }
        #expect(throws: WebAuthnError.userNotVerified) { try assertion({ $0.flags = 0x01 }, requireUV: true) }
        #expect(throws: WebAuthnError.wrongType("webauthn.create")) { try assertion({ $0.type = "webauthn.create" }) }
    }

    @Test func registrationRefusesABadSelfAttestationAndAStatementWithNone() throws {
        let authenticator = try SoftwareAuthenticator(.es256)
        var options = SoftwareAuthenticator.Options()
        options.format = "packed"
        var created = try authenticator.register(challenge: challenge, options)
        // The signature is the last bytes before authData's key: flip a byte of the attestation's signature.
        let registration = { (object: [UInt8]) throws(WebAuthnError) in
            _ = try party.verifyRegistration(
                clientDataJSON: created.clientDataJSON,
                attestationObject: object,
                challenge: challenge,
                requireUserVerification: false
            )
        }
        var statement = try CBORDecoder().decode(created.attestationObject)
        guard case .map(var pairs) = statement, case .map(var inner) = pairs[1].value, case .bytes(var signature) = inner[1].value else {
            Issue.record("unexpected attestation shape")
            return
        }
        signature[10] ^= 0xFF
        inner[1].value = .bytes(signature)
        pairs[1].value = .map(inner)
        statement = .map(pairs)
        #expect(throws: WebAuthnError.badSignature) { try registration(cbor(statement)) }
        pairs[0].value = .text("none")
        #expect(throws: WebAuthnError.malformedAttestation("none with a statement")) { try registration(cbor(.map(pairs))) }
        created = try authenticator.register(challenge: challenge)
        #expect(throws: WebAuthnError.wrongChallenge) {
            _ = try party.verifyRegistration(
                clientDataJSON: created.clientDataJSON,
                attestationObject: created.attestationObject,
                challenge: Array(challenge.reversed()),
                requireUserVerification: false
            )
        }
    }
}
