import Foundation
import GRDB

extension SQLiteStore: SessionStore {
    public func createSession(_ new: SessionRecord, replacing oldIDHash: String?, effects: SideEffects) async throws {
        try await write { db in
            try Self.insertSession(new, replacing: oldIDHash, in: db)
            try Self.apply(effects, in: db, at: new.createdAt)
        }
    }

    /// The writes of a new session, inside the caller's transaction; every sign-in step makes
    /// them, so the statements are prepared once per connection.
    static func insertSession(_ new: SessionRecord, replacing oldIDHash: String?, in db: Database) throws {
        if let oldIDHash {
            try db.cachedStatement(sql: "DELETE FROM session WHERE id_hash = ?").execute(arguments: [oldIDHash])
            // An enrollment shown in the old session stays with the user's half-way state only.
            try db.cachedStatement(sql: "DELETE FROM totp_enrollment WHERE session_id_hash = ?").execute(arguments: [oldIDHash])
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO session (id_hash, user_id, state, created_at, last_seen_at, expires_at, authenticated_at, client_address)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                new.idHash, new.userID, new.state.rawValue, new.createdAt.timeIntervalSince1970, new.lastSeenAt.timeIntervalSince1970,
                new.expiresAt.timeIntervalSince1970, new.authenticatedAt.timeIntervalSince1970, new.clientAddress,
            ]
        )
        if new.state == .signedIn {
            try db.cachedStatement(sql: "UPDATE user SET last_sign_in_at = ? WHERE id = ?").execute(
                arguments: [new.createdAt.timeIntervalSince1970, new.userID]
            )
        }
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await read { db in try SessionRecord.fetchOne(db, key: idHash) }
    }

    public func sessionWithUser(idHash: String) async throws -> (session: SessionRecord, user: User)? {
        try await readOneStatement { db in
            // The hot path of every signed-in request and forward-auth check: a cached prepared
            // statement with one indexed JOIN, not a query built and compiled per call.
            let statement = try db.cachedStatement(sql: Self.sessionWithUserSQL)
            let adapter = ScopeAdapter([
                "session": RangeRowAdapter(0..<Self.sessionColumns.count), "user": SuffixRowAdapter(fromIndex: Self.sessionColumns.count),
            ])
            guard let row = try Row.fetchOne(statement, arguments: [idHash], adapter: adapter),
                let sessionRow = row.scopes["session"], let userRow = row.scopes["user"]
            else { return nil }
            return (try SessionRecord(row: sessionRow), try User(row: userRow))
        }
    }

    public func touchSession(idHash: String, at now: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE session SET last_seen_at = ? WHERE id_hash = ?", arguments: [now.timeIntervalSince1970, idHash])
        }
    }

    public func deleteSession(idHash: String, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM session WHERE id_hash = ?", arguments: [idHash])
            try db.execute(sql: "DELETE FROM totp_enrollment WHERE session_id_hash = ?", arguments: [idHash])
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func deleteSessions(userID: Int64, keeping idHash: String?) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM session WHERE user_id = ? AND id_hash IS NOT ?",
                arguments: [userID, idHash]
            )
        }
    }

    public func deleteExpiredSessions(before now: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM session WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
            let count = db.changesCount
            try db.execute(sql: "DELETE FROM totp_enrollment WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
            return count
        }
    }
}

extension SQLiteStore {
    /// Named, so that the row can be split between the two records whatever columns are added later.
    static let sessionColumns = ["id_hash", "user_id", "state", "created_at", "last_seen_at", "expires_at", "authenticated_at", "client_address"]
    static let sessionWithUserSQL =
        "SELECT " + sessionColumns.map { "session.\($0)" }.joined(separator: ", ")
        + ", user.* FROM session JOIN user ON user.id = session.user_id WHERE session.id_hash = ?"
}
