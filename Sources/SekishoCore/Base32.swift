/// RFC 4648 base32 (the alphabet authenticator apps use for TOTP keys).
///
/// Encoding is upper case without padding, because that is the form people type and
/// authenticator apps expect in an `otpauth://` URI. Decoding is lenient about what people
/// type (lower case, spaces, dashes, trailing `=`) and strict about everything else.
///
/// ```swift
/// Base32.encode(Array("foobar".utf8))  // "MZXW6YTBOI"
/// try Base32.decode("mzxw 6ytb oi======")  // Array("foobar".utf8)
/// ```
public enum Base32 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Maps an ASCII byte to its 5-bit value, or 0xFF when it is not in the alphabet (either case).
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in alphabet.enumerated() {
            table[Int(symbol)] = UInt8(value)
            if symbol >= UInt8(ascii: "A"), symbol <= UInt8(ascii: "Z") {
                table[Int(symbol | 0x20)] = UInt8(value)
            }
        }
        return table
    }()

    /// Encodes bytes as upper-case base32 without padding.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 8 / 5 + 1)
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                output.append(alphabet[Int((buffer >> UInt32(bitCount)) & 0x1F)])
            }
            buffer &= (1 << UInt32(bitCount)) - 1
        }
        if bitCount > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 0x1F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base32 text, accepting lower case, spaces, `-` separators and trailing `=` padding.
    ///
    /// - Throws: ``Base32Error`` for a character outside the alphabet, padding followed by data,
    ///   a length no byte string encodes to, or unused trailing bits that are not zero.
    public static func decode(_ string: String) throws(Base32Error) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        var symbolCount = 0
        var seenPadding = false
        for (offset, byte) in string.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "-"):
                continue
            case UInt8(ascii: "="):
                seenPadding = true
                continue
            default:
                break
            }
            let value = decodeTable[Int(byte)]
            guard value != 0xFF else { throw .invalidCharacter(offset: offset) }
            // Padding is only allowed at the end; data after it means two values glued together.
            guard !seenPadding else { throw .dataAfterPadding }
            buffer = (buffer << 5) | UInt32(value)
            bitCount += 5
            symbolCount += 1
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bitCount)))
                buffer &= (1 << UInt32(bitCount)) - 1
            }
        }
        // A final group of 1, 3 or 6 symbols cannot come from any byte count.
        switch symbolCount % 8 {
        case 1, 3, 6: throw .invalidLength(symbols: symbolCount)
        default: break
        }
        // Leftover bits must be zero, or two different strings would decode to the same bytes.
        guard buffer == 0 else { throw .nonZeroTrailingBits }
        return output
    }
}

/// Why a string could not be decoded as base32.
public enum Base32Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// A byte outside the base32 alphabet (and not a space, `-` or `=`), at this UTF-8 offset.
    case invalidCharacter(offset: Int)
    /// Symbols after `=` padding.
    case dataAfterPadding
    /// This many symbols is not a length any byte string encodes to.
    case invalidLength(symbols: Int)
    /// Unused bits at the end are not zero, so the text is not a canonical encoding.
    case nonZeroTrailingBits

    public var description: String {
        switch self {
        case .invalidCharacter(let offset): "base32: invalid character at byte offset \(offset)"
        case .dataAfterPadding: "base32: data after '=' padding"
        case .invalidLength(let count): "base32: \(count) symbols is not a valid length"
        case .nonZeroTrailingBits: "base32: unused trailing bits are not zero"
        }
    }
}
