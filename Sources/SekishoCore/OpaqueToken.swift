import Crypto

/// A 256-bit random bearer token (reset links, session ids, API tokens) in URL-safe text.
///
/// Only ``hash`` is stored, so a leaked database cannot be used to follow a reset link or
/// take over a session.
///
/// ```swift
/// let token = OpaqueToken.generate()
/// store(tokenHash: token.hash)  // send token.value to the user
/// // later: lookup(tokenHash: OpaqueToken.hash(submitted))
/// ```
public struct OpaqueToken: Sendable {
    /// 32 random bytes as base64url without padding: 43 characters of `A-Z a-z 0-9 - _`.
    public let value: String

    private static let byteCount = 32
    private static let textLength = 43
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private init(value: String) {
        self.value = value
    }

    /// Generates a token from the system's cryptographically secure generator.
    public static func generate() -> OpaqueToken {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    /// Generates a token from the given random number generator (deterministic generators are for tests).
    public static func generate<R: RandomNumberGenerator>(using rng: inout R) -> OpaqueToken {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount)
        while bytes.count < byteCount {
            withUnsafeBytes(of: rng.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return OpaqueToken(value: base64URLEncode(bytes))
    }

    /// The lower-case hex SHA-256 of ``value``: what the database stores.
    public var hash: String {
        Self.hash(value)
    }

    /// The lower-case hex SHA-256 of a token's UTF-8 text, for looking up a submitted token.
    public static func hash(_ value: String) -> String {
        var utf8 = value
        let digest = utf8.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        // Written straight into the string's storage: forward auth hashes a cookie per request.
        return String(unsafeUninitializedCapacity: 2 * SHA256.byteCount) { buffer in
            var index = 0
            for byte in digest {
                buffer[index] = hexDigits[Int(byte >> 4)]
                buffer[index + 1] = hexDigits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// For each byte, its index in ``alphabet``, or -1: a table rather than a search per character.
    private static let alphabetIndex: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// Whether text has the shape of a token: 43 base64url characters encoding exactly 32 bytes.
    ///
    /// Checking the shape first lets callers refuse junk without a database lookup. The last
    /// character carries 2 unused bits, which must be zero as the encoder writes them.
    public static func isWellFormed(_ value: String) -> Bool {
        guard value.utf8.count == textLength else { return false }
        var lastValue: Int8 = 0
        for byte in value.utf8 {
            lastValue = alphabetIndex[Int(byte)]
            guard lastValue >= 0 else { return false }
        }
        return lastValue & 0b11 == 0
    }

    /// base64url without padding (RFC 4648 §5), the encoding of tokens; also for MACs in URLs and forms.
    public static func base64URLEncode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group: UInt32 = 0
            for (position, byte) in chunk.enumerated() {
                group |= UInt32(byte) << UInt32(16 - 8 * position)
            }
            // 1 byte gives 2 characters, 2 bytes give 3, 3 bytes give 4; no '=' padding.
            for position in 0...chunk.count {
                output.append(alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
