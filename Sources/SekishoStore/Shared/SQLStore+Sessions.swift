import Foundation

extension SQLStore: SessionStore {
    public func createSession(_ new: SessionRecord, replacing oldIDHash: String?, effects: SideEffects) async throws {
        try await write { db in
            try Self.insertSession(new, replacing: oldIDHash, in: db)
            try Self.apply(effects, in: db, at: new.createdAt)
        }
    }

    /// Begins the session a change grants, inside the change's transaction.
    static func begin(_ start: SessionStart?, in db: any SQLConnection) throws {
        guard let start else { return }
        try insertSession(start.session, replacing: start.replacing, in: db)
    }

    /// The writes of a new session, inside the caller's transaction.
    static func insertSession(_ new: SessionRecord, replacing oldIDHash: String?, in db: any SQLConnection) throws {
        for statement in sessionStatements(new, replacing: oldIDHash) { try db.execute(statement("TRUE")) }
    }

    /// The statements that begin a session, each run only `when` holds (see ``GuardedChange``).
    static func sessionStatements(_ start: SessionStart?) -> [@Sendable (SQL) -> SQL] {
        start.map { sessionStatements($0.session, replacing: $0.replacing) } ?? []
    }

    private static func sessionStatements(_ new: SessionRecord, replacing oldIDHash: String?) -> [@Sendable (SQL) -> SQL] {
        var statements: [@Sendable (SQL) -> SQL] = []
        if let oldIDHash {
            statements.append { when in "DELETE FROM session WHERE id_hash = \(oldIDHash) AND \(when)" }
            // An enrollment shown in the old session stays with the user's half-way state only.
            statements.append { when in "DELETE FROM totp_enrollment WHERE session_id_hash = \(oldIDHash) AND \(when)" }
        }
        statements.append { when in
            """
            INSERT INTO session (id_hash, user_id, state, created_at, last_seen_at, expires_at, authenticated_at, client_address, user_agent, amr)
            SELECT \(new.idHash), \(new.userID), \(new.state.rawValue), \(new.createdAt), \(new.lastSeenAt), \(new.expiresAt),
                   CAST(\(new.authenticatedAt) AS DOUBLE PRECISION), \(new.clientAddress), \(new.userAgent), \(new.methods.joined(separator: " "))
            WHERE \(when)
            """
        }
        if new.state == .signedIn {
            statements.append { when in #"UPDATE "user" SET last_sign_in_at = \#(new.createdAt) WHERE id = \#(new.userID) AND \#(when)"# }
        }
        return statements
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await readOne("SELECT * FROM session WHERE id_hash = \(idHash)", SessionRecord.init(row:))
    }

    /// The hot path of every signed-in request and forward-auth check: one indexed join.
    public func sessionWithUser(idHash: String) async throws -> (session: SessionRecord, user: User)? {
        let found = try await readOne(
            #"SELECT s.*, \#(raw: Self.userColumns) FROM session s JOIN "user" u ON u.id = s.user_id WHERE s.id_hash = \#(idHash)"#
        ) { row in (try SessionRecord(row: row), try User(row: PrefixedRow(row: row, prefix: "u_"))) }
        return found.map { (session: $0.0, user: $0.1) }
    }

    static var userColumns: String { User.columns(of: "u", prefix: "u_") }

    public func touchSession(idHash: String, at now: Date) async throws {
        try await write { db in try db.execute("UPDATE session SET last_seen_at = \(now) WHERE id_hash = \(idHash)") }
    }

    public func deleteSession(idHash: String, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute("DELETE FROM session WHERE id_hash = \(idHash)")
            try db.execute("DELETE FROM totp_enrollment WHERE session_id_hash = \(idHash)")
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func deleteSessions(userID: Int64, keeping idHash: String?) async throws {
        try await write { db in _ = try Self.deleteSessions(userID: userID, keeping: idHash, in: db) }
    }

    private static func deleteSessions(userID: Int64, keeping idHash: String?, in db: any SQLConnection) throws -> Int {
        try db.execute("DELETE FROM session WHERE user_id = \(userID) AND id_hash IS DISTINCT FROM \(idHash)")
    }

    public func signedInSessions(userID: Int64) async throws -> [SessionRecord] {
        try await read(
            "SELECT * FROM session WHERE user_id = \(userID) AND state = \(SessionRecord.State.signedIn.rawValue) ORDER BY last_seen_at DESC, id_hash",
            SessionRecord.init(row:)
        )
    }

    public func endSession(userID: Int64, handle: String, at now: Date, effects: SideEffects) async throws -> Bool {
        try await deleteRow(of: userID, in: "session", hashColumn: "id_hash", handle: handle, at: now, effects: effects)
    }

    /// Deletes the row of `userID` in `table` whose hash in `hashColumn` begins with `handle` (see
    /// ``SessionRecord/handle``), writing `effects` only when it deleted one.
    func deleteRow(of userID: Int64, in table: String, hashColumn: String, handle: String, at now: Date, effects: SideEffects) async throws -> Bool {
        // A handle of another length could match several rows by a shorter prefix.
        guard handle.count == SessionRecord.handleLength else { return false }
        let prefix: SQL = "substr(\(raw: hashColumn), 1, \(raw: String(SessionRecord.handleLength)))"
        return try await write { db in
            guard try db.execute("DELETE FROM \(raw: table) WHERE user_id = \(userID) AND \(prefix) = \(handle)") > 0 else { return false }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func endSessions(userID: Int64, keeping idHash: String?, at now: Date, effects: SideEffects) async throws -> Int {
        try await write { db in
            let ended = try Self.deleteSessions(userID: userID, keeping: idHash, in: db)
            try Self.apply(effects, in: db, at: now)
            return ended
        }
    }

    public func deleteExpiredSessions(before now: Date) async throws -> Int {
        try await write { db in
            let count = try db.execute("DELETE FROM session WHERE expires_at <= \(now)")
            try db.execute("DELETE FROM totp_enrollment WHERE expires_at <= \(now)")
            return count
        }
    }
}
