import Foundation
import PostgresNIO

extension PostgresStore: AuditStore {
    public func appendAudit(_ event: NewAuditEvent, at now: Date) async throws {
        try await transaction { connection in try await insertAudit(event, on: connection, at: now) }
    }

    public func auditEvents(userID: Int64?, kind: String?, limit: Int, offset: Int) async throws -> [AuditEvent] {
        // Absent filters are NULL parameters that make their condition true.
        try await query(
            """
            SELECT * FROM audit_event
            WHERE (\(userID)::bigint IS NULL OR subject_user_id = \(userID) OR actor_user_id = \(userID))
              AND (\(kind)::text IS NULL OR kind = \(kind))
            ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)
            """
        ).map(AuditEvent.init)
    }
}
