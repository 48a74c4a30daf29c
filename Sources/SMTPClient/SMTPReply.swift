/// A complete SMTP reply: a three-digit code and one or more text lines (RFC 5321 section 4.2).
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The reply code, e.g. 250.
    public var code: Int
    /// The text of each line without the code and separator; control characters replaced by `?`.
    public var lines: [String]

    /// Makes a reply.
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The text lines joined by newlines.
    public var text: String { self.lines.joined(separator: "\n") }

    /// 2xx: the command succeeded.
    public var isPositiveCompletion: Bool { (200..<300).contains(self.code) }
    /// 3xx: the server waits for more (354 after DATA, 334 during AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(self.code) }
    /// 4xx: a temporary failure; the same command may succeed later.
    public var isTransientNegative: Bool { (400..<500).contains(self.code) }
    /// 5xx: a permanent failure.
    public var isPermanentNegative: Bool { (500..<600).contains(self.code) }

    /// The reply as one line, e.g. `250 2.0.0 OK queued as 1234`.
    public var description: String {
        self.lines.isEmpty ? "\(self.code)" : "\(self.code) \(self.lines.joined(separator: " "))"
    }
}

/// Assembles ``SMTPReply`` values from reply lines, enforcing the multi-line format (`250-...` then `250 ...`).
struct SMTPReplyParser {
    /// Longer lines or replies than these are refused, so a hostile server cannot make the client buffer without limit.
    static let maximumLineLength = 4096
    static let maximumLineCount = 128

    private var code: Int?
    private var lines: [String] = []

    /// Whether some lines of an unfinished reply are held.
    var hasPartialReply: Bool { self.code != nil }

    /// Feeds one line (without CRLF); returns a reply when the line completes one.
    mutating func feed(line: some Collection<UInt8>) throws(SMTPError) -> SMTPReply? {
        let bytes = Array(line)
        guard bytes.count >= 3, bytes.count <= Self.maximumLineLength,
            bytes[0] >= UInt8(ascii: "2"), bytes[0] <= UInt8(ascii: "5"),
            bytes[1] >= UInt8(ascii: "0"), bytes[1] <= UInt8(ascii: "9"),
            bytes[2] >= UInt8(ascii: "0"), bytes[2] <= UInt8(ascii: "9")
        else {
            throw .protocolViolation("malformed reply line \(Self.sanitize(bytes.prefix(80)).debugDescription)")
        }
        let code = Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
        let isLast: Bool
        if bytes.count == 3 {
            isLast = true
        } else if bytes[3] == UInt8(ascii: " ") {
            isLast = true
        } else if bytes[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw .protocolViolation("malformed reply line \(Self.sanitize(bytes.prefix(80)).debugDescription)")
        }
        if let expected = self.code, expected != code {
            throw .protocolViolation("reply code changed from \(expected) to \(code) within a multi-line reply")
        }
        self.code = code
        self.lines.append(bytes.count > 4 ? Self.sanitize(bytes[4...]) : "")
        guard self.lines.count <= Self.maximumLineCount else {
            throw .protocolViolation("reply has more than \(Self.maximumLineCount) lines")
        }
        guard isLast else {
            return nil
        }
        let reply = SMTPReply(code: code, lines: self.lines)
        self.code = nil
        self.lines = []
        return reply
    }

    /// Decodes reply text as UTF-8 with control characters replaced, so server text is safe to log and show.
    private static func sanitize(_ bytes: some Collection<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return String(String.UnicodeScalarView(text.unicodeScalars.map { MailAddress.isControl($0) ? "?" : $0 }))
    }
}
