/// Mails, audit events and the settling of an attempt charge, written atomically with a change: a
/// crash can never leave the change without its notice mail, a notice mail for a change that did
/// not happen, or a right guess still counted as a failure after the sign-in it allowed.
public struct SideEffects: Sendable, Equatable {
    public var mails: [NewOutboxMail]
    public var audit: [NewAuditEvent]
    public var attempt: AttemptSettlement?

    public init(mails: [NewOutboxMail] = [], audit: [NewAuditEvent] = [], attempt: AttemptSettlement? = nil) {
        self.mails = mails
        self.audit = audit
        self.attempt = attempt
    }

    public static let none = SideEffects()
}
