import Foundation
import SMTPClient
import SMTPTesting

/// Shared values and helpers for the tests that talk to a real aiosmtpd server.
enum SMTPClientTestSupport {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    static func message(
        subject: String = "Your sign-in code",
        textBody: String = "Hello,\nyour code is 123456.\n",
        htmlBody: String? = nil,
        fromName: String? = "Sekisho",
        to: [String] = ["alice@example.com"],
        extraHeaders: [MailHeader] = []
    ) throws -> MailMessage {
        MailMessage(
            from: try MailAddress(address: "login@example.org", name: fromName),
            to: try to.map { try MailAddress(address: $0) },
            subject: subject,
            textBody: textBody,
            htmlBody: htmlBody,
            date: self.date,
            extraHeaders: extraHeaders
        )
    }

    static func configuration(
        port: Int,
        host: String = "127.0.0.1",
        security: SMTPSecurity = .none,
        credentials: SMTPCredentials? = nil,
        allowCredentialsWithoutTLS: Bool = false,
        trustRootsFile: String? = nil,
        tlsServerName: String? = nil,
        commandTimeout: Duration = .seconds(10)
    ) -> SMTPConfiguration {
        SMTPConfiguration(
            host: host,
            port: port,
            security: security,
            credentials: credentials,
            allowCredentialsWithoutTLS: allowCredentialsWithoutTLS,
            trustRootsFile: trustRootsFile,
            tlsServerName: tlsServerName,
            heloName: "client.test",
            timeouts: SMTPTimeouts(connect: .seconds(5), command: commandTimeout, dataEnd: .seconds(10))
        )
    }

    /// Sends and returns the error, or nil when the send succeeded.
    static func sendExpectingError(_ client: SMTPClient, _ message: MailMessage) async -> SMTPError? {
        do {
            _ = try await client.send(message, messageIDDomain: "login.example.org")
            return nil
        } catch {
            return error
        }
    }
}
