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
            // The operator reads this on /admin/system and /admin/mail: say what happened in a
            // sentence; NIO's wording of a refused connection stays in the log.
            var text = error.description
            if error.kind == .connectionFailed {
                logger.notice("SMTP connection failed: \(error)")
                text = "cannot connect to \(configuration.host):\(configuration.port) (connection refused or unreachable)"
            } else if error.kind == .timeout {
                text = "no answer from \(configuration.host):\(configuration.port) in time"
            }
            throw MailDeliveryFailure(description: text, isTransient: error.isTransient)
        }
    }
}
