import Foundation
import GRDB

extension SQLiteStore: UserStore {
    public func createUser(_ new: NewUser, at now: Date, effects: SideEffects) async throws -> User {
        do {
            return try await write { db in
                var user = User(
                    id: 0,
                    username: new.username,
                    displayName: new.displayName,
                    email: new.email,
                    role: new.role,
                    passwordHash: new.passwordHash,
                    twoFactorEnabled: new.twoFactorEnabled,
                    createdAt: now,
                    updatedAt: now,
                    lastSignInAt: nil
                )
                try db.execute(
                    sql: """
                        INSERT INTO user (username, display_name, email, role, password_hash, two_factor_enabled, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        new.username, new.displayName, new.email, new.role.rawValue, new.passwordHash, new.twoFactorEnabled,
                        now.timeIntervalSince1970, now.timeIntervalSince1970,
                    ]
                )
                user.id = db.lastInsertedRowID
                var effects = effects
                for index in effects.audit.indices where effects.audit[index].subjectUserID == nil {
                    effects.audit[index].subjectUserID = user.id
                }
                try Self.apply(effects, in: db, at: now)
                return user
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.duplicate("user \(new.username)")
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await read { db in try User.fetchOne(db, key: id) }
    }

    public func user(username: String) async throws -> User? {
        try await read { db in try User.filter(Column("username") == username).fetchOne(db) }
    }

    public func userCount() async throws -> Int {
        try await read { db in try User.fetchCount(db) }
    }

    public func updatePasswordHash(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws {
        try await updateUser(userID, set: "password_hash = ?", [hash], at: now, effects: effects)
    }

    public func setTwoFactorEnabled(userID: Int64, enabled: Bool, at now: Date, effects: SideEffects) async throws {
        try await updateUser(userID, set: "two_factor_enabled = ?", [enabled], at: now, effects: effects)
    }

    public func recordSignIn(userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await updateUser(userID, set: "last_sign_in_at = ?", [now.timeIntervalSince1970], at: now, effects: effects)
    }

    public func renameUser(userID: Int64, to username: String, at now: Date, effects: SideEffects) async throws {
        do {
            try await updateUser(userID, set: "username = ?", [username], at: now, effects: effects)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.duplicate("user \(username)")
        }
    }

    private func updateUser(_ id: Int64, set assignment: String, _ values: StatementArguments, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE user SET \(assignment), updated_at = ? WHERE id = ?",
                arguments: values + [now.timeIntervalSince1970, id]
            )
            guard db.changesCount == 1 else { throw StoreError.notFound("user \(id)") }
            try Self.apply(effects, in: db, at: now)
        }
    }
}
