import Foundation

extension SQLStore: AuditStore {
    public func appendAudit(_ event: NewAuditEvent, at now: Date) async throws {
        try await write { db in try Self.insertAudit(event, in: db, at: now) }
    }

    public func appendEffects(_ effects: SideEffects, at now: Date) async throws {
        try await write { db in try Self.apply(effects, in: db, at: now) }
    }

    static func insertAudit(_ event: NewAuditEvent, in db: any SQLConnection, at now: Date) throws {
        try db.execute(auditStatement(event, at: now)("TRUE"))
    }

    /// The insert of one audit event, run only `when` holds (see ``GuardedChange``).
    static func auditStatement(_ event: NewAuditEvent, at now: Date) -> @Sendable (SQL) -> SQL {
        { when in
            """
            INSERT INTO audit_event (at, kind, actor_user_id, subject_user_id, username, client_address, detail)
            SELECT \(now), \(event.kind), CAST(\(event.actorUserID) AS BIGINT), CAST(\(event.subjectUserID) AS BIGINT),
                   \(event.username), \(event.clientAddress), \(event.detail)
            WHERE \(when)
            """
        }
    }

    public func auditEvents(userID: Int64?, kind: String?, limit: Int, offset: Int) async throws -> [AuditEvent] {
        var conditions: [SQL] = []
        if let userID { conditions.append("(subject_user_id = \(userID) OR actor_user_id = \(userID))") }
        if let kind { conditions.append("kind = \(kind)") }
        let filter: SQL = conditions.isEmpty ? "" : "WHERE \(SQL.joined(conditions, separator: " AND "))"
        return try await read("SELECT * FROM audit_event \(filter) ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)", AuditEvent.init(row:))
    }

    public func auditCounts(kinds: [String], from start: Date, to end: Date, bucket: TimeInterval) async throws -> [AuditCount] {
        guard !kinds.isEmpty, bucket > 0 else { return [] }
        let kindList = SQL.joined(kinds.map { "\($0)" }, separator: ", ")
        let interval = Engine.dialect.wholePart("(at - \(start)) / \(bucket)")
        return try await read(
            """
            SELECT kind, \(interval) AS bucket, COUNT(*) AS n FROM audit_event
            WHERE at >= \(start) AND at < \(end) AND kind IN (\(kindList))
            GROUP BY kind, bucket ORDER BY bucket, kind
            """
        ) { row in AuditCount(kind: try row.string("kind"), bucket: try row.int("bucket"), count: try row.int("n")) }
    }
}
