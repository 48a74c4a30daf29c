import Logging
import SMTPClient

/// Delivers through an SMTP server.
struct SMTPMailTransport: MailTransport {
    let configuration: SMTPConfiguration
    let messageIDDomain: String
    let logger: Logger

    var summary: String { "smtp: \(configuration.host):\(configuration.port)" }

    func deliver(_ message: MailMessage) async throws -> String {
        do {
            let delivery = try await SMTPClient(configuration: configuration, logger: logger).send(message, messageIDDomain: messageIDDomain)
            return delivery.description
        } catch {
            throw MailDeliveryFailure(description: error.description, isTransient: error.isTransient)
        }
    }
}
