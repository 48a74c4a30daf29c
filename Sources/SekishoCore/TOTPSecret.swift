/// Generates the random shared keys behind TOTP bindings.
///
/// 15 bytes encode to exactly 24 base32 characters with no padding, the key length users are
/// shown on the enrollment page; 20 bytes (32 characters) is RFC 4226's recommended length.
public enum TOTPSecret {
    /// The default key length in bytes (24 base32 characters).
    public static let defaultByteCount = 15

    /// Generates a key from the given random number generator.
    ///
    /// - Parameter byteCount: Key length in bytes, 10...64 (RFC 4226 requires at least 128 bits
    ///   and recommends 160; configuration offers 15 or 20).
    public static func generate<R: RandomNumberGenerator>(byteCount: Int = defaultByteCount, using rng: inout R) -> [UInt8] {
        precondition((10...64).contains(byteCount), "TOTP secret length must be 10...64 bytes, got \(byteCount)")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount + 7)
        while bytes.count < byteCount {
            withUnsafeBytes(of: rng.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(byteCount))
    }

    /// Generates a key from the system's cryptographically secure generator (`getrandom` on Linux).
    public static func generate(byteCount: Int = defaultByteCount) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return generate(byteCount: byteCount, using: &rng)
    }
}
