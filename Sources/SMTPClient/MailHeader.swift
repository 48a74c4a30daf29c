/// An additional header for a ``MailMessage``, such as `Auto-Submitted` or `X-Sekisho-Event`.
public struct MailHeader: Sendable, Hashable {
    /// The header name, printable ASCII without `:`.
    public var name: String
    /// The header value; non-ASCII text is written as RFC 2047 encoded words.
    public var value: String

    /// Makes a header; it is validated when the message is rendered.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
