/// A mail address with an optional display name, checked when it is made.
///
/// Validation is deliberately loose (exactly one `@`, non-empty parts, no whitespace, angle brackets,
/// quotes, commas or control characters): enough to keep the address from breaking the header or the
/// SMTP envelope, without second-guessing the mail server.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The bare address, `local@domain`.
    public let address: String
    /// The display name, if any.
    public let name: String?

    /// Makes an address.
    ///
    /// - Parameters:
    ///   - address: `local@domain`, ASCII only.
    ///   - name: An optional display name; any Unicode except control characters.
    /// - Throws: ``MailFormatError`` when the address is malformed or either part contains CR, LF or NUL.
    public init(address: String, name: String? = nil) throws(MailFormatError) {
        if address.unicodeScalars.contains(where: Self.isControl) {
            throw .forbiddenCharacter(field: "address")
        }
        if let name, name.unicodeScalars.contains(where: Self.isControl) {
            throw .forbiddenCharacter(field: "display name")
        }
        guard Self.isValidAddress(address) else {
            throw .invalidAddress(address)
        }
        self.address = address
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        if let name {
            return "\(name) <\(self.address)>"
        }
        return self.address
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
            || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    private static let forbiddenInAddress: Set<Unicode.Scalar> = [" ", "\t", "<", ">", "\"", ",", ";", ":", "(", ")", "[", "]", "\\"]

    private static func isValidAddress(_ address: String) -> Bool {
        let scalars = address.unicodeScalars
        guard scalars.count <= 254, scalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            return false
        }
        guard !scalars.contains(where: { Self.forbiddenInAddress.contains($0) }) else {
            return false
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].utf8.count <= 64 else {
            return false
        }
        let domain = parts[1]
        return !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }
}
