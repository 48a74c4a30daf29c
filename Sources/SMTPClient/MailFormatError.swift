/// A mail message, address or header that cannot be rendered safely.
///
/// Raised before anything reaches the network: a value with CR, LF or NUL would let the
/// caller's input add headers or end the message early (header injection), so it is refused.
public struct MailFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case forbiddenCharacter(field: String)
        case invalidAddress(String)
        case invalidHeaderName(String)
        case reservedHeader(String)
        case noRecipients
        case invalidDomain(String)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// A field contained CR, LF, NUL or another control character.
    public static func forbiddenCharacter(field: String) -> Self { Self(.forbiddenCharacter(field: field)) }
    /// An address is not of the form `local@domain` (one `@`, no spaces, brackets or controls).
    public static func invalidAddress(_ address: String) -> Self { Self(.invalidAddress(address)) }
    /// An extra header's name is empty or contains characters other than printable ASCII without `:`.
    public static func invalidHeaderName(_ name: String) -> Self { Self(.invalidHeaderName(name)) }
    /// An extra header would replace one the renderer writes itself (From, To, Subject, Date, ...).
    public static func reservedHeader(_ name: String) -> Self { Self(.reservedHeader(name)) }
    /// The message has no recipients.
    public static var noRecipients: Self { Self(.noRecipients) }
    /// The Message-ID domain or an explicit Message-ID is not usable.
    public static func invalidDomain(_ domain: String) -> Self { Self(.invalidDomain(domain)) }

    public var description: String {
        switch self.base {
        case .forbiddenCharacter(let field):
            return "mail \(field) contains a line break, NUL or another control character"
        case .invalidAddress(let address):
            return "invalid mail address \(Self.printable(address))"
        case .invalidHeaderName(let name):
            return "invalid mail header name \(Self.printable(name))"
        case .reservedHeader(let name):
            return "header \(name) is written by the mail renderer and cannot be given as an extra header"
        case .noRecipients:
            return "mail has no recipients"
        case .invalidDomain(let domain):
            return "invalid Message-ID or Message-ID domain \(Self.printable(domain))"
        }
    }

    /// Quotes a value for an error message with control characters made visible, so logs cannot be forged.
    private static func printable(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
