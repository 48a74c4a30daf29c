import Crypto
import CryptoExtras
import Foundation

/// A credential public key in COSE form (RFC 9052/9053), limited to what WebAuthn servers are
/// asked to accept: ES256 (P-256), EdDSA (Ed25519) and RS256 (RSA PKCS#1 v1.5, SHA-256).
public struct COSEKey: Sendable {
    public enum Algorithm: Int, Sendable, CaseIterable {
        case es256 = -7
        case eddsa = -8
        case rs256 = -257
    }

    public let algorithm: Algorithm
    private let key: Key

    private enum Key: Sendable {
        case p256(P256.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }

    // COSE labels (RFC 9052 §7.1, RFC 9053 §7).
    private static let kty = 1
    private static let alg = 3
    private static let crv = -1
    private static let x = -2
    private static let y = -3
    private static let rsaN = -1
    private static let rsaE = -2

    /// Reads a COSE_Key map; refuses other algorithms, curves and key sizes.
    public init(_ map: CBOR) throws(WebAuthnError) {
        guard let algValue = map[Self.alg]?.int else { throw .unsupportedKey("no alg") }
        guard let algorithm = Algorithm(rawValue: algValue) else { throw .unsupportedKey("alg \(algValue)") }
        let kty = map[Self.kty]?.int
        do {
            switch algorithm {
            case .es256:
                guard kty == 2, map[Self.crv]?.int == 1, let x = map[Self.x]?.bytes, let y = map[Self.y]?.bytes, x.count == 32, y.count == 32
                else { throw WebAuthnError.unsupportedKey("ES256 needs an EC2 P-256 key") }
                key = .p256(try P256.Signing.PublicKey(rawRepresentation: x + y))
            case .eddsa:
                guard kty == 1, map[Self.crv]?.int == 6, let x = map[Self.x]?.bytes, x.count == 32
                else { throw WebAuthnError.unsupportedKey("EdDSA needs an OKP Ed25519 key") }
                key = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))
            case .rs256:
                guard kty == 3, let n = map[Self.rsaN]?.bytes, let e = map[Self.rsaE]?.bytes, (256...512).contains(n.count), (1...8).contains(e.count)
                else { throw WebAuthnError.unsupportedKey("RS256 needs an RSA key of 2048 to 4096 bits") }
                key = .rsa(try _RSA.Signing.PublicKey(n: n, e: e))
            }
        } catch let error as WebAuthnError {
            throw error
        } catch {
            throw .unsupportedKey("\(algorithm): not a valid public key")
        }
        self.algorithm = algorithm
    }

    /// Whether `signature` (as WebAuthn sends it: DER for ECDSA) signs `data`.
    public func verifies(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        switch key {
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: data)
        case .ed25519(let key):
            return key.isValidSignature(signature, for: data)
        case .rsa(let key):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: data, padding: .insecurePKCS1v1_5)
        }
    }
}
