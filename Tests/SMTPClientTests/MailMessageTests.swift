import Foundation
import TestSupport
import Testing

@testable import SMTPClient

@Suite struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    private func message(subject: String = "Your sign-in code", from: String? = nil, html: String? = nil) throws -> MailMessage {
        MailMessage(
            from: try MailAddress(address: "login@example.org", name: from),
            to: [try MailAddress(address: "alice@example.com")],
            subject: subject,
            textBody: "Hello,\nyour code is 123456.\n",
            htmlBody: html,
            date: Self.date
        )
    }

    private func render(_ message: MailMessage, seed: UInt64 = 1) throws -> String {
        var generator = SplitMix64(seed: seed)
        return String(decoding: try message.rendered(messageIDDomain: "login.example.org", using: &generator), as: UTF8.self)
    }

    private func headers(_ rendered: String) -> [String] {
        rendered.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
    }

    @Test func rendersHeadersWithCRLFOnly() throws {
        let rendered = try self.render(try self.message())
        let bytes = Array(rendered.utf8)
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)")
        }
        let headers = self.headers(rendered)
        #expect(headers.contains("From: login@example.org"))
        #expect(headers.contains("To: alice@example.com"))
        #expect(headers.contains("Subject: Your sign-in code"))
        #expect(headers.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains("Content-Type: text/plain; charset=UTF-8"))
        #expect(headers.contains("Content-Transfer-Encoding: quoted-printable"))
        let messageID = try #require(headers.first { $0.hasPrefix("Message-ID: ") })
        #expect(messageID.wholeMatch(of: /Message-ID: <[0-9a-f]{32}@login\.example\.org>/) != nil)
        #expect(rendered.hasSuffix("\r\n\r\nHello,\r\nyour code is 123456.\r\n"))
    }

    @Test func sameSeedGivesSameOutputAndDifferentSeedsDiffer() throws {
        let message = try self.message(html: "<p>Hi</p>")
        #expect(try self.render(message, seed: 7) == self.render(message, seed: 7))
        #expect(try self.render(message, seed: 7) != self.render(message, seed: 8))
    }

    @Test func encodesJapaneseSubjectAsFoldedEncodedWords() throws {
        let subject = "二段階認証のリセット手順のお知らせ — セキショ ログインサーバーからの重要なご案内です"
        let headers = self.headers(try self.render(try self.message(subject: subject)))
        let start = try #require(headers.firstIndex { $0.hasPrefix("Subject: ") })
        var words = [String(headers[start].dropFirst("Subject: ".count))]
        var index = start + 1
        while index < headers.count, headers[index].hasPrefix(" ") {
            words.append(String(headers[index].dropFirst()))
            index += 1
        }
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.utf8.count <= 75)
            let match = try #require(word.wholeMatch(of: /=\?UTF-8\?B\?([A-Za-z0-9+\/=]+)\?=/))
            let chunk = try #require(Data(base64Encoded: String(match.1)))
            // Each word holds whole characters (RFC 2047 section 5).
            #expect(String(data: chunk, encoding: .utf8) != nil)
            decoded += chunk
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func foldsLongASCIISubjectAtSpaces() throws {
        let subject = Array(repeating: "word", count: 40).joined(separator: " ")
        let rendered = try self.render(try self.message(subject: subject))
        let headers = self.headers(rendered)
        let start = try #require(headers.firstIndex { $0.hasPrefix("Subject: ") })
        #expect(headers[start].utf8.count <= 78)
        #expect(headers[start + 1].hasPrefix(" word"))
        let unfolded = rendered.replacingOccurrences(of: "\r\n ", with: " ")
        #expect(unfolded.contains("Subject: \(subject)\r\n"))
    }

    @Test func rendersDisplayNames() throws {
        let plain = self.headers(try self.render(try self.message(from: "Sekisho Login")))
        #expect(plain.contains("From: Sekisho Login <login@example.org>"))
        let special = self.headers(try self.render(try self.message(from: "Login, \"Sekisho\"")))
        #expect(special.contains("From: \"Login, \\\"Sekisho\\\"\" <login@example.org>"))
        let japanese = self.headers(try self.render(try self.message(from: "関所")))
        #expect(japanese.contains("From: =?UTF-8?B?\(Base64.encode(Array("関所".utf8)))?= <login@example.org>"))
    }

    @Test func rendersMultipartAlternativeWithTextFirst() throws {
        let rendered = try self.render(try self.message(html: "<p>Your code is <b>123456</b></p>"))
        let contentType = try #require(self.headers(rendered).first { $0.hasPrefix("Content-Type: ") })
        let boundary = try #require(contentType.wholeMatch(of: /Content-Type: multipart\/alternative; boundary="(=_[0-9a-f]{32})"/)?.1)
        let text = try #require(rendered.range(of: "--\(boundary)\r\nContent-Type: text/plain; charset=UTF-8"))
        let html = try #require(rendered.range(of: "--\(boundary)\r\nContent-Type: text/html; charset=UTF-8"))
        #expect(text.lowerBound < html.lowerBound)
        #expect(rendered.hasSuffix("--\(boundary)--\r\n"))
        #expect(rendered.contains("<p>Your code is <b>123456</b></p>"))
    }

    @Test func usesAnExplicitMessageID() throws {
        var message = try self.message()
        message.messageID = "abc.123@example.org"
        #expect(self.headers(try self.render(message)).contains("Message-ID: <abc.123@example.org>"))
        message.messageID = "<x\r\nBcc: evil@example.net>"
        #expect(throws: MailFormatError.self) { try self.render(message) }
    }

    @Test(arguments: ["a@b.example\r\nBcc: evil@example.net", "a@b.example\n", "a\0@b.example", "a@b\r.example"])
    func refusesLineBreaksInAddresses(address: String) {
        #expect(throws: MailFormatError.forbiddenCharacter(field: "address")) { try MailAddress(address: address) }
    }

    @Test(arguments: ["Alice\r\nBcc: evil@example.net", "Alice\n", "Al\0ice", "Alice\u{2028}"])
    func refusesLineBreaksInDisplayNames(name: String) {
        #expect(throws: MailFormatError.forbiddenCharacter(field: "display name")) { try MailAddress(address: "a@b.example", name: name) }
    }

    @Test(arguments: [
        "no-at-sign", "two@@example.com", "a@b@c", "space @example.com", "<a@example.com>", "a@example.com>", "@example.com", "a@", "a@.com",
        "a,b@example.com", "ユーザー@example.com",
    ])
    func refusesMalformedAddresses(address: String) {
        #expect(throws: MailFormatError.invalidAddress(address)) { try MailAddress(address: address) }
    }

    @Test func acceptsOrdinaryAddresses() throws {
        #expect(try MailAddress(address: "user+tag@mail.example.com").address == "user+tag@mail.example.com")
        #expect(try MailAddress(address: "a@b", name: "").name == nil)
    }

    @Test(arguments: ["Code\r\nBcc: evil@example.net", "Code\n", "Code\r", "Co\0de"])
    func refusesLineBreaksInSubject(subject: String) throws {
        #expect(throws: MailFormatError.forbiddenCharacter(field: "subject")) { try self.render(try self.message(subject: subject)) }
    }

    @Test func checksExtraHeaders() throws {
        var message = try self.message()
        message.extraHeaders = [MailHeader(name: "Auto-Submitted", value: "auto-generated"), MailHeader(name: "X-Note", value: "日本")]
        let headers = self.headers(try self.render(message))
        #expect(headers.contains("Auto-Submitted: auto-generated"))
        #expect(headers.contains("X-Note: =?UTF-8?B?\(Base64.encode(Array("日本".utf8)))?="))

        message.extraHeaders = [MailHeader(name: "X-Note", value: "a\r\nBcc: evil@example.net")]
        #expect(throws: MailFormatError.forbiddenCharacter(field: "header X-Note")) { try self.render(message) }
        message.extraHeaders = [MailHeader(name: "X-Bad: name", value: "v")]
        #expect(throws: MailFormatError.invalidHeaderName("X-Bad: name")) { try self.render(message) }
        message.extraHeaders = [MailHeader(name: "X-Bad\r\nBcc", value: "v")]
        #expect(throws: MailFormatError.forbiddenCharacter(field: "header name")) { try self.render(message) }
        message.extraHeaders = [MailHeader(name: "bcc", value: "evil@example.net")]
        #expect(throws: MailFormatError.reservedHeader("bcc")) { try self.render(message) }
    }

    @Test func refusesMessageWithoutRecipients() throws {
        var message = try self.message()
        message.to = []
        #expect(throws: MailFormatError.noRecipients) { try self.render(message) }
    }

    @Test func credentialsNeverShowThePassword() {
        let credentials = SMTPCredentials(username: "mailer", password: "s3cret-Pa55", mechanism: .login)
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, String(reflecting: credentials), "\(credentials)", dumped] {
            #expect(!text.contains("s3cret-Pa55"))
            #expect(text.contains("mailer"))
        }
    }
}
