import Foundation

extension AdminService.Refusal {
    /// The translation key shown for the refusal; `invalid` carries its own English text.
    var messageKey: String {
        switch self {
        case .mailNotConfigured: "admin.mail_not_configured"
        case .lastAdministrator: "admin.last_admin"
        case .recentPasswordNeeded: "admin.recent_password"
        case .wrongPassword: "account.wrong_password"
        case .invalid(let text): text
        case .invalidUserID(let refusal): refusal.description
        case .notFound: "error.404"
        }
    }

    /// The sentence a page shows, in `language`, with the values of refusals that carry some filled in.
    func text(_ localizer: Localizer, _ language: Language) -> String {
        guard case .invalidUserID(let refusal) = self else { return localizer.text(messageKey, language) }
        let message = refusal.message(language)
        return message.values.reduce(localizer.text(message.key, language)) { text, value in
            text.replacingOccurrences(of: "{\(value.key)}", with: value.value)
        }
    }
}
