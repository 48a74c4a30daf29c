import Foundation

extension SQLStore: UserStore {
    public func createUser(_ new: NewUser, at now: Date, effects: SideEffects) async throws -> User {
        do {
            return try await write { db in
                let user = try Self.insertUser(new, at: now, in: db)
                try Self.apply(effects.concerning(user.id), in: db, at: now)
                return user
            }
        } catch let error as StoreError where error.isDuplicate {
            throw StoreError.duplicate("user \(new.username)")
        }
    }

    static func insertUser(_ new: NewUser, at now: Date, in db: any SQLConnection) throws -> User {
        let row = try db.row(
            """
            INSERT INTO "user" (username, display_name, email, role, password_hash, two_factor_enabled, created_at, updated_at)
            VALUES (\(new.username), \(new.displayName), \(new.email), \(new.role.rawValue), \(new.passwordHash),
                    \(new.twoFactorEnabled), \(now), \(now))
            RETURNING *
            """
        )
        guard let row else { throw StoreError.unreadable("no row returned for the new user") }
        return try User(row: row)
    }

    public func user(id: Int64) async throws -> User? {
        try await readOne(#"SELECT * FROM "user" WHERE id = \#(id)"#, User.init(row:))
    }

    public func user(username: String) async throws -> User? {
        try await readOne(#"SELECT * FROM "user" WHERE username = \#(username)"#, User.init(row:))
    }

    public func userCount() async throws -> Int {
        try await count(#"SELECT COUNT(*) AS n FROM "user""#)
    }

    public func updatePasswordHash(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws {
        // A new password: a browser remembered by whoever knew the old one skips nothing.
        try await updateUser(userID, set: "password_hash = \(hash)", at: now, effects: effects, forgettingBrowsers: true)
    }

    public func upgradePasswordHash(userID: Int64, hash: String, at now: Date) async throws {
        try await updateUser(userID, set: "password_hash = \(hash)", at: now, effects: .none)
    }

    public func setTwoFactorEnabled(userID: Int64, enabled: Bool, at now: Date, effects: SideEffects) async throws {
        // Off forgets the remembered browsers, so that turning it on again asks every browser for a code.
        try await updateUser(userID, set: "two_factor_enabled = \(enabled)", at: now, effects: effects, forgettingBrowsers: !enabled)
    }

    public func recordSignIn(userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await updateUser(userID, set: "last_sign_in_at = \(now)", at: now, effects: effects)
    }

    public func renameUser(userID: Int64, to username: String, at now: Date, effects: SideEffects) async throws {
        do {
            try await updateUser(userID, set: "username = \(username)", at: now, effects: effects)
        } catch let error as StoreError where error.isDuplicate {
            throw StoreError.duplicate("user \(username)")
        }
    }

    private func updateUser(_ id: Int64, set assignment: SQL, at now: Date, effects: SideEffects, forgettingBrowsers: Bool = false) async throws {
        try await write { db in
            guard try db.execute(#"UPDATE "user" SET \#(assignment), updated_at = \#(now) WHERE id = \#(id)"#) == 1 else {
                throw StoreError.notFound("user \(id)")
            }
            if forgettingBrowsers { try Self.forgetRememberedBrowsers(userID: id, in: db) }
            try Self.apply(effects, in: db, at: now)
        }
    }
}

extension SideEffects {
    /// The effects with `userID` as the subject of the audit events that name none (the user a
    /// change has just created).
    func concerning(_ userID: Int64) -> SideEffects {
        var effects = self
        for index in effects.audit.indices where effects.audit[index].subjectUserID == nil {
            effects.audit[index].subjectUserID = userID
        }
        return effects
    }
}
