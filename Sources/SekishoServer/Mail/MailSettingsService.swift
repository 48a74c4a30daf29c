import Foundation
import Logging
import SMTPClient
import SekishoCore
import SekishoStore

/// Decides how mail leaves: the administrator's saved SMTP settings, else the configuration's,
/// else (development) `.eml` files. Read for every outbox batch, so changes apply at once.
struct MailSettingsService: Sendable {
    static let settingKey = "mail.smtp"
    static var sealContext: SealContext { SealContext(table: "setting", column: "value", rowID: settingKey) }

    let store: any Store
    let secretBox: SecretBox
    let configuration: SekishoConfiguration.Mail
    let clock: any WallClock
    let logger: Logger

    /// The SMTP settings in force, if any.
    func smtpSettings() async throws -> SMTPSettings? {
        if let saved = try await store.setting(Self.settingKey) {
            return try JSONDecoder().decode(SMTPSettings.self, from: Data(saved.utf8))
        }
        return configuration.smtp
    }

    /// Whether mail can be delivered at all (S2: two-factor needs it, for reset links).
    func isConfigured() async throws -> Bool {
        if configuration.transport == .file { return true }
        return try await smtpSettings() != nil
    }

    /// Saves settings entered by an administrator; `password` nil keeps the stored one.
    /// Saves the settings an administrator entered, with the audit event of the change.
    func save(_ settings: SMTPSettings, password: String?, by administrator: User, clientAddress: String) async throws {
        let audit = NewAuditEvent(
            kind: AuditKind.mailSettingsChanged.rawValue,
            actorUserID: administrator.id,
            clientAddress: clientAddress,
            detail: "\(settings.host):\(settings.port) \(settings.security.rawValue)"
        )
        try await save(settings, password: password, effects: SideEffects(audit: [audit]))
    }

    func save(_ settings: SMTPSettings, password: String?, effects: SideEffects) async throws {
        var settings = settings
        if let password {
            settings.sealedPassword =
                password.isEmpty ? nil : Data(try secretBox.seal(Array(password.utf8), context: Self.sealContext)).base64EncodedString()
        } else {
            settings.sealedPassword = try await smtpSettings()?.sealedPassword
        }
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        try await store.setSetting(Self.settingKey, value: json, at: clock.now(), effects: effects)
    }

    func transport() async throws -> any MailTransport {
        let domain = OutboxWorker.domain(of: configuration.from)
        if let smtp = try await smtpSettings() {
            return SMTPMailTransport(configuration: try smtpConfiguration(smtp), messageIDDomain: domain, logger: logger)
        }
        guard configuration.transport == .file else {
            throw MailDeliveryFailure(description: "mail.transport is smtp but no SMTP server is configured", isTransient: true)
        }
        return FileMailTransport(directory: configuration.directory, messageIDDomain: domain)
    }

    func sender() async throws -> MailAddress {
        let saved = try await smtpSettings()
        return try MailAddress(address: saved?.senderAddress ?? configuration.from, name: saved?.senderName ?? configuration.fromName)
    }

    func smtpConfiguration(_ settings: SMTPSettings) throws -> SMTPConfiguration {
        var credentials: SMTPCredentials?
        if let username = settings.username, !username.isEmpty {
            var password = ""
            if let sealed = settings.sealedPassword, let data = Data(base64Encoded: sealed) {
                password = String(decoding: try secretBox.open([UInt8](data), context: Self.sealContext), as: UTF8.self)
            } else if settings == configuration.smtp {
                // Only the configuration's own server gets the configuration's password.
                password = configuration.smtpPassword ?? ""
            }
            credentials = SMTPCredentials(username: username, password: password)
        }
        let security: SMTPSecurity =
            switch settings.security {
            case .none: .none
            case .starttls: .startTLS(required: true)
            case .tls: .implicitTLS
            }
        return SMTPConfiguration(
            host: settings.host,
            port: settings.port,
            security: security,
            credentials: credentials,
            allowCredentialsWithoutTLS: settings.allowPlaintextAuth,
            trustRootsFile: settings.caFile,
            heloName: OutboxWorker.domain(of: configuration.from)
        )
    }
}

extension MailSettingsService {
    /// Sends a test mail at once (not through the outbox) and returns the server's reply; throws
    /// with the server's reply when it fails, for the administrator to read.
    func sendTestMail(to recipient: String) async throws -> String {
        let message = MailMessage(
            from: try await sender(),
            to: [try MailAddress(address: recipient)],
            subject: "Sekisho test mail / テストメール",
            textBody: "This is a test mail from Sekisho. Mail delivery works.\n\nSekishoからのテストメールです。メールの送信は正常です。\n",
            date: clock.now()
        )
        return try await transport().deliver(message)
    }

    /// One line for the system page: where mail goes now.
    func transportSummary() async throws -> String {
        do {
            return try await transport().summary
        } catch {
            return "not configured (\(error))"
        }
    }
}
