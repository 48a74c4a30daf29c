import Foundation
import PostgresNIO

extension PostgresStore: AdminTokenStore {
    public func listUsers(search: String?, limit: Int, offset: Int, at now: Date) async throws -> [UserSummary] {
        let pattern = Self.searchPattern(search)
        // COLLATE "C": byte order, as SQLite sorts, whatever locale the database was created with.
        let rows = try await query(
            #"""
            SELECT u.*, EXISTS (SELECT 1 FROM totp_binding b WHERE b.user_id = u.id) AS bound,
                   (SELECT a.locked_until FROM attempt a
                    WHERE a.scope = 'account' AND a.key = u.username AND a.locked_until > \#(now.timeIntervalSince1970)) AS locked
            FROM "user" u
            WHERE \#(pattern)::text IS NULL
               OR lower(u.username) LIKE \#(pattern) ESCAPE '\' OR lower(u.display_name) LIKE \#(pattern) ESCAPE '\'
               OR lower(u.email) LIKE \#(pattern) ESCAPE '\'
            ORDER BY u.username COLLATE "C" LIMIT \#(limit) OFFSET \#(offset)
            """#
        )
        return try rows.map { row in
            UserSummary(user: try User(row), authenticatorBound: try row("bound"), lockedUntil: try row.optionalDate("locked"))
        }
    }

    public func countUsers(search: String?) async throws -> Int {
        let pattern = Self.searchPattern(search)
        return try await query(
            #"""
            SELECT COUNT(*) AS n FROM "user" u
            WHERE \#(pattern)::text IS NULL
               OR lower(u.username) LIKE \#(pattern) ESCAPE '\' OR lower(u.display_name) LIKE \#(pattern) ESCAPE '\'
               OR lower(u.email) LIKE \#(pattern) ESCAPE '\'
            """#
        ).first.required("count")("n", as: Int.self)
    }

    public func countAdmins() async throws -> Int {
        try await query(#"SELECT COUNT(*) AS n FROM "user" WHERE role = 'admin'"#).first.required("count")("n", as: Int.self)
    }

    public func updateProfile(
        userID: Int64,
        displayName: String,
        email: String,
        role: User.Role,
        twoFactorEnabled: Bool,
        at now: Date,
        effects: SideEffects
    ) async throws -> Bool {
        try await transaction { connection in
            guard try await keepsAnAdmin(userID: userID, newRole: role, on: connection) else { return false }
            let updated = try await query(
                #"""
                UPDATE "user" SET display_name = \#(displayName), email = \#(email), role = \#(role.rawValue),
                    two_factor_enabled = \#(twoFactorEnabled), updated_at = \#(now.timeIntervalSince1970)
                WHERE id = \#(userID) RETURNING id
                """#,
                on: connection
            )
            guard updated.count == 1 else { throw StoreError.notFound("user \(userID)") }
            try await apply(effects, on: connection, at: now)
            return true
        }
    }

    public func deleteUser(userID: Int64, at now: Date, effects: SideEffects) async throws -> Bool {
        try await transaction { connection in
            guard try await keepsAnAdmin(userID: userID, newRole: nil, on: connection) else { return false }
            // Foreign keys cascade to binding, enrollments, codes, tokens and sessions.
            let deleted = try await query(#"DELETE FROM "user" WHERE id = \#(userID) RETURNING id"#, on: connection)
            guard deleted.count == 1 else { throw StoreError.notFound("user \(userID)") }
            try await apply(effects, on: connection, at: now)
            return true
        }
    }

    /// Locks every administrator row before counting: two administrators demoting each other at
    /// once (in two instances) take turns, and the second sees the first's change.
    private func keepsAnAdmin(userID: Int64, newRole: User.Role?, on connection: PostgresConnection) async throws -> Bool {
        guard newRole != .admin else { return true }
        let admins = try await query(#"SELECT id FROM "user" WHERE role = 'admin' ORDER BY id FOR UPDATE"#, on: connection)
            .map { try $0("id", as: Int64.self) }
        guard admins.contains(userID) else { return true }
        return admins.count > 1
    }

    /// The LIKE pattern for a search, or nil for no filter. The search is data, never pattern
    /// syntax: LIKE's wildcards are escaped.
    private static func searchPattern(_ search: String?) -> String? {
        guard let search, !search.isEmpty else { return nil }
        let escaped = search.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return "%\(escaped)%"
    }

    // MARK: - Setup and API tokens

    public func createSetupToken(hash: String, at now: Date, expiresAt: Date) async throws {
        try await query(
            """
            INSERT INTO setup_token (token_hash, created_at, expires_at)
            VALUES (\(hash), \(now.timeIntervalSince1970), \(expiresAt.timeIntervalSince1970))
            """
        )
    }

    public func setupTokenIsUsable(hash: String, at now: Date) async throws -> Bool {
        let rows = try await query(
            #"""
            SELECT 1 AS usable FROM setup_token
            WHERE token_hash = \#(hash) AND used_at IS NULL AND expires_at > \#(now.timeIntervalSince1970)
              AND NOT EXISTS (SELECT 1 FROM "user")
            """#
        )
        return !rows.isEmpty
    }

    public func consumeSetupToken(hash: String, creating new: NewUser, at now: Date, effects: SideEffects) async throws -> User? {
        let t = now.timeIntervalSince1970
        return try await transaction { connection -> User? in
            // "No user yet" must still hold when the administrator is inserted: this lock stops
            // other inserts into "user" (and a second setup with another token) until commit,
            // while readers go on.
            try await query(#"LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE"#, on: connection)
            let used = try await query(
                #"""
                UPDATE setup_token SET used_at = \#(t)
                WHERE token_hash = \#(hash) AND used_at IS NULL AND expires_at > \#(t) AND NOT EXISTS (SELECT 1 FROM "user")
                RETURNING token_hash
                """#,
                on: connection
            )
            guard used.count == 1 else { return nil }
            let user = try await Self.insertUser(new, at: now, on: connection, store: self)
            var effects = effects
            for index in effects.audit.indices { effects.audit[index].subjectUserID = user.id }
            try await apply(effects, on: connection, at: now)
            return user
        }
    }

    public func createAPIToken(hash: String, name: String, userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await transaction { connection in
            try await query(
                """
                INSERT INTO api_token (token_hash, name, user_id, created_at)
                VALUES (\(hash), \(name), \(userID), \(now.timeIntervalSince1970))
                """,
                on: connection
            )
            try await apply(effects, on: connection, at: now)
        }
    }

    public func apiTokenUser(hash: String, at now: Date) async throws -> User? {
        // A read; `last_used_at` is written at most once a minute, not as a commit per call.
        let t = now.timeIntervalSince1970
        let rows = try await query(
            #"""
            SELECT u.*, t.last_used_at AS token_last_used_at FROM api_token t JOIN "user" u ON u.id = t.user_id
            WHERE t.token_hash = \#(hash)
            """#
        )
        guard let row = rows.first else { return nil }
        if APITokenUse.isWorthRecording(lastUsed: try row("token_last_used_at", as: Double?.self), at: now) {
            try await query("UPDATE api_token SET last_used_at = \(t) WHERE token_hash = \(hash)")
        }
        return try User(row)
    }
}
