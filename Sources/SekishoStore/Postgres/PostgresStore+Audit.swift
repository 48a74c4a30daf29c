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

    public func auditCounts(kinds: [String], from start: Date, to end: Date, bucket: TimeInterval) async throws -> [AuditCount] {
        guard !kinds.isEmpty, bucket > 0 else { return [] }
        let from = start.timeIntervalSince1970
        return try await query(
            """
            SELECT kind, floor((at - \(from)) / \(bucket))::bigint AS bucket, COUNT(*) AS n FROM audit_event
            WHERE at >= \(from) AND at < \(end.timeIntervalSince1970) AND kind = ANY(\(kinds)::text[])
            GROUP BY kind, bucket ORDER BY bucket, kind
            """
        ).map { row in
            AuditCount(kind: try row("kind"), bucket: Int(try row("bucket", as: Int64.self)), count: Int(try row("n", as: Int64.self)))
        }
    }
}
