import Foundation
import GRDB

extension SQLiteStore {
    public func listUsers(search: String?, limit: Int, offset: Int, at now: Date) async throws -> [UserSummary] {
        try await read { db in
            let (filter, arguments) = Self.searchFilter(search)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT user.*, EXISTS (SELECT 1 FROM totp_binding b WHERE b.user_id = user.id) AS bound,
                           (SELECT a.locked_until FROM attempt a WHERE a.scope = 'account' AND a.key = user.username AND a.locked_until > ?) AS locked
                    FROM user \(filter) ORDER BY username LIMIT ? OFFSET ?
                    """,
                arguments: [now.timeIntervalSince1970] + arguments + [limit, offset]
            )
            return try rows.map { row in
                UserSummary(
                    user: try User(row: row),
                    authenticatorBound: row["bound"],
                    lockedUntil: (row["locked"] as Double?).map(Date.init(timeIntervalSince1970:))
                )
            }
        }
    }

    public func countUsers(search: String?) async throws -> Int {
        try await read { db in
            let (filter, arguments) = Self.searchFilter(search)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user \(filter)", arguments: arguments) ?? 0
        }
    }

    public func countAdmins() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user WHERE role = 'admin'") ?? 0 }
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
            guard try Self.keepsAnAdmin(db, userID: userID, newRole: role) else { return false }
            try db.execute(
                sql: "UPDATE user SET display_name = ?, email = ?, role = ?, two_factor_enabled = ?, updated_at = ? WHERE id = ?",
                arguments: [displayName, email, role.rawValue, twoFactorEnabled, now.timeIntervalSince1970, userID]
            )
            guard db.changesCount == 1 else { throw StoreError.notFound("user \(userID)") }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func deleteUser(userID: Int64, at now: Date, effects: SideEffects) async throws -> Bool {
        try await write { db in
            guard try Self.keepsAnAdmin(db, userID: userID, newRole: nil) else { return false }
            // Foreign keys cascade to binding, enrollments, codes, tokens and sessions.
            try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [userID])
            guard db.changesCount == 1 else { throw StoreError.notFound("user \(userID)") }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    /// Inside the write transaction, so two administrators demoting each other at once cannot
    /// both succeed.
    private static func keepsAnAdmin(_ db: Database, userID: Int64, newRole: User.Role?) throws -> Bool {
        guard newRole != .admin else { return true }
        let isAdmin = try Bool.fetchOne(db, sql: "SELECT role = 'admin' FROM user WHERE id = ?", arguments: [userID]) ?? false
        guard isAdmin else { return true }
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user WHERE role = 'admin'") ?? 0 > 1
    }

    private static func searchFilter(_ search: String?) -> (String, StatementArguments) {
        guard let search, !search.isEmpty else { return ("", []) }
        // The search is data, never pattern syntax: escape LIKE's wildcards.
        let escaped = search.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        let pattern = "%\(escaped)%"
        return (
            "WHERE username LIKE ? ESCAPE '\\' OR lower(display_name) LIKE ? ESCAPE '\\' OR lower(email) LIKE ? ESCAPE '\\'",
            [pattern, pattern, pattern]
        )
    }

    // MARK: - Setup and API tokens

    public func createSetupToken(hash: String, at now: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO setup_token (token_hash, created_at, expires_at) VALUES (?, ?, ?)",
                arguments: [hash, now.timeIntervalSince1970, expiresAt.timeIntervalSince1970]
            )
        }
    }

    public func setupTokenIsUsable(hash: String, at now: Date) async throws -> Bool {
        try await read { db in
            let usable = try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM setup_token WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                arguments: [hash, now.timeIntervalSince1970]
            )
            return try usable == true && User.fetchCount(db) == 0
        }
    }

    public func consumeSetupToken(hash: String, creating new: NewUser, at now: Date, effects: SideEffects) async throws -> User? {
        let t = now.timeIntervalSince1970
        return try await write { db in
            guard try User.fetchCount(db) == 0 else { return nil }
            try db.execute(
                sql: "UPDATE setup_token SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
                arguments: [t, hash, t]
            )
            guard db.changesCount == 1 else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO user (username, display_name, email, role, password_hash, two_factor_enabled, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [new.username, new.displayName, new.email, new.role.rawValue, new.passwordHash, new.twoFactorEnabled, t, t]
            )
            let user = try User.fetchOne(db, key: db.lastInsertedRowID)
            var effects = effects
            for index in effects.audit.indices { effects.audit[index].subjectUserID = user?.id }
            try Self.apply(effects, in: db, at: now)
            return user
        }
    }

    public func createAPIToken(hash: String, name: String, userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO api_token (token_hash, name, user_id, created_at) VALUES (?, ?, ?, ?)",
                arguments: [hash, name, userID, now.timeIntervalSince1970]
            )
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func apiTokenUser(hash: String, at now: Date) async throws -> User? {
        // A read first; `last_used_at` is written at most once a minute, not as a commit per call.
        let found = try await readOneStatement { db -> (user: User, lastUsed: Double?)? in
            let sql = "SELECT u.*, t.last_used_at AS token_last_used_at FROM api_token t JOIN user u ON u.id = t.user_id WHERE t.token_hash = ?"
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [hash]) else { return nil }
            return (try User(row: row), row["token_last_used_at"])
        }
        guard let found else { return nil }
        if APITokenUse.isWorthRecording(lastUsed: found.lastUsed, at: now) {
            try await write { db in
                try db.execute(sql: "UPDATE api_token SET last_used_at = ? WHERE token_hash = ?", arguments: [now.timeIntervalSince1970, hash])
            }
        }
        return found.user
    }
}
