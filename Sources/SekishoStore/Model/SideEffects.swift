/// Mails and audit events written atomically with a change: a crash can never leave the change
/// without its notice mail, or a notice mail for a change that did not happen.
public struct SideEffects: Sendable, Equatable {
    public var mails: [NewOutboxMail]
    public var audit: [NewAuditEvent]

    public init(mails: [NewOutboxMail] = [], audit: [NewAuditEvent] = []) {
        self.mails = mails
        self.audit = audit
    }

    public static let none = SideEffects()
}
