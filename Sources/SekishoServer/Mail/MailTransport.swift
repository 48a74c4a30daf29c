import SMTPClient
import SekishoStore

/// Where the outbox delivers mail: SMTP in production, `.eml` files in development.
protocol MailTransport: Sendable {
    /// Delivers one mail; returns what the far end said (an SMTP reply, a file path).
    func deliver(_ message: MailMessage) async throws -> String
    /// For logs and the admin's system page.
    var summary: String { get }
}

/// A delivery that did not succeed, classified for the outbox.
struct MailDeliveryFailure: Error, CustomStringConvertible {
    let description: String
    /// Worth trying again later (a 4xx reply, a network problem); a permanent failure is not.
    let isTransient: Bool
}
