import Foundation

extension MailMessage {
    /// Headers this renderer writes itself; an extra header with one of these names is refused.
    private static let reservedHeaderNames: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding",
    ]

    /// Renders the message as RFC 5322 text with CRLF line ends, ready for SMTP `DATA` (before dot-stuffing).
    ///
    /// - Parameter messageIDDomain: The domain of a generated Message-ID (`<random@domain>`).
    /// - Throws: ``MailFormatError`` when a header value contains CR, LF, NUL or another control character,
    ///   a header name is invalid or reserved, or there are no recipients.
    public func rendered(messageIDDomain: String) throws(MailFormatError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return try self.rendered(messageIDDomain: messageIDDomain, using: &generator)
    }

    /// Renders the message, drawing the Message-ID and MIME boundary from `generator` (for reproducible tests).
    public func rendered(
        messageIDDomain: String,
        using generator: inout some RandomNumberGenerator
    ) throws(MailFormatError) -> [UInt8] {
        try self.validate()
        var text = ""
        text += "From: \(Self.render(self.from))\r\n"
        text += "To: \(self.to.map(Self.render).joined(separator: ",\r\n "))\r\n"
        text += "Subject: \(MIMEHeaderEncoding.unstructured(self.subject, headerName: "Subject"))\r\n"
        text += "Date: \(RFC5322Date.format(self.date))\r\n"
        text += "Message-ID: \(try self.resolvedMessageID(domain: messageIDDomain, using: &generator))\r\n"
        text += "MIME-Version: 1.0\r\n"
        for header in self.extraHeaders {
            text += "\(header.name): \(MIMEHeaderEncoding.unstructured(header.value, headerName: header.name))\r\n"
        }
        if let htmlBody {
            let boundary = "=_" + Self.randomHex(byteCount: 16, using: &generator)
            // "=_" can never occur in quoted-printable output, so the boundary cannot collide with a part.
            text += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
            // The CRLF before each delimiter belongs to the delimiter (RFC 2046 section 5.1.1), so a part's own
            // final line break survives only with one more CRLF after it.
            text += "--\(boundary)\r\n"
            text += Self.part(contentType: "text/plain", body: self.textBody) + "\r\n"
            text += "--\(boundary)\r\n"
            text += Self.part(contentType: "text/html", body: htmlBody) + "\r\n"
            text += "--\(boundary)--\r\n"
        } else {
            text += Self.part(contentType: "text/plain", body: self.textBody)
            if !text.hasSuffix("\r\n") {
                // SMTP DATA ends with a line break; the body gains a final newline at most.
                text += "\r\n"
            }
        }
        return Array(text.utf8)
    }

    private static func part(contentType: String, body: String) -> String {
        "Content-Type: \(contentType); charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + QuotedPrintable.encode(body)
    }

    private func validate() throws(MailFormatError) {
        guard !self.to.isEmpty else {
            throw .noRecipients
        }
        // Addresses were checked when made, but the fields are `var`, so check everything that reaches a header again.
        for address in [self.from] + self.to {
            _ = try MailAddress(address: address.address, name: address.name)
        }
        if self.subject.unicodeScalars.contains(where: MailAddress.isControl) {
            throw .forbiddenCharacter(field: "subject")
        }
        for header in self.extraHeaders {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: ":") }) else {
                if header.name.unicodeScalars.contains(where: MailAddress.isControl) {
                    throw .forbiddenCharacter(field: "header name")
                }
                throw .invalidHeaderName(header.name)
            }
            if Self.reservedHeaderNames.contains(header.name.lowercased()) {
                throw .reservedHeader(header.name)
            }
            if header.value.unicodeScalars.contains(where: MailAddress.isControl) {
                throw .forbiddenCharacter(field: "header \(header.name)")
            }
        }
    }

    private static func render(_ address: MailAddress) -> String {
        guard let name = address.name else {
            return address.address
        }
        return "\(MIMEHeaderEncoding.phrase(name)) <\(address.address)>"
    }

    private func resolvedMessageID(domain: String, using generator: inout some RandomNumberGenerator) throws(MailFormatError) -> String {
        if let messageID = self.messageID {
            var bare = Substring(messageID)
            if bare.hasPrefix("<"), bare.hasSuffix(">"), bare.count >= 2 {
                bare = bare.dropFirst().dropLast()
            }
            let parts = bare.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && Self.isMessageIDText($0) }) else {
                throw .invalidDomain(messageID)
            }
            return "<\(bare)>"
        }
        guard !domain.isEmpty, !domain.contains("@"), Self.isMessageIDText(Substring(domain)) else {
            throw .invalidDomain(domain)
        }
        return "<\(Self.randomHex(byteCount: 16, using: &generator))@\(domain)>"
    }

    private static func isMessageIDText(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    private static func randomHex(byteCount: Int, using generator: inout some RandomNumberGenerator) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for _ in 0..<byteCount {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
