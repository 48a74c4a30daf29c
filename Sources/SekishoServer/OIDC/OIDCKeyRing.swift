import Crypto
import CryptoExtras
import Foundation
import JWTKit
import SekishoCore
import SekishoStore

/// The keys that sign ID tokens: one RS256 and one ES256 key in use, and the keys retired within
/// ``retiredKeyPublication`` still published in the JWKS so that tokens they signed can be checked.
///
/// Keys are made when first needed (the first JWKS or token request), sealed with the key file
/// like the TOTP secrets, and read from the store, so every instance signs with the same keys; a
/// rotation made at the console reaches running instances within ``reloadInterval``. Not at every
/// start: an RSA key costs about half a second of CPU here, which every test that builds the
/// server would pay, and installations without OpenID clients never need one.
actor OIDCKeyRing {
    /// How long a retired key stays in the JWKS: longer than any ID token lives (lifetimes are
    /// capped at a day) plus the reload interval of the other instances.
    static let retiredKeyPublication: TimeInterval = 86_400 + 2 * reloadInterval
    static let reloadInterval: TimeInterval = 60

    private let store: any Store
    private let box: SecretBox
    private let clock: any WallClock
    private var loadedAt: Date?
    private var signers = JWTKeyCollection()
    private var current: [OIDCClient.SigningAlgorithm: String] = [:]
    private var jwks: [[String: String]] = []

    init(store: any Store, box: SecretBox, clock: any WallClock) {
        self.store = store
        self.box = box
        self.clock = clock
    }

    /// Makes the keys that do not exist yet and loads them.
    func prepare() async throws {
        let now = clock.now()
        let existing = try await store.oidcSigningKeys(retiredAfter: now)
        for algorithm in OIDCClient.SigningAlgorithm.allCases where !existing.contains(where: { $0.algorithm == algorithm && $0.retiredAt == nil }) {
            // Another instance starting at the same moment may win; its key is then the one used.
            _ = try await store.addOIDCSigningKeyIfNone(try Self.generate(algorithm, box: box, at: now), effects: .none)
        }
        try await reload(at: now)
    }

    /// Replaces the key of every algorithm with a new one; the old ones stay published.
    static func rotate(store: any Store, box: SecretBox, at now: Date, actor: NewAuditEvent) async throws -> [OIDCSigningKey] {
        var made: [OIDCSigningKey] = []
        for algorithm in OIDCClient.SigningAlgorithm.allCases {
            let key = try generate(algorithm, box: box, at: now)
            var event = actor
            event.detail = "\(algorithm.rawValue) kid \(key.kid)"
            try await store.rotateOIDCSigningKey(to: key, effects: SideEffects(audit: [event]))
            made.append(key)
        }
        return made
    }

    /// Signs `payload` with the current key of `algorithm`.
    func sign(_ payload: some JWTPayload, algorithm: OIDCClient.SigningAlgorithm) async throws -> String {
        try await reloadIfStale()
        guard let kid = current[algorithm] else { throw OIDCKeyError("no \(algorithm.rawValue) signing key") }
        var header = JWTHeader()
        header.typ = "JWT"
        return try await signers.sign(payload, kid: JWKIdentifier(string: kid), header: header)
    }

    /// Checks a token we signed (an `id_token_hint`) with the published keys, whatever its age.
    func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        try await reloadIfStale()
        return try await signers.verify(token, as: Payload.self)
    }

    /// The JWKS document (RFC 7517): public keys only.
    func publishedKeySet() async throws -> [String: [[String: String]]] {
        try await reloadIfStale()
        return ["keys": jwks]
    }

    private func reloadIfStale() async throws {
        let now = clock.now()
        if let loadedAt, now.timeIntervalSince(loadedAt) < Self.reloadInterval, now >= loadedAt { return }
        try await reload(at: now)
        if current.count < OIDCClient.SigningAlgorithm.allCases.count {
            try await prepare()
        }
    }

    private func reload(at now: Date) async throws {
        let keys = try await store.oidcSigningKeys(retiredAfter: now.addingTimeInterval(-Self.retiredKeyPublication))
        let collection = JWTKeyCollection()
        var current: [OIDCClient.SigningAlgorithm: String] = [:]
        var published: [[String: String]] = []
        for key in keys {
            let context = SealContext(table: "oidc_signing_key", column: "sealed_private_key", rowID: key.kid)
            let pem = String(decoding: try box.open(Array(key.sealedPrivateKey), context: context), as: UTF8.self)
            let kid = JWKIdentifier(string: key.kid)
            switch key.algorithm {
            case .rs256:
                let privateKey = try JWTKit.Insecure.RSA.PrivateKey(pem: pem)
                await collection.add(rsa: privateKey, digestAlgorithm: .sha256, kid: kid)
                let primitives = try privateKey.publicKey.getKeyPrimitives()
                published.append([
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": key.kid,
                    "n": OpaqueToken.base64URLEncode(Array(primitives.modulus)),
                    "e": OpaqueToken.base64URLEncode(Array(primitives.publicExponent)),
                ])
            case .es256:
                let privateKey = try ES256PrivateKey(pem: pem)
                await collection.add(ecdsa: privateKey, kid: kid)
                guard let (x, y) = privateKey.parameters else { throw OIDCKeyError("no parameters for EC key \(key.kid)") }
                published.append(["kty": "EC", "use": "sig", "alg": "ES256", "kid": key.kid, "crv": "P-256", "x": x, "y": y])
            }
            if key.retiredAt == nil { current[key.algorithm] = key.kid }
        }
        signers = collection
        self.current = current
        jwks = published
        loadedAt = now
    }

    /// A new key of `algorithm`, its private part sealed for its row.
    static func generate(_ algorithm: OIDCClient.SigningAlgorithm, box: SecretBox, at now: Date) throws -> OIDCSigningKey {
        try sealed(try newPrivateKeyPEM(algorithm), algorithm, box: box, at: now)
    }

    /// A new private key in PEM.
    static func newPrivateKeyPEM(_ algorithm: OIDCClient.SigningAlgorithm) throws -> String {
        switch algorithm {
        case .rs256: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        case .es256: P256.Signing.PrivateKey().pemRepresentation
        }
    }

    /// `pem` as a signing key row with a new kid, its private part sealed for that row.
    static func sealed(_ pem: String, _ algorithm: OIDCClient.SigningAlgorithm, box: SecretBox, at now: Date) throws -> OIDCSigningKey {
        // 96 random bits name the key: unique without coordination between instances.
        let kid = String(OpaqueToken.generate().value.prefix(16))
        let context = SealContext(table: "oidc_signing_key", column: "sealed_private_key", rowID: kid)
        let sealed = try box.seal(Array(pem.utf8), context: context)
        return OIDCSigningKey(kid: kid, algorithm: algorithm, sealedPrivateKey: Data(sealed), createdAt: now)
    }
}

/// A signing key that cannot be used (missing, or not opened by this key file).
struct OIDCKeyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
