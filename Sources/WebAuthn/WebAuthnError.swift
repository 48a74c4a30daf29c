/// Why a WebAuthn ceremony was refused. Each is the client's fault (a 4xx), worded for the log;
/// none carries key material or signatures.
public enum WebAuthnError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedCBOR(String)
    case malformedClientData(String)
    case malformedAuthenticatorData(String)
    case malformedAttestation(String)
    case unsupportedKey(String)
    case wrongType(String)
    case wrongChallenge
    case wrongOrigin(String)
    case wrongRelyingParty
    case userNotPresent
    case userNotVerified
    case badSignature
    /// The authenticator's counter did not move forward: a cloned key may be in use.
    case counterRegressed(stored: UInt32, received: UInt32)

    public var description: String {
        switch self {
        case .malformedCBOR(let detail): "malformed CBOR: \(detail)"
        case .malformedClientData(let detail): "malformed client data: \(detail)"
        case .malformedAuthenticatorData(let detail): "malformed authenticator data: \(detail)"
        case .malformedAttestation(let detail): "malformed attestation: \(detail)"
        case .unsupportedKey(let detail): "unsupported credential key: \(detail)"
        case .wrongType(let type): "client data type \(type)"
        case .wrongChallenge: "the challenge is not the one issued"
        case .wrongOrigin(let origin): "origin \(origin) is not this server's"
        case .wrongRelyingParty: "the RP ID hash is not this server's"
        case .userNotPresent: "user presence flag not set"
        case .userNotVerified: "user verification flag not set"
        case .badSignature: "the signature does not verify"
        case .counterRegressed(let stored, let received): "signature counter \(received) is not above the stored \(stored)"
        }
    }
}
