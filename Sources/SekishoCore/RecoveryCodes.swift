import Crypto

/// One-time recovery codes: 8-digit numbers a user can type instead of a TOTP code.
///
/// Codes are stored only as keyed hashes. With 10^8 possible codes a plain hash could be
/// reversed by trying them all; keying the HMAC with a secret from the key file means a leaked
/// database alone reveals nothing.
public enum RecoveryCodes {
    /// How many codes one set contains.
    public static let count = 10
    /// How many digits each code has.
    public static let digits = 8

    private static let codeSpace: UInt64 = 100_000_000

    /// Generates a set of distinct codes, each uniform over all 8-digit strings (leading zeros kept).
    public static func generate<R: RandomNumberGenerator>(using rng: inout R) -> [String] {
        var codes: [String] = []
        var seen: Set<UInt64> = []
        while codes.count < count {
            let value = uniformCode(using: &rng)
            guard seen.insert(value).inserted else { continue }
            let text = String(value)
            codes.append(String(repeating: "0", count: digits - text.count) + text)
        }
        return codes
    }

    /// Generates a set of codes from the system's cryptographically secure generator.
    public static func generate() -> [String] {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    /// Turns what a user typed into the canonical 8 digits, or `nil` if it cannot be a code
    /// (see ``CodeInput`` for what is removed and mapped).
    public static func normalize(_ input: String) -> String? {
        CodeInput.digits(input, maximumCount: digits).flatMap { $0.count == digits ? $0 : nil }
    }

    /// The lower-case hex HMAC-SHA256 of a code, as stored in the database.
    ///
    /// The code is normalized first, so `1234-5678` and `12345678` hash alike. Input that is not a
    /// code is hashed as given; it can never equal the hash of a generated code.
    ///
    /// - Parameter key: A secret key, e.g. `SecretBox.subkey(purpose: "recovery-codes")`.
    public static func hash(_ code: String, key: SymmetricKey) -> String {
        let canonical = normalize(code) ?? code
        let mac = HMAC<SHA256>.authenticationCode(for: Array(canonical.utf8), using: key)
        return mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    /// A uniform value in 0..<10^8 by rejection sampling: values from the incomplete last block of
    /// 10^8 are drawn again, so no code is more likely than another (no modulo bias).
    private static func uniformCode<R: RandomNumberGenerator>(using rng: inout R) -> UInt64 {
        let limit = (UInt64.max / codeSpace) * codeSpace
        while true {
            let value: UInt64 = rng.next()
            if value < limit { return value % codeSpace }
        }
    }
}
