import Foundation

extension SQLStore: AdminTokenStore {
    public func listUsers(search: String?, limit: Int, offset: Int, at now: Date) async throws -> [UserSummary] {
        let dialect = Engine.dialect
        return try await read(
            #"""
            SELECT u.*, (EXISTS (SELECT 1 FROM totp_binding b WHERE b.user_id = u.id) OR EXISTS (SELECT 1 FROM passkey p WHERE p.user_id = u.id)) AS bound,
                   (SELECT a.locked_until FROM attempt a
                    WHERE a.scope = 'account' AND a.key = u.username AND a.locked_until > \#(now)) AS locked
            FROM "user" u \#(Self.searchFilter(search))
            ORDER BY u.username \#(raw: dialect.byteOrder) LIMIT \#(limit) OFFSET \#(offset)
            """#
        ) { row in
            UserSummary(user: try User(row: row), authenticatorBound: try row.bool("bound"), lockedUntil: try row.optionalDate("locked"))
        }
    }

    public func countUsers(search: String?) async throws -> Int {
        try await count(#"SELECT COUNT(*) AS n FROM "user" u \#(Self.searchFilter(search))"#)
    }

    public func countAdmins() async throws -> Int {
        try await count(#"SELECT COUNT(*) AS n FROM "user" WHERE role = 'admin'"#)
    }

    /// Users whose user ID, name or mail address contains `search`, case-insensitively. The search
    /// is data, never pattern syntax: LIKE's wildcards are escaped.
    private static func searchFilter(_ search: String?) -> SQL {
        guard let search, !search.isEmpty else { return "" }
        let escaped = search.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        let pattern = "%\(escaped)%"
        return #"""
            WHERE lower(u.username) LIKE \#(pattern) ESCAPE '\' OR lower(u.display_name) LIKE \#(pattern) ESCAPE '\'
               OR lower(u.email) LIKE \#(pattern) ESCAPE '\'
            """#
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
        try await write { db in
            guard try Self.keepsAnAdmin(userID: userID, newRole: role, in: db) else { return false }
            let updated = try db.execute(
                #"""
                UPDATE "user" SET display_name = \#(displayName), email = \#(email), role = \#(role.rawValue),
                    two_factor_enabled = \#(twoFactorEnabled), updated_at = \#(now)
                WHERE id = \#(userID)
                """#
            )
            guard updated == 1 else { throw StoreError.notFound("user \(userID)") }
            // Two-factor off forgets the remembered browsers (see setTwoFactorEnabled).
            if !twoFactorEnabled { try Self.forgetRememberedBrowsers(userID: userID, in: db) }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func deleteUser(userID: Int64, at now: Date, effects: SideEffects) async throws -> Bool {
        try await write { db in
            guard try Self.keepsAnAdmin(userID: userID, newRole: nil, in: db) else { return false }
            // Foreign keys cascade to binding, enrollments, codes, tokens and sessions.
            guard try db.execute(#"DELETE FROM "user" WHERE id = \#(userID)"#) == 1 else { throw StoreError.notFound("user \(userID)") }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    /// Inside the write transaction, with every administrator's row locked before counting: two
    /// administrators demoting each other at once (in two instances) take turns, and the second
    /// sees the first's change.
    private static func keepsAnAdmin(userID: Int64, newRole: User.Role?, in db: any SQLConnection) throws -> Bool {
        guard newRole != .admin else { return true }
        let admins = try db.rows(#"SELECT id FROM "user" WHERE role = 'admin' ORDER BY id \#(raw: db.dialect.lockingRows)"#)
            .map { try $0.int64("id") }
        guard admins.contains(userID) else { return true }
        return admins.count > 1
    }

    // MARK: - Setup and API tokens

    public func createSetupToken(hash: String, at now: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute("INSERT INTO setup_token (token_hash, created_at, expires_at) VALUES (\(hash), \(now), \(expiresAt))")
        }
    }

    public func setupTokenIsUsable(hash: String, at now: Date) async throws -> Bool {
        let usable = try await readOne(
            #"""
            SELECT 1 AS usable FROM setup_token
            WHERE token_hash = \#(hash) AND used_at IS NULL AND expires_at > \#(now) AND NOT EXISTS (SELECT 1 FROM "user")
            """#
        ) { try $0.int64("usable") }
        return usable != nil
    }

    public func consumeSetupToken(hash: String, creating new: NewUser, at now: Date, effects: SideEffects) async throws -> User? {
        try await write { db -> User? in
            // "No user yet" must still hold when the administrator is inserted: PostgreSQL stops
            // other inserts into "user" (and a second setup with another token) until the commit.
            if let lock = db.dialect.lockingInserts(into: #""user""#) { try db.execute(SQL(stringLiteral: lock)) }
            let used = try db.execute(
                #"""
                UPDATE setup_token SET used_at = \#(now)
                WHERE token_hash = \#(hash) AND used_at IS NULL AND expires_at > \#(now) AND NOT EXISTS (SELECT 1 FROM "user")
                """#
            )
            guard used == 1 else { return nil }
            let user = try Self.insertUser(new, at: now, in: db)
            try Self.apply(effects.concerning(user.id), in: db, at: now)
            return user
        }
    }

    public func createAPIToken(hash: String, name: String, userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute("INSERT INTO api_token (token_hash, name, user_id, created_at) VALUES (\(hash), \(name), \(userID), \(now))")
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func apiTokenUser(hash: String, at now: Date) async throws -> User? {
        // A read first; `last_used_at` is written at most once a minute, not as a commit per call.
        let found = try await readOne(
            #"""
            SELECT u.*, t.last_used_at AS token_last_used_at FROM api_token t JOIN "user" u ON u.id = t.user_id
            WHERE t.token_hash = \#(hash)
            """#
        ) { row in (user: try User(row: row), lastUsed: try row.optionalDate("token_last_used_at")?.timeIntervalSince1970) }
        guard let found else { return nil }
        if APITokenUse.isWorthRecording(lastUsed: found.lastUsed, at: now) {
            try await write { db in try db.execute("UPDATE api_token SET last_used_at = \(now) WHERE token_hash = \(hash)") }
        }
        return found.user
    }
}
