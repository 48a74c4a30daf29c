import Crypto

/// Authenticated encryption (AES-256-GCM) for secrets stored in the database.
///
/// Sealed values carry their own random nonce and are bound to a ``SealContext``, so they can be
/// stored as one blob and cannot be moved to another row. The same master key also derives
/// purpose-specific subkeys, so one key file serves every use without reusing a key across purposes.
///
/// ```swift
/// let box = try SecretBox(keyBytes: keyFileBytes)
/// let context = SealContext(table: "totp_binding", column: "sealed_secret", rowID: id)
/// let sealed = try box.seal(secret, context: context)
/// let secret = try box.open(sealed, context: context)
/// ```
public struct SecretBox: Sendable {
    /// Size of the random nonce at the start of a sealed value.
    public static let nonceByteCount = 12
    /// Size of the authentication tag at the end of a sealed value.
    public static let tagByteCount = 16
    /// Size of a key in bytes.
    public static let keyByteCount = 32

    /// Kept as bytes because `SymmetricKey` is not `Sendable` in swift-crypto 3.
    private let keyBytes: [UInt8]

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Creates a box for a 256-bit key.
    public init(key: SymmetricKey) {
        precondition(key.bitCount == 256, "SecretBox needs a 256-bit key, got \(key.bitCount) bits")
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// Creates a box from raw key bytes, such as the content of the key file.
    ///
    /// - Throws: ``SecretBoxError`` when the key is not exactly 32 bytes.
    public init(keyBytes: [UInt8]) throws(SecretBoxError) {
        guard keyBytes.count == Self.keyByteCount else { throw .invalidKeyLength(keyBytes.count) }
        self.init(key: SymmetricKey(data: keyBytes))
    }

    /// Encrypts and authenticates plaintext for one database cell.
    ///
    /// - Returns: nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). A fresh random nonce each time,
    ///   so sealing the same plaintext twice gives different output.
    public func seal(_ plaintext: [UInt8], context: SealContext) throws(SecretBoxError) -> [UInt8] {
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: context.associatedData)
        } catch {
            throw .sealFailed
        }
        guard let combined = box.combined else { throw .sealFailed }
        return Array(combined)
    }

    /// Decrypts a sealed value, checking that it was sealed with this key for this exact context.
    ///
    /// - Throws: ``SecretBoxError/truncated(_:)`` when the input is shorter than a nonce and a tag,
    ///   ``SecretBoxError/authenticationFailed`` when it was altered, sealed with another key, or
    ///   sealed for another table, column or row.
    public func open(_ sealed: [UInt8], context: SealContext) throws(SecretBoxError) -> [UInt8] {
        guard sealed.count >= Self.nonceByteCount + Self.tagByteCount else { throw .truncated(sealed.count) }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: context.associatedData))
        } catch {
            throw .authenticationFailed
        }
    }

    /// A 256-bit key for one purpose, derived from the master key with HKDF-SHA256.
    ///
    /// - Parameter purpose: A fixed name such as `"recovery-codes"`; the HKDF info is
    ///   `"sekisho/" + purpose`, so different purposes get independent keys.
    public func subkey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("sekisho/\(purpose)".utf8), outputByteCount: Self.keyByteCount)
    }
}

/// Why a value could not be sealed or opened.
public enum SecretBoxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key is not 32 bytes.
    case invalidKeyLength(Int)
    /// The sealed value has only this many bytes, fewer than a nonce and a tag.
    case truncated(Int)
    /// The value was altered, sealed with another key, or sealed for another context.
    case authenticationFailed
    /// Encryption failed inside the crypto library (not expected with a valid key).
    case sealFailed

    public var description: String {
        switch self {
        case .invalidKeyLength(let count): "secret box: key must be 32 bytes, got \(count)"
        case .truncated(let count): "secret box: sealed value is \(count) bytes, shorter than nonce and tag (28)"
        case .authenticationFailed: "secret box: authentication failed (wrong key, altered data or wrong row)"
        case .sealFailed: "secret box: sealing failed"
        }
    }
}
