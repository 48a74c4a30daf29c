import Foundation
import PostgresNIO

extension PostgresStore: SessionStore {
    public func createSession(_ new: SessionRecord, replacing oldIDHash: String?, effects: SideEffects) async throws {
        try await transaction { connection in
            try await insertSession(new, replacing: oldIDHash, on: connection)
            try await apply(effects, on: connection, at: new.createdAt)
        }
    }

    /// The writes of a new session, inside the caller's transaction.
    func insertSession(_ new: SessionRecord, replacing oldIDHash: String?, on connection: PostgresConnection) async throws {
        if let oldIDHash {
            try await query("DELETE FROM session WHERE id_hash = \(oldIDHash)", on: connection)
            // An enrollment shown in the old session stays with the user's half-way state only.
            try await query("DELETE FROM totp_enrollment WHERE session_id_hash = \(oldIDHash)", on: connection)
        }
        try await query(
            """
            INSERT INTO session (id_hash, user_id, state, created_at, last_seen_at, expires_at, authenticated_at, client_address)
            VALUES (\(new.idHash), \(new.userID), \(new.state.rawValue), \(new.createdAt.timeIntervalSince1970),
                    \(new.lastSeenAt.timeIntervalSince1970), \(new.expiresAt.timeIntervalSince1970),
                    \(new.authenticatedAt.timeIntervalSince1970), \(new.clientAddress))
            """,
            on: connection
        )
        if new.state == .signedIn {
            try await query(
                "UPDATE \"user\" SET last_sign_in_at = \(new.createdAt.timeIntervalSince1970) WHERE id = \(new.userID)",
                on: connection
            )
        }
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await query("SELECT * FROM session WHERE id_hash = \(idHash)").first.map(SessionRecord.init)
    }

    public func sessionWithUser(idHash: String) async throws -> (session: SessionRecord, user: User)? {
        let userColumns = PostgresColumns.select(PostgresColumns.user, from: "u", prefix: "u_")
        let rows = try await query(
            #"SELECT s.*, \#(unescaped: userColumns) FROM session s JOIN "user" u ON u.id = s.user_id WHERE s.id_hash = \#(idHash)"#
        )
        guard let row = rows.first else { return nil }
        return (try SessionRecord(row), try User(row.scoped("u_")))
    }

    public func touchSession(idHash: String, at now: Date) async throws {
        try await query("UPDATE session SET last_seen_at = \(now.timeIntervalSince1970) WHERE id_hash = \(idHash)")
    }

    public func deleteSession(idHash: String, at now: Date, effects: SideEffects) async throws {
        try await transaction { connection in
            try await query("DELETE FROM session WHERE id_hash = \(idHash)", on: connection)
            try await query("DELETE FROM totp_enrollment WHERE session_id_hash = \(idHash)", on: connection)
            try await apply(effects, on: connection, at: now)
        }
    }

    public func deleteSessions(userID: Int64, keeping idHash: String?) async throws {
        try await query("DELETE FROM session WHERE user_id = \(userID) AND id_hash IS DISTINCT FROM \(idHash)")
    }

    public func deleteExpiredSessions(before now: Date) async throws -> Int {
        let t = now.timeIntervalSince1970
        return try await transaction { connection in
            let count = try await query("DELETE FROM session WHERE expires_at <= \(t) RETURNING id_hash", on: connection).count
            try await query("DELETE FROM totp_enrollment WHERE expires_at <= \(t)", on: connection)
            return count
        }
    }
}
