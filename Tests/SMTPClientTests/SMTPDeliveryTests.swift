import Foundation
import Logging
import SMTPClient
import SMTPTesting
import TestSupport
import Testing

/// Delivery over plain connections to a real aiosmtpd server, checked with Python's `email` parser.
@Suite struct SMTPDeliveryTests {
    typealias Support = SMTPClientTestSupport

    @Test func deliversPlainMessage() async throws {
        try await SMTPTestServer.with { server in

            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))
            let message = try Support.message(to: ["alice@example.com", "bob@example.com"])
            let delivery = try await client.send(message, messageIDDomain: "login.example.org")

            #expect(delivery.finalReply.code == 250)
            #expect(delivery.description == "250 OK queued as TEST001")
            #expect(delivery.recipients == ["alice@example.com", "bob@example.com"])
            #expect(!delivery.usedTLS)
            let mails = try server.messages()
            let mail = try #require(mails.first)
            #expect(mails.count == 1)
            #expect(mail.parseError == nil)
            #expect(mail.defects == [])
            #expect(mail.mailFrom == "login@example.org")
            #expect(mail.rcptTos == ["alice@example.com", "bob@example.com"])
            #expect(mail.mailOptions.contains { $0.hasPrefix("SIZE=") })
            #expect(mail.subject == "Your sign-in code")
            #expect(mail.from == "Sekisho <login@example.org>")
            #expect(mail.to == "alice@example.com, bob@example.com")
            #expect(mail.dateEpoch == 1_700_000_000)
            #expect(mail.messageId == delivery.messageID)
            #expect(delivery.messageID.wholeMatch(of: /<[0-9a-f]{32}@login\.example\.org>/) != nil)
            #expect(mail.mimeVersion == "1.0")
            #expect(mail.contentType == "text/plain")
            #expect(mail.text?.replacingOccurrences(of: "\r\n", with: "\n") == "Hello,\nyour code is 123456.\n")
            let raw = mail.raw
            for (index, byte) in raw.enumerated() where byte == 0x0A {
                #expect(index > 0 && raw[index - 1] == 0x0D, "bare LF at \(index)")
            }
            #expect(!mail.tls)
        }
    }

    @Test func linesStartingWithDotArriveIntact() async throws {
        try await SMTPTestServer.with { server in

            let body = "first\n.hidden line\n..two dots\n.\nlast line\n"
            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))
            _ = try await client.send(try Support.message(textBody: body), messageIDDomain: "login.example.org")

            let mail = try #require(try server.messages().first)
            #expect(mail.text?.replacingOccurrences(of: "\r\n", with: "\n") == body)
        }
    }

    @Test func japaneseSubjectNameAndBodiesArriveDecoded() async throws {
        try await SMTPTestServer.with { server in

            let subject = "【関所】二段階認証のリセット手順のお知らせ — ログインサーバーからの重要なご案内です"
            let text = "山田様\n\nリセット用のリンクは15分間有効です。\n" + String(repeating: "長い行のテキスト。", count: 20) + "\n"
            let html = "<p>山田様</p><p>リセット用のリンクは<b>15分間</b>有効です。</p>"
            let message = try Support.message(subject: subject, textBody: text, htmlBody: html, fromName: "関所 ログイン")
            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))
            _ = try await client.send(message, messageIDDomain: "login.example.org")

            let mail = try #require(try server.messages().first)
            #expect(mail.defects == [])
            #expect(mail.subject == subject)
            #expect(mail.from == "関所 ログイン <login@example.org>")
            #expect(mail.contentType == "multipart/alternative")
            #expect(mail.parts == ["multipart/alternative", "text/plain", "text/html"])
            #expect(mail.text?.replacingOccurrences(of: "\r\n", with: "\n") == text)
            #expect(mail.html?.replacingOccurrences(of: "\r\n", with: "\n") == html)
            #expect(mail.raw.allSatisfy { $0 < 0x80 })
        }
    }

    @Test func serverRejectionIsPermanentWithServerText() async throws {
        try await SMTPTestServer.with(["--reject", "550"]) { server in

            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))
            let error = try #require(await Support.sendExpectingError(client, try Support.message(to: ["bob@example.com"])))
            #expect(error.kind == .rejected)
            #expect(error.replyCode == 550)
            #expect(!error.isTransient)
            #expect(error.replyText == "5.1.1 <bob@example.com>: mailbox unavailable")
            #expect(error.description == "550 5.1.1 <bob@example.com>: mailbox unavailable (after RCPT TO)")
            #expect(try server.messages().isEmpty)
        }
    }

    @Test(arguments: ["rcpt", "data"])
    func temporaryFailureIsTransientAndRetrySucceedsOnce(failAt: String) async throws {
        try await SMTPTestServer.with(["--fail-first", "1", "--fail-code", "451", "--fail-at", failAt]) { server in

            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))
            let message = try Support.message()
            let error = try #require(await Support.sendExpectingError(client, message))
            #expect(error.kind == .rejected)
            #expect(error.replyCode == 451)
            #expect(error.isTransient)
            #expect(error.description.hasPrefix("451 4.3.0 temporary failure"))
            #expect(error.step == (failAt == "rcpt" ? "RCPT TO" : "end of DATA"))
            #expect(try server.messages().isEmpty)

            let delivery = try await client.send(message, messageIDDomain: "login.example.org")
            #expect(delivery.finalReply.code == 250)
            #expect(try server.messages().count == 1)
        }
    }

    @Test func messageAboveSizeLimitIsRefusedBeforeMailFrom() async throws {
        try await SMTPTestServer.with(["--size-limit", "2000"]) { server in

            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))
            let error = try #require(await Support.sendExpectingError(client, try Support.message(textBody: String(repeating: "x", count: 5000))))
            #expect(error.kind == .messageTooLarge)
            #expect(!error.isTransient)
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func headerInjectionIsRefusedAndNothingIsSent() async throws {
        try await SMTPTestServer.with { server in
            let client = SMTPClient(configuration: Support.configuration(port: server.port), logger: Logger(label: "test"))

            let bad = [
                try Support.message(subject: "Hi\r\nBcc: evil@example.net"),
                try Support.message(subject: "Hi\nBcc: evil@example.net"),
                try Support.message(extraHeaders: [MailHeader(name: "X-Event", value: "reset\r\nBcc: evil@example.net")]),
                try Support.message(extraHeaders: [MailHeader(name: "Bcc", value: "evil@example.net")]),
            ]
            for message in bad {
                let error = try #require(await Support.sendExpectingError(client, message))
                #expect(error.kind == .invalidMessage)
                #expect(!error.isTransient)
            }
            let good = try Support.message()
            do {
                _ = try await client.send(good, messageIDDomain: "example.org>\r\nBcc: evil@example.net")
                Issue.record("a Message-ID domain with CRLF was accepted")
            } catch {
                // Inside a closure the catch sees `any Error`, not send's typed SMTPError.
                #expect((error as? SMTPError)?.kind == .invalidMessage)
            }
            #expect(throws: MailFormatError.self) { try MailAddress(address: "alice@example.com\r\nRCPT TO:<evil@example.net>") }
            #expect(throws: MailFormatError.self) { try MailAddress(address: "alice@example.com", name: "Alice\r\nBcc: evil@example.net") }
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func connectionRefusedIsTransient() async throws {
        // A port bound by us but not listening: connections are refused, and no other test's
        // server can take the port meanwhile (a port found free and let go could be).
        try await FreePort.withUnused { port in
            let client = SMTPClient(configuration: Support.configuration(port: port), logger: Logger(label: "test"))
            let error = try #require(await Support.sendExpectingError(client, try Support.message()))
            #expect(error.kind == .connectionFailed)
            #expect(error.isTransient)
            #expect(error.reply == nil)
        }
    }

    @Test func serverThatNeverGreetsTimesOut() async throws {
        try await SMTPTestServer.with(["--mode", "silent"]) { server in

            let client = SMTPClient(
                configuration: Support.configuration(port: server.port, commandTimeout: .milliseconds(300)),
                logger: Logger(label: "test")
            )
            let clock = ContinuousClock()
            let start = clock.now
            let error = try #require(await Support.sendExpectingError(client, try Support.message()))
            let elapsed = clock.now - start
            #expect(error.kind == .timeout)
            #expect(error.isTransient)
            #expect(error.step == "greeting")
            #expect(error.description.contains("timeout"))
            #expect(elapsed >= .milliseconds(300))
            // Only a bound that shows the timeout ended the wait (the server never answers at all);
            // generous, because a loaded machine stretches every step.
            #expect(elapsed < .seconds(60))
        }
    }
}
