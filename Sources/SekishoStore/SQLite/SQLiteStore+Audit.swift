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

    public func auditCounts(kinds: [String], from start: Date, to end: Date, bucket: TimeInterval) async throws -> [AuditCount] {
        guard !kinds.isEmpty, bucket > 0 else { return [] }
        return try await read { db in
            let from = start.timeIntervalSince1970
            let placeholders = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT kind, CAST((at - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n FROM audit_event
                    WHERE at >= ? AND at < ? AND kind IN (\(placeholders))
                    GROUP BY kind, bucket ORDER BY bucket, kind
                    """,
                arguments: StatementArguments([from, bucket, from, end.timeIntervalSince1970] + kinds.map { $0 as any DatabaseValueConvertible })
            )
            return rows.map { AuditCount(kind: $0["kind"], bucket: $0["bucket"], count: $0["n"]) }
        }
    }
}
