import Crypto
import CryptoExtras
import Foundation
import WebAuthn

/// A CBOR encoder for the tests' own authenticator (the server never encodes CBOR).
public func cbor(_ item: CBOR) -> [UInt8] {
    func head(_ major: UInt8, _ value: UInt64) -> [UInt8] {
        switch value {
        case 0..<24: [major << 5 | UInt8(value)]
        case 24..<256: [major << 5 | 24, UInt8(value)]
        case 256..<65536: [major << 5 | 25] + withUnsafeBytes(of: UInt16(value).bigEndian, Array.init)
        case 65536..<(1 << 32): [major << 5 | 26] + withUnsafeBytes(of: UInt32(value).bigEndian, Array.init)
        default: [major << 5 | 27] + withUnsafeBytes(of: value.bigEndian, Array.init)
        }
    }
    switch item {
    case .unsigned(let value): return head(0, value)
    case .negative(let value): return head(1, value)
    case .bytes(let bytes): return head(2, UInt64(bytes.count)) + bytes
    case .text(let text): return head(3, UInt64(text.utf8.count)) + Array(text.utf8)
    case .array(let items): return head(4, UInt64(items.count)) + items.flatMap(cbor)
    case .map(let pairs): return head(5, UInt64(pairs.count)) + pairs.flatMap { cbor($0.key) + cbor($0.value) }
    case .tagged(let tag, let inner): return head(6, tag) + cbor(inner)
    case .bool(let value): return [value ? 0xF5 : 0xF4]
    case .null: return [0xF6]
    case .undefined: return [0xF7]
    case .float(let bits): return [0xFB] + withUnsafeBytes(of: bits.bigEndian, Array.init)
    }
}

public func int(_ value: Int) -> CBOR { value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value)) }

/// An authenticator in the test process: one credential of the given algorithm, making the
/// registration and assertion data a browser would pass on, with knobs to get them wrong. For the
/// tests of the WebAuthn module and of the server's passkey ceremonies.
public struct SoftwareAuthenticator: Sendable {
    public enum Key: Sendable {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    public let key: Key
    public let credentialID: [UInt8]
    public var counter: UInt32 = 0

    public init(_ algorithm: COSEKey.Algorithm) throws {
        switch algorithm {
        case .es256: key = .p256(P256.Signing.PrivateKey())
        case .eddsa: key = .ed25519(Curve25519.Signing.PrivateKey())
        case .rs256: key = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
        credentialID = (0..<32).map { _ in UInt8.random(in: 0...255) }
    }

    public var coseKey: [UInt8] {
        get throws {
            switch key {
            case .p256(let key):
                let raw = Array(key.publicKey.rawRepresentation)
                return cbor(
                    .map([
                        (int(1), int(2)), (int(3), int(-7)), (int(-1), int(1)), (int(-2), .bytes(Array(raw[0..<32]))),
                        (int(-3), .bytes(Array(raw[32...]))),
                    ])
                )
            case .ed25519(let key):
                return cbor(
                    .map([(int(1), int(1)), (int(3), int(-8)), (int(-1), int(6)), (int(-2), .bytes(Array(key.publicKey.rawRepresentation)))])
                )
            case .rsa(let key):
                let parts = try key.publicKey.getKeyPrimitives()
                return cbor(
                    .map([
                        (int(1), int(3)), (int(3), int(-257)), (int(-1), .bytes(Array(parts.modulus))),
                        (int(-2), .bytes(Array(parts.publicExponent))),
                    ])
                )
            }
        }
    }

    public func sign(_ data: [UInt8]) throws -> [UInt8] {
        switch key {
        case .p256(let key): Array(try key.signature(for: data).derRepresentation)
        case .ed25519(let key): Array(try key.signature(for: data))
        case .rsa(let key): Array(try key.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    public struct Options {
        public var rpID = "login.example.com"
        public var origin = "https://login.example.com"
        public var type: String?
        public var flags: UInt8 = 0x05  // UP + UV
        public var format = "none"

        public init() {}

        public init(rpID: String, origin: String, flags: UInt8 = 0x05) {
            self.rpID = rpID
            self.origin = origin
            self.flags = flags
        }
    }

    public static func clientData(type: String, challenge: [UInt8], origin: String) -> [UInt8] {
        Array(#"{"type":"\#(type)","challenge":"\#(Base64URL.encode(challenge))","origin":"\#(origin)","crossOrigin":false}"#.utf8)
    }

    public func authenticatorData(_ options: Options, attested: Bool) throws -> [UInt8] {
        var data = Array(SHA256.hash(data: Array(options.rpID.utf8)))
        data.append(options.flags | (attested ? 0x40 : 0))
        data += withUnsafeBytes(of: counter.bigEndian, Array.init)
        if attested {
            data +=
                [UInt8](repeating: 0, count: 16) + [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)] + credentialID + (try coseKey)
        }
        return data
    }

    /// `navigator.credentials.create`: client data JSON and attestation object.
    public func register(challenge: [UInt8], _ options: Options = Options()) throws -> (clientDataJSON: [UInt8], attestationObject: [UInt8]) {
        let clientData = Self.clientData(type: options.type ?? "webauthn.create", challenge: challenge, origin: options.origin)
        let authData = try authenticatorData(options, attested: true)
        var statement = CBOR.map([])
        if options.format == "packed" {
            let algorithm: Int =
                switch key {
                case .p256: -7
                case .ed25519: -8
                case .rsa: -257
                }
            statement = .map([(.text("alg"), int(algorithm)), (.text("sig"), .bytes(try sign(authData + Array(SHA256.hash(data: clientData)))))])
        }
        let object = cbor(.map([(.text("fmt"), .text(options.format)), (.text("attStmt"), statement), (.text("authData"), .bytes(authData))]))
        return (clientData, object)
    }

    /// `navigator.credentials.get`: client data JSON, authenticator data and signature; the counter moves on.
    public mutating func assert(
        challenge: [UInt8],
        _ options: Options = Options()
    ) throws -> (clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]) {
        counter += 1
        let clientData = Self.clientData(type: options.type ?? "webauthn.get", challenge: challenge, origin: options.origin)
        let authData = try authenticatorData(options, attested: false)
        return (clientData, authData, try sign(authData + Array(SHA256.hash(data: clientData))))
    }
}
