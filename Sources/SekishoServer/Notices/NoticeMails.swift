import Foundation
import SekishoStore

/// The notice mails Sekisho queues about an account, written in Japanese and English in one
/// mail: Sekisho does not know which language the person reads, and a notice must be read.
struct NoticeMails: Sendable {
    let localizer: Localizer
    let clock: any WallClock

    enum Kind: String {
        case recoveryCodeUsed = "recovery_code_used"
        /// A recovery code was used and three or fewer are left: the mail says to make a new set.
        case recoveryCodeUsedRunningLow = "recovery_code_used_low"
        case recoveryCodesIssued = "recovery_codes_issued"
        case passwordChanged = "password_changed"
        case bindingReset = "binding_reset"
        /// A complete sign-in from a browser the account had not signed in from before.
        case newBrowser = "new_browser"
        /// Failed attempts made the account wait (once per series of failures).
        case accountLocked = "account_locked"
        /// An authenticator app or a passkey ({name}) was added to the account.
        case authenticatorAdded = "authenticator_added"
        /// An authenticator app or a passkey ({name}) was removed from the account.
        case authenticatorRemoved = "authenticator_removed"
        /// The account's last authenticator ({name}) was removed: two-factor was reset, the next
        /// sign-in registers a new authenticator app.
        case lastAuthenticatorRemoved = "last_authenticator_removed"
    }

    func mail(_ kind: Kind, to user: User, values: [String: String] = [:]) -> NewOutboxMail {
        var values = values
        values["user"] = user.username
        values["time"] = Self.timestamp(clock.now())
        let ja = fill(localizer.text("mail.\(kind.rawValue).body", .ja), values)
        let en = fill(localizer.text("mail.\(kind.rawValue).body", .en), values)
        let subject = "\(localizer.text("mail.\(kind.rawValue).subject", .ja)) / \(localizer.text("mail.\(kind.rawValue).subject", .en))"
        let footerJA = localizer.text("mail.footer", .ja)
        let footerEN = localizer.text("mail.footer", .en)
        return NewOutboxMail(recipient: user.email, subject: subject, textBody: "\(ja)\n\n\(footerJA)\n\n----\n\n\(en)\n\n\(footerEN)\n")
    }

    private func fill(_ template: String, _ values: [String: String]) -> String {
        values.reduce(template) { text, pair in text.replacingOccurrences(of: "{\(pair.key)}", with: pair.value) }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().time(includingFractionalSeconds: false)) + " UTC"
    }
}
