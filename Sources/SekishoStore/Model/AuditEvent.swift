import Foundation

/// One line of the audit log. Never holds a password, code or token.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    public var kind: String
    public var actorUserID: Int64?
    public var subjectUserID: Int64?
    /// The user name as typed or known at the time, kept when the user is deleted.
    public var username: String?
    public var clientAddress: String?
    public var detail: String
}

/// An audit event to write in the same transaction as the change it records.
public struct NewAuditEvent: Sendable, Equatable {
    public var kind: String
    public var actorUserID: Int64?
    public var subjectUserID: Int64?
    public var username: String?
    public var clientAddress: String?
    public var detail: String

    public init(
        kind: String,
        actorUserID: Int64? = nil,
        subjectUserID: Int64? = nil,
        username: String? = nil,
        clientAddress: String? = nil,
        detail: String = ""
    ) {
        self.kind = kind
        self.actorUserID = actorUserID
        self.subjectUserID = subjectUserID
        self.username = username
        self.clientAddress = clientAddress
        self.detail = detail
    }
}

/// The number of audit events of one kind in one interval (see ``AuditStore/auditCounts(kinds:from:to:bucket:)``).
public struct AuditCount: Sendable, Equatable {
    public var kind: String
    /// The interval: 0 is the first, starting at the `from` date asked for.
    public var bucket: Int
    public var count: Int

    public init(kind: String, bucket: Int, count: Int) {
        self.kind = kind
        self.bucket = bucket
        self.count = count
    }
}
