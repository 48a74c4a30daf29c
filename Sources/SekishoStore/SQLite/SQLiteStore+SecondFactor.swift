import Foundation
import GRDB

extension SQLiteStore: SecondFactorStore {
    public func binding(userID: Int64) async throws -> TOTPBinding? {
        // Read with every code check: prepared once per connection, not built per call.
        try await readOneStatement { db in
            try TOTPBinding.fetchOne(db.cachedStatement(sql: "SELECT * FROM totp_binding WHERE user_id = ?"), arguments: [userID])
        }
    }

    public func savePendingEnrollment(_ enrollment: PendingEnrollment) async throws {
        try await write { db in
            // One pending enrollment per user: a new sign-in shows a new key (S5).
            try db.execute(sql: "DELETE FROM totp_enrollment WHERE user_id = ?", arguments: [enrollment.userID])
            try enrollment.insert(db)
        }
    }

    public func pendingEnrollment(userID: Int64, sessionIDHash: String, at now: Date) async throws -> PendingEnrollment? {
        try await read { db in
            try PendingEnrollment
                .filter(Column("user_id") == userID && Column("session_id_hash") == sessionIDHash)
                .filter(Column("expires_at") > now.timeIntervalSince1970)
                .fetchOne(db)
        }
    }

    public func confirmEnrollment(
        enrollmentID: String,
        binding: TOTPBinding,
        recoveryCodeHashes: [String],
        effects: SideEffects
    ) async throws -> Bool {
        try await write { db in
            // Deleting the pending row first makes a second, concurrent confirmation find nothing.
            try db.execute(sql: "DELETE FROM totp_enrollment WHERE id = ? AND user_id = ?", arguments: [enrollmentID, binding.userID])
            guard db.changesCount == 1 else { return false }
            // Replacing the row makes the old authenticator unusable at this moment (S13).
            try db.execute(sql: "DELETE FROM totp_binding WHERE user_id = ?", arguments: [binding.userID])
            try binding.insert(db)
            try Self.replaceRecoveryCodes(userID: binding.userID, hashes: recoveryCodeHashes, in: db, at: binding.confirmedAt)
            try Self.apply(effects, in: db, at: binding.confirmedAt)
            return true
        }
    }

    public func advanceLastStep(userID: Int64, to step: Int64, at now: Date, effects: SideEffects) async throws -> Bool {
        try await write { db in
            guard try Self.advanceStep(userID: userID, to: step, in: db) else { return false }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    /// The replay guard's one conditional statement; true when it changed the row.
    private static func advanceStep(userID: Int64, to step: Int64, in db: Database) throws -> Bool {
        try db.cachedStatement(sql: "UPDATE totp_binding SET last_step = ? WHERE user_id = ? AND last_step < ?").execute(
            arguments: [step, userID, step]
        )
        return db.changesCount == 1
    }

    public func advanceLastStep(
        userID: Int64,
        to step: Int64,
        startingSession session: SessionRecord,
        replacing oldIDHash: String?,
        effects: SideEffects
    ) async throws -> Bool {
        try await write { db in
            guard try Self.advanceStep(userID: userID, to: step, in: db) else { return false }
            try Self.insertSession(session, replacing: oldIDHash, in: db)
            try Self.apply(effects, in: db, at: session.createdAt)
            return true
        }
    }

    public func removeBinding(userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM totp_binding WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM totp_enrollment WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM recovery_code WHERE user_id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM session WHERE user_id = ?", arguments: [userID])
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func replaceRecoveryCodes(userID: Int64, hashes: [String], at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try Self.replaceRecoveryCodes(userID: userID, hashes: hashes, in: db, at: now)
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func consumeRecoveryCode(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE recovery_code SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
                arguments: [now.timeIntervalSince1970, userID, hash]
            )
            guard db.changesCount == 1 else { return false }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func unusedRecoveryCodeCount(userID: Int64) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recovery_code WHERE user_id = ? AND used_at IS NULL", arguments: [userID]) ?? 0
        }
    }

    private static func replaceRecoveryCodes(userID: Int64, hashes: [String], in db: Database, at now: Date) throws {
        try db.execute(sql: "DELETE FROM recovery_code WHERE user_id = ?", arguments: [userID])
        for hash in hashes {
            try db.execute(
                sql: "INSERT INTO recovery_code (user_id, code_hash, created_at) VALUES (?, ?, ?)",
                arguments: [userID, hash, now.timeIntervalSince1970]
            )
        }
    }
}
