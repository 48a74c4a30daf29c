#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address range such as `10.0.0.0/8` or `fd00::/8`; a bare address is a range of one.
///
/// Used for `server.trusted_proxies`: only peers inside one of these ranges may tell Sekisho the
/// client's address and the original URL through `X-Forwarded-*` headers.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// The network address, 4 or 16 bytes, with the host bits cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address; nil for anything else (also for host bits set
    /// beyond the prefix being fine: `10.1.2.3/8` means `10.0.0.0/8`).
    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let bytes = Self.parseAddress(String(first)) else { return nil }
        let maximum = bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            // Only plain decimal digits: Int("+8") would also parse.
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(parts[1]),
                value <= maximum
            else { return nil }
            length = value
        }
        network = Self.mask(bytes, prefixLength: length)
        prefixLength = length
    }

    /// Whether `address` (textual, IPv4 or IPv6) lies in this range. An IPv4 address written as
    /// IPv6 (`::ffff:10.1.2.3`, as dual-stack sockets report it) matches IPv4 ranges.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.parseAddress(address) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether the 4- or 16-byte address lies in this range.
    public func contains(bytes: [UInt8]) -> Bool {
        guard bytes.count == network.count else { return false }
        return Self.mask(bytes, prefixLength: prefixLength) == network
    }

    public var description: String { "\(Self.format(network))/\(prefixLength)" }

    /// Whether `address` lies in any of `ranges`.
    public static func any(_ ranges: [CIDR], contains address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = parseAddress(address) else { return false }
        return ranges.contains { $0.contains(bytes: bytes) }
    }

    /// The bytes of a textual address: 4 for IPv4, 16 for IPv6, 4 for an IPv4-mapped IPv6
    /// address. A zone (`fe80::1%eth0`) and brackets (`[::1]`) are ignored. nil when it is not an address.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        var text = text.trimmingWhitespace()
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        guard !text.isEmpty, text.count <= 45, text.allSatisfy({ $0.isASCII }) else { return nil }
        if !text.contains(":") {
            var address = in_addr()
            guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &address) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return Array(bytes[12..<16])
        }
        return bytes
    }

    private static func mask(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bitsInThisByte = min(max(prefixLength - index * 8, 0), 8)
            return bitsInThisByte == 0 ? 0 : byte & ~UInt8(truncatingIfNeeded: 0xFF >> bitsInThisByte)
        }
    }

    private static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in raw.copyBytes(from: bytes) }
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (no Foundation needed).
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
