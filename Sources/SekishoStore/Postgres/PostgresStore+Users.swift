import Foundation
import PostgresNIO

extension PostgresStore: UserStore {
    public func createUser(_ new: NewUser, at now: Date, effects: SideEffects) async throws -> User {
        do {
            return try await transaction { connection in
                let user = try await Self.insertUser(new, at: now, on: connection, store: self)
                var effects = effects
                for index in effects.audit.indices where effects.audit[index].subjectUserID == nil {
                    effects.audit[index].subjectUserID = user.id
                }
                try await apply(effects, on: connection, at: now)
                return user
            }
        } catch let error as StoreError where error.isDuplicate {
            throw StoreError.duplicate("user \(new.username)")
        }
    }

    static func insertUser(_ new: NewUser, at now: Date, on connection: PostgresConnection, store: PostgresStore) async throws -> User {
        let t = now.timeIntervalSince1970
        let rows = try await store.query(
            """
            INSERT INTO "user" (username, display_name, email, role, password_hash, two_factor_enabled, created_at, updated_at)
            VALUES (\(new.username), \(new.displayName), \(new.email), \(new.role.rawValue), \(new.passwordHash), \(new.twoFactorEnabled), \(t), \(t))
            RETURNING *
            """,
            on: connection
        )
        return try User(rows.first.required("new user"))
    }

    public func user(id: Int64) async throws -> User? {
        try await query(#"SELECT * FROM "user" WHERE id = \#(id)"#).first.map(User.init)
    }

    public func user(username: String) async throws -> User? {
        try await query(#"SELECT * FROM "user" WHERE username = \#(username)"#).first.map(User.init)
    }

    public func userCount() async throws -> Int {
        try await query(#"SELECT COUNT(*) AS n FROM "user""#).first.required("count")("n", as: Int.self)
    }

    public func updatePasswordHash(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws {
        try await updateUser(
            userID,
            #"UPDATE "user" SET password_hash = \#(hash), updated_at = \#(now.timeIntervalSince1970) WHERE id = \#(userID) RETURNING id"#,
            at: now,
            effects: effects
        )
    }

    public func setTwoFactorEnabled(userID: Int64, enabled: Bool, at now: Date, effects: SideEffects) async throws {
        try await updateUser(
            userID,
            #"UPDATE "user" SET two_factor_enabled = \#(enabled), updated_at = \#(now.timeIntervalSince1970) WHERE id = \#(userID) RETURNING id"#,
            at: now,
            effects: effects
        )
    }

    public func recordSignIn(userID: Int64, at now: Date, effects: SideEffects) async throws {
        let t = now.timeIntervalSince1970
        try await updateUser(
            userID,
            #"UPDATE "user" SET last_sign_in_at = \#(t), updated_at = \#(t) WHERE id = \#(userID) RETURNING id"#,
            at: now,
            effects: effects
        )
    }

    public func renameUser(userID: Int64, to username: String, at now: Date, effects: SideEffects) async throws {
        do {
            try await updateUser(
                userID,
                #"UPDATE "user" SET username = \#(username), updated_at = \#(now.timeIntervalSince1970) WHERE id = \#(userID) RETURNING id"#,
                at: now,
                effects: effects
            )
        } catch let error as StoreError where error.isDuplicate {
            throw StoreError.duplicate("user \(username)")
        }
    }

    /// Runs `update` (which must return the row it changed) with the effects, or throws notFound.
    private func updateUser(_ id: Int64, _ update: PostgresQuery, at now: Date, effects: SideEffects) async throws {
        try await transaction { connection in
            guard try await query(update, on: connection).count == 1 else { throw StoreError.notFound("user \(id)") }
            try await apply(effects, on: connection, at: now)
        }
    }
}
