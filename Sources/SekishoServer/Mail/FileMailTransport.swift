import Foundation
import SMTPClient

/// The development transport: each mail becomes an `.eml` file that a mail program can open.
struct FileMailTransport: MailTransport {
    let directory: String
    let messageIDDomain: String

    var summary: String { "file (development): \(directory)" }

    func deliver(_ message: MailMessage) async throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try message.rendered(messageIDDomain: messageIDDomain)
        } catch {
            throw MailDeliveryFailure(description: "the mail cannot be written: \(error)", isTransient: false)
        }
        do {
            try DataDirectory.ensure(directory)
            let name = "\(Int(message.date.timeIntervalSince1970 * 1000))-\(UUID().uuidString.prefix(8)).eml"
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
            // Written to a temporary name and renamed, so a reader never sees half a mail.
            let temporary = url.appendingPathExtension("tmp")
            try Data(bytes).write(to: temporary)
            try FileManager.default.moveItem(at: temporary, to: url)
            return url.path
        } catch {
            throw MailDeliveryFailure(description: "cannot write to \(directory): \(error.localizedDescription)", isTransient: true)
        }
    }
}
