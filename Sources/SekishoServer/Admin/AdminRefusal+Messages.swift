extension AdminService.Refusal {
    /// The translation key shown for the refusal; `invalid` carries its own English text.
    var messageKey: String {
        switch self {
        case .mailNotConfigured: "admin.mail_not_configured"
        case .lastAdministrator: "admin.last_admin"
        case .recentPasswordNeeded: "admin.recent_password"
        case .wrongPassword: "account.wrong_password"
        case .invalid(let text): text
        case .notFound: "error.404"
        }
    }
}
