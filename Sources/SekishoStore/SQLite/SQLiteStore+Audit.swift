import Foundation
import GRDB

extension SQLiteStore: AuditStore {
    public func appendAudit(_ event: NewAuditEvent, at now: Date) async throws {
        try await write { db in try Self.insertAudit(event, in: db, at: now) }
    }

    public func auditEvents(userID: Int64?, kind: String?, limit: Int, offset: Int) async throws -> [AuditEvent] {
        try await read { db in
            var request = AuditEvent.order(Column("id").desc)
            if let userID {
                request = request.filter(Column("subject_user_id") == userID || Column("actor_user_id") == userID)
            }
            if let kind {
                request = request.filter(Column("kind") == kind)
            }
            return try request.limit(limit, offset: offset).fetchAll(db)
        }
    }
}
