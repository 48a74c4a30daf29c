import Foundation

extension SQLStore: SecondFactorStore {
    public func binding(userID: Int64) async throws -> TOTPBinding? {
        try await readOne("SELECT * FROM totp_binding WHERE user_id = \(userID)", TOTPBinding.init(row:))
    }

    public func savePendingEnrollment(_ enrollment: PendingEnrollment) async throws {
        // One pending enrollment per user (S5): an upsert, so two sign-ins at once cannot both
        // find no row and then collide on the unique user.
        try await write { db in
            try db.execute(
                """
                INSERT INTO totp_enrollment (id, user_id, session_id_hash, sealed_secret, algorithm, digits, period, created_at, expires_at)
                VALUES (\(enrollment.id), \(enrollment.userID), \(enrollment.sessionIDHash), \(enrollment.sealedSecret),
                        \(enrollment.algorithm), \(enrollment.digits), \(enrollment.period), \(enrollment.createdAt), \(enrollment.expiresAt))
                ON CONFLICT (user_id) DO UPDATE SET
                    id = excluded.id, session_id_hash = excluded.session_id_hash, sealed_secret = excluded.sealed_secret,
                    algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period,
                    created_at = excluded.created_at, expires_at = excluded.expires_at
                """
            )
        }
    }

    public func pendingEnrollment(userID: Int64, sessionIDHash: String, at now: Date) async throws -> PendingEnrollment? {
        try await readOne(
            """
            SELECT * FROM totp_enrollment WHERE user_id = \(userID) AND session_id_hash = \(sessionIDHash) AND expires_at > \(now)
            """,
            PendingEnrollment.init(row:)
        )
    }

    public func confirmEnrollment(
        enrollmentID: String,
        binding: TOTPBinding,
        recoveryCodeHashes: [String],
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> Bool {
        try await write { db in
            // Deleting the pending row first makes a second, concurrent confirmation wait for this
            // one (PostgreSQL's row lock, SQLite's single writer) and then find nothing.
            guard try db.execute("DELETE FROM totp_enrollment WHERE id = \(enrollmentID) AND user_id = \(binding.userID)") == 1 else {
                return false
            }
            // Replacing the row makes the old authenticator unusable at this moment (S13).
            try db.execute(
                """
                INSERT INTO totp_binding (user_id, sealed_secret, algorithm, digits, period, last_step, confirmed_at)
                VALUES (\(binding.userID), \(binding.sealedSecret), \(binding.algorithm), \(binding.digits), \(binding.period),
                        \(binding.lastStep), \(binding.confirmedAt))
                ON CONFLICT (user_id) DO UPDATE SET
                    sealed_secret = excluded.sealed_secret, algorithm = excluded.algorithm, digits = excluded.digits,
                    period = excluded.period, last_step = excluded.last_step, confirmed_at = excluded.confirmed_at
                """
            )
            try Self.replaceRecoveryCodes(userID: binding.userID, hashes: recoveryCodeHashes, in: db, at: binding.confirmedAt)
            try Self.begin(startingSession, in: db)
            try Self.apply(effects, in: db, at: binding.confirmedAt)
            return true
        }
    }

    public func spendCode(
        userID: Int64,
        step: Int64,
        at now: Date,
        gate: AttemptGate?,
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> CodeSpend {
        try await write { db in
            if let gate, try Self.mustWait(gate, at: now, in: db) { return .mustWait }
            guard try Self.advanceStep(userID: userID, to: step, in: db) else { return .alreadyUsed }
            if let gate { try Self.endSeries(of: gate, in: db) }
            try Self.begin(startingSession, in: db)
            try Self.apply(effects, in: db, at: now)
            return .spent
        }
    }

    /// The replay guard's one conditional statement; true when it changed the row.
    ///
    /// Concurrent callers queue on the row (PostgreSQL's row lock, SQLite's single writer); each
    /// re-checks `last_step < step` against the committed row, so exactly one of them, in any
    /// process, changes it.
    private static func advanceStep(userID: Int64, to step: Int64, in db: any SQLConnection) throws -> Bool {
        try db.execute("UPDATE totp_binding SET last_step = \(step) WHERE user_id = \(userID) AND last_step < \(step)") == 1
    }

    public func removeBinding(userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try Self.removeSecondFactor(userID: userID, in: db)
            try Self.apply(effects, in: db, at: now)
        }
    }

    /// The binding, pending enrollments, recovery codes and sessions of the user: what a reset
    /// removes (S9), by the administrator or by the link.
    static func removeSecondFactor(userID: Int64, in db: any SQLConnection) throws {
        for table in ["totp_binding", "totp_enrollment", "recovery_code", "session"] {
            try db.execute("DELETE FROM \(raw: table) WHERE user_id = \(userID)")
        }
    }

    public func replaceRecoveryCodes(userID: Int64, hashes: [String], at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try Self.replaceRecoveryCodes(userID: userID, hashes: hashes, in: db, at: now)
            try Self.apply(effects, in: db, at: now)
        }
    }

    public func consumeRecoveryCode(
        userID: Int64,
        hash: String,
        at now: Date,
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> Bool {
        try await write { db in
            let used = try db.execute(
                "UPDATE recovery_code SET used_at = \(now) WHERE user_id = \(userID) AND code_hash = \(hash) AND used_at IS NULL"
            )
            guard used == 1 else { return false }
            try Self.begin(startingSession, in: db)
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func unusedRecoveryCodeCount(userID: Int64) async throws -> Int {
        try await count("SELECT COUNT(*) AS n FROM recovery_code WHERE user_id = \(userID) AND used_at IS NULL")
    }

    /// A new set replaces every old code, used or not (S12); one statement for the whole set.
    private static func replaceRecoveryCodes(userID: Int64, hashes: [String], in db: any SQLConnection, at now: Date) throws {
        try db.execute("DELETE FROM recovery_code WHERE user_id = \(userID)")
        guard !hashes.isEmpty else { return }
        let rows = SQL.joined(hashes.map { "(\(userID), \($0), \(now))" }, separator: ", ")
        try db.execute("INSERT INTO recovery_code (user_id, code_hash, created_at) VALUES \(rows)")
    }
}
