import Crypto

/// The server side of WebAuthn ceremonies (Level 2 §7.1 and §7.2) for one relying party: the
/// checks on what the browser and the authenticator sent. What it does not do is the caller's:
/// issuing each challenge once and spending it once, finding the credential by its ID, and
/// storing the new counter.
public struct RelyingParty: Sendable {
    /// The RP ID: the public URL's host.
    public let id: String
    /// The origins a ceremony may come from (scheme, host and port of the public URL).
    public let origins: Set<String>
    public let rpIDHash: [UInt8]

    public init(id: String, origins: Set<String>) {
        self.id = id
        self.origins = origins
        self.rpIDHash = Array(SHA256.hash(data: Array(id.utf8)))
    }

    /// A newly registered credential: what to store.
    public struct Registration: Sendable {
        public let credentialID: [UInt8]
        public let publicKeyCBOR: [UInt8]
        public let algorithm: COSEKey.Algorithm
        public let signCount: UInt32
        public let userVerified: Bool
        public let backupEligible: Bool
        /// `none`, `packed` (self attestation verified; a certificate chain is not checked), or
        /// another format that was parsed and not checked.
        public let attestationFormat: String
        public let aaguid: [UInt8]
    }

    /// A successful sign-in with a stored credential.
    public struct Assertion: Sendable {
        public let signCount: UInt32
        public let userVerified: Bool
    }

    /// Checks a registration (`navigator.credentials.create`) against the challenge issued for it.
    public func verifyRegistration(
        clientDataJSON: [UInt8],
        attestationObject: [UInt8],
        challenge: [UInt8],
        requireUserVerification: Bool
    ) throws(WebAuthnError) -> Registration {
        try checkClientData(clientDataJSON, type: "webauthn.create", challenge: challenge)
        let attestation = try CBORDecoder().decode(attestationObject)
        guard let format = attestation["fmt"]?.text, let statement = attestation["attStmt"], case .map = statement,
            let authDataBytes = attestation["authData"]?.bytes
        else { throw .malformedAttestation("fmt, attStmt or authData missing") }
        let authData = try AuthenticatorData(authDataBytes)
        try checkAuthenticatorData(authData, requireUserVerification: requireUserVerification)
        guard let credential = authData.credential else { throw .malformedAuthenticatorData("no attested credential") }
        switch format {
        case "none":
            guard statement == .map([]) else { throw .malformedAttestation("none with a statement") }
        case "packed":
            guard let alg = statement["alg"]?.int, let signature = statement["sig"]?.bytes else {
                throw .malformedAttestation("packed without alg or sig")
            }
            if statement["x5c"] == nil {
                // Self attestation: signed by the credential's own key, with its algorithm.
                guard alg == credential.publicKey.algorithm.rawValue else { throw .malformedAttestation("self attestation alg \(alg)") }
                let signed = authDataBytes + Array(SHA256.hash(data: clientDataJSON))
                guard credential.publicKey.verifies(signature, over: signed) else { throw .badSignature }
            }
        default:
            // Attestation is not asked for (`none`): other formats are read but not trusted.
            break
        }
        return Registration(
            credentialID: credential.id,
            publicKeyCBOR: credential.publicKeyCBOR,
            algorithm: credential.publicKey.algorithm,
            signCount: authData.signCount,
            userVerified: authData.userVerified,
            backupEligible: authData.backupEligible,
            attestationFormat: format,
            aaguid: credential.aaguid
        )
    }

    /// Checks an assertion (`navigator.credentials.get`) made with the stored key.
    public func verifyAssertion(
        clientDataJSON: [UInt8],
        authenticatorData authDataBytes: [UInt8],
        signature: [UInt8],
        challenge: [UInt8],
        publicKeyCBOR: [UInt8],
        storedSignCount: UInt32,
        requireUserVerification: Bool
    ) throws(WebAuthnError) -> Assertion {
        try checkClientData(clientDataJSON, type: "webauthn.get", challenge: challenge)
        let authData = try AuthenticatorData(authDataBytes)
        try checkAuthenticatorData(authData, requireUserVerification: requireUserVerification)
        let key = try COSEKey(try CBORDecoder().decode(publicKeyCBOR))
        guard key.verifies(signature, over: authDataBytes + Array(SHA256.hash(data: clientDataJSON))) else { throw .badSignature }
        // §7.2 step 21: both zero means the authenticator keeps no counter (passkeys that sync).
        if authData.signCount != 0 || storedSignCount != 0, authData.signCount <= storedSignCount {
            throw .counterRegressed(stored: storedSignCount, received: authData.signCount)
        }
        return Assertion(signCount: authData.signCount, userVerified: authData.userVerified)
    }

    private func checkClientData(_ json: [UInt8], type: String, challenge: [UInt8]) throws(WebAuthnError) {
        let clientData = try CollectedClientData(json)
        guard clientData.type == type else { throw .wrongType(clientData.type) }
        guard clientData.challenge == challenge else { throw .wrongChallenge }
        guard origins.contains(clientData.origin), !clientData.crossOrigin else { throw .wrongOrigin(clientData.origin) }
    }

    private func checkAuthenticatorData(_ authData: AuthenticatorData, requireUserVerification: Bool) throws(WebAuthnError) {
        guard authData.rpIDHash == rpIDHash else { throw .wrongRelyingParty }
        guard authData.userPresent else { throw .userNotPresent }
        guard authData.userVerified || !requireUserVerification else { throw .userNotVerified }
    }
}
