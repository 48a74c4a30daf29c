import Foundation
import SekishoCore
import SekishoStore

/// Seals the bodies of mails that carry a secret (reset links) for the outbox, and opens them
/// for delivery.
///
/// The outbox keeps sent mails for 30 days and administrators see its rows; a reset link stored
/// in plain text there would work for anyone who reads the database, a backup or the admin
/// page while it is valid. So the row keeps a redacted text, and the real bodies are sealed
/// under the key file, bound to the row's id and recipient (moving them to another row, or
/// changing the recipient, makes them unopenable), and dropped when the mail is sent.
public struct OutboxSeal: Sendable {
    let box: SecretBox

    public init(box: SecretBox) { self.box = box }

    /// The bodies as one sealed value.
    private struct Bodies: Codable {
        var text: String
        var html: String?
    }

    /// A mail whose stored bodies are `redactedText`/`redactedHTML`, delivered as `text`/`html`.
    func mail(
        recipient: String,
        subject: String,
        text: String,
        html: String? = nil,
        redactedText: String,
        redactedHTML: String? = nil
    )
        -> NewOutboxMail
    {
        let box = box
        let bodies = Bodies(text: text, html: html)
        return NewOutboxMail(
            recipient: recipient,
            subject: subject,
            textBody: redactedText,
            htmlBody: redactedHTML,
            secret: SealedMailBodies { id, recipient in
                Data(try box.seal(Array(try JSONEncoder().encode(bodies)), context: Self.context(id: id, recipient: recipient)))
            }
        )
    }

    /// The bodies to deliver: the sealed ones when the mail has them, else the stored ones.
    public func bodies(of mail: OutboxMail) throws -> (text: String, html: String?) {
        guard let sealed = mail.sealedBody else { return (mail.textBody, mail.htmlBody) }
        let opened = try box.open(Array(sealed), context: Self.context(id: mail.id, recipient: mail.recipient))
        let bodies = try JSONDecoder().decode(Bodies.self, from: Data(opened))
        return (bodies.text, bodies.html)
    }

    static func context(id: Int64, recipient: String) -> SealContext {
        SealContext(table: "mail_outbox", column: "sealed_body", rowID: "\(id) \(recipient)")
    }
}
