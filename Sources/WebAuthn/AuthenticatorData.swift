/// The authenticator data of a ceremony (WebAuthn §6.1): the RP ID hash, flags, the signature
/// counter and, at registration, the new credential's ID and public key.
public struct AuthenticatorData: Sendable {
    public let rpIDHash: [UInt8]
    public let flags: UInt8
    public let signCount: UInt32
    /// Present when the AT flag is set (registration).
    public let credential: AttestedCredential?

    public struct AttestedCredential: Sendable {
        public let aaguid: [UInt8]
        public let id: [UInt8]
        public let publicKey: COSEKey
        /// The key as the authenticator encoded it: what a server stores.
        public let publicKeyCBOR: [UInt8]
    }

    public var userPresent: Bool { flags & 0x01 != 0 }
    public var userVerified: Bool { flags & 0x04 != 0 }
    public var backupEligible: Bool { flags & 0x08 != 0 }
    public var backedUp: Bool { flags & 0x10 != 0 }
    private var hasCredential: Bool { flags & 0x40 != 0 }
    private var hasExtensions: Bool { flags & 0x80 != 0 }

    /// Credential IDs are at most 1023 bytes (WebAuthn §5.8.3).
    public static let maximumCredentialIDLength = 1023

    public init(_ bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37 else { throw .malformedAuthenticatorData("\(bytes.count) bytes, at least 37 expected") }
        rpIDHash = Array(bytes[0..<32])
        flags = bytes[32]
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var position = 37
        if flags & 0x40 != 0 {
            guard bytes.count >= position + 18 else { throw .malformedAuthenticatorData("attested credential data truncated") }
            let aaguid = Array(bytes[position..<position + 16])
            let length = Int(bytes[position + 16]) << 8 | Int(bytes[position + 17])
            position += 18
            guard length >= 1, length <= Self.maximumCredentialIDLength, bytes.count >= position + length else {
                throw .malformedAuthenticatorData("credential ID of \(length) bytes")
            }
            let id = Array(bytes[position..<position + length])
            position += length
            let (key, used) = try CBORDecoder().decodePrefix(bytes[position...])
            credential = AttestedCredential(
                aaguid: aaguid,
                id: id,
                publicKey: try COSEKey(key),
                publicKeyCBOR: Array(bytes[position..<position + used])
            )
            position += used
        } else {
            credential = nil
        }
        if flags & 0x80 != 0 {
            // Extensions are not used; they must still be one well-formed map.
            let (extensions, used) = try CBORDecoder().decodePrefix(bytes[position...])
            guard case .map = extensions else { throw .malformedAuthenticatorData("extensions are not a map") }
            position += used
        }
        guard position == bytes.count else { throw .malformedAuthenticatorData("\(bytes.count - position) bytes left over") }
    }
}
