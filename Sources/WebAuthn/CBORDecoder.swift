/// Decodes CBOR from untrusted bytes within fixed bounds: nesting depth, items in all, and the
/// input's own length (a length field is checked against the bytes left before anything is
/// allocated). Indefinite lengths are refused: CTAP2 encodes canonically and never sends them.
/// Every failure is a ``WebAuthnError/malformedCBOR(_:)``; nothing traps.
public struct CBORDecoder: Sendable {
    public var maximumDepth = 16
    public var maximumItems = 4096

    public init() {}

    /// Decodes one item that must fill `bytes` exactly.
    public func decode(_ bytes: [UInt8]) throws(WebAuthnError) -> CBOR {
        let (item, used) = try decodePrefix(bytes[...])
        guard used == bytes.count else { throw .malformedCBOR("\(bytes.count - used) bytes after the item") }
        return item
    }

    /// Decodes the first item of `bytes`; returns it and how many bytes it took (the credential
    /// public key inside authenticator data is followed by other data).
    public func decodePrefix(_ bytes: ArraySlice<UInt8>) throws(WebAuthnError) -> (CBOR, Int) {
        var reader = Reader(bytes: bytes, limits: self)
        let item = try reader.item(depth: 0)
        return (item, reader.position - bytes.startIndex)
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        let limits: CBORDecoder
        var position: Int
        var items = 0

        init(bytes: ArraySlice<UInt8>, limits: CBORDecoder) {
            self.bytes = bytes
            self.limits = limits
            self.position = bytes.startIndex
        }

        var remaining: Int { bytes.endIndex - position }

        mutating func byte() throws(WebAuthnError) -> UInt8 {
            guard position < bytes.endIndex else { throw .malformedCBOR("truncated") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: UInt64) throws(WebAuthnError) -> ArraySlice<UInt8> {
            guard count <= UInt64(remaining) else { throw .malformedCBOR("a length of \(count) with \(remaining) bytes left") }
            let start = position
            position += Int(count)
            return bytes[start..<position]
        }

        /// The argument of a head: the additional information itself or the 1, 2, 4 or 8 bytes after it.
        mutating func argument(_ info: UInt8) throws(WebAuthnError) -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24...27:
                var value: UInt64 = 0
                for byte in try take(1 << (UInt64(info) - 24)) { value = value << 8 | UInt64(byte) }
                return value
            case 31: throw .malformedCBOR("indefinite length")
            default: throw .malformedCBOR("reserved additional information \(info)")
            }
        }

        mutating func item(depth: Int) throws(WebAuthnError) -> CBOR {
            guard depth <= limits.maximumDepth else { throw .malformedCBOR("nested deeper than \(limits.maximumDepth)") }
            items += 1
            guard items <= limits.maximumItems else { throw .malformedCBOR("more than \(limits.maximumItems) items") }
            let head = try byte()
            let major = head >> 5
            let info = head & 0x1F
            if major == 7 {
                return try simple(info)
            }
            let argument = try argument(info)
            switch major {
            case 0: return .unsigned(argument)
            case 1: return .negative(argument)
            case 2: return .bytes(Array(try take(argument)))
            case 3:
                guard let text = String(validating: try take(argument), as: UTF8.self) else { throw .malformedCBOR("text that is not UTF-8") }
                return .text(text)
            case 4:
                // Every item takes at least one byte: a count beyond the bytes left is a lie.
                guard argument <= UInt64(remaining) else { throw .malformedCBOR("an array of \(argument) with \(remaining) bytes left") }
                var elements: [CBOR] = []
                elements.reserveCapacity(Int(argument))
                for _ in 0..<argument { elements.append(try item(depth: depth + 1)) }
                return .array(elements)
            case 5:
                guard argument <= UInt64(remaining / 2) else { throw .malformedCBOR("a map of \(argument) with \(remaining) bytes left") }
                var pairs: [(key: CBOR, value: CBOR)] = []
                pairs.reserveCapacity(Int(argument))
                for _ in 0..<argument {
                    let key = try item(depth: depth + 1)
                    guard !pairs.contains(where: { $0.key == key }) else { throw .malformedCBOR("a map key twice") }
                    pairs.append((key, try item(depth: depth + 1)))
                }
                return .map(pairs)
            default:
                return .tagged(argument, try item(depth: depth + 1))
            }
        }

        mutating func simple(_ info: UInt8) throws(WebAuthnError) -> CBOR {
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 25, 26, 27:
                var bits: UInt64 = 0
                for byte in try take(1 << (UInt64(info) - 24)) { bits = bits << 8 | UInt64(byte) }
                return .float(bits)
            default: throw .malformedCBOR("simple value \(info)")
            }
        }
    }
}
