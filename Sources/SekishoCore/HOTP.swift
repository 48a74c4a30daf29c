import Crypto

/// HMAC-based one-time passwords (RFC 4226), the building block of ``TOTP``.
///
/// ```swift
/// let hotp = HOTP(secret: Array("12345678901234567890".utf8))
/// hotp.code(counter: 0)  // "755224"
/// ```
public struct HOTP: Sendable {
    /// The hash function used for the HMAC.
    public let algorithm: OTPAlgorithm
    /// The number of decimal digits in a code, 6 to 8.
    public let digits: Int

    /// Kept as bytes because `SymmetricKey` is not `Sendable` in swift-crypto 3.
    private let secret: [UInt8]

    /// Creates a generator for a shared secret.
    ///
    /// - Parameters:
    ///   - secret: The shared key bytes (not base32 text).
    ///   - algorithm: The HMAC hash function; SHA-1 is what most authenticator apps assume.
    ///   - digits: Code length, 6...8. More digits would exceed the 31 bits the truncation yields.
    public init(secret: [UInt8], algorithm: OTPAlgorithm = .sha1, digits: Int = 6) {
        precondition((6...8).contains(digits), "HOTP digits must be 6...8, got \(digits)")
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
    }

    /// The code for a counter value, zero-padded to ``digits``.
    public func code(counter: UInt64) -> String {
        let truncated = Self.dynamicTruncation(of: mac(counter: counter))
        let modulus: UInt32 = digits == 6 ? 1_000_000 : digits == 7 ? 10_000_000 : 100_000_000
        let value = String(truncated % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The HMAC of the counter as an 8-byte big-endian integer (RFC 4226 section 5.2).
    private func mac(counter: UInt64) -> [UInt8] {
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let key = SymmetricKey(data: secret)
        switch algorithm {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }

    /// RFC 4226 section 5.3: 31 bits read at an offset given by the low nibble of the last byte.
    private static func dynamicTruncation(of mac: [UInt8]) -> UInt32 {
        let offset = Int(mac[mac.count - 1] & 0x0F)
        return (UInt32(mac[offset] & 0x7F) << 24)
            | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
    }
}
