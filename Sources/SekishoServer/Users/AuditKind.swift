/// The kinds of audit events; stable names, because operators filter by them.
enum AuditKind: String, CaseIterable {
    case signIn = "sign_in"
    case signInFailed = "sign_in_failed"
    case lockout
    case passwordAccepted = "password_accepted"
    case codeFailed = "code_failed"
    case codeReplayRefused = "code_replay_refused"
    case enrolled = "enrollment"
    case recoveryCodeUsed = "recovery_code_used"
    case recoveryCodesIssued = "recovery_codes_issued"
    case passwordChanged = "password_changed"
    case signOut = "sign_out"
    case userCreated = "user_created"
    case resetRequested = "reset_requested"
    case resetCompleted = "reset_completed"
    case userUpdated = "user_updated"
    case userDeleted = "user_deleted"
    case bindingResetByAdmin = "binding_reset_by_admin"
    case unlocked = "unlocked"
    case mailSettingsChanged = "mail_settings_changed"
    case apiTokenCreated = "api_token_created"
    case setupCompleted = "setup_completed"
}
