import Foundation
import PostgresNIO

extension PostgresStore: SecondFactorStore {
    public func binding(userID: Int64) async throws -> TOTPBinding? {
        try await query("SELECT * FROM totp_binding WHERE user_id = \(userID)").first.map(TOTPBinding.init)
    }

    public func savePendingEnrollment(_ enrollment: PendingEnrollment) async throws {
        // One pending enrollment per user (S5): an upsert, so two sign-ins at once cannot both
        // find no row and then collide on the unique user.
        _ = try await query(
            """
            INSERT INTO totp_enrollment (id, user_id, session_id_hash, sealed_secret, algorithm, digits, period, created_at, expires_at)
            VALUES (\(enrollment.id), \(enrollment.userID), \(enrollment.sessionIDHash), \(enrollment.sealedSecret), \(enrollment.algorithm),
                    \(enrollment.digits), \(enrollment.period), \(enrollment.createdAt.timeIntervalSince1970),
                    \(enrollment.expiresAt.timeIntervalSince1970))
            ON CONFLICT (user_id) DO UPDATE SET
                id = excluded.id, session_id_hash = excluded.session_id_hash, sealed_secret = excluded.sealed_secret,
                algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period,
                created_at = excluded.created_at, expires_at = excluded.expires_at
            """
        )
    }

    public func pendingEnrollment(userID: Int64, sessionIDHash: String, at now: Date) async throws -> PendingEnrollment? {
        try await query(
            """
            SELECT * FROM totp_enrollment
            WHERE user_id = \(userID) AND session_id_hash = \(sessionIDHash) AND expires_at > \(now.timeIntervalSince1970)
            """
        ).first.map(PendingEnrollment.init)
    }

    public func confirmEnrollment(
        enrollmentID: String,
        binding: TOTPBinding,
        recoveryCodeHashes: [String],
        effects: SideEffects
    ) async throws -> Bool {
        try await transaction { connection in
            // Deleting the pending row first makes a second, concurrent confirmation wait for this
            // one's row lock and then find nothing.
            let deleted = try await query(
                "DELETE FROM totp_enrollment WHERE id = \(enrollmentID) AND user_id = \(binding.userID) RETURNING id",
                on: connection
            )
            guard deleted.count == 1 else { return false }
            // Replacing the row makes the old authenticator unusable at this moment (S13).
            try await query(
                """
                INSERT INTO totp_binding (user_id, sealed_secret, algorithm, digits, period, last_step, confirmed_at)
                VALUES (\(binding.userID), \(binding.sealedSecret), \(binding.algorithm), \(binding.digits), \(binding.period),
                        \(binding.lastStep), \(binding.confirmedAt.timeIntervalSince1970))
                ON CONFLICT (user_id) DO UPDATE SET
                    sealed_secret = excluded.sealed_secret, algorithm = excluded.algorithm, digits = excluded.digits,
                    period = excluded.period, last_step = excluded.last_step, confirmed_at = excluded.confirmed_at
                """,
                on: connection
            )
            try await replaceRecoveryCodes(userID: binding.userID, hashes: recoveryCodeHashes, on: connection, at: binding.confirmedAt)
            try await apply(effects, on: connection, at: binding.confirmedAt)
            return true
        }
    }

    public func advanceLastStep(userID: Int64, to step: Int64, at now: Date, effects: SideEffects) async throws -> Bool {
        try await transaction { connection in
            guard try await advanceStep(userID: userID, to: step, on: connection) else { return false }
            try await apply(effects, on: connection, at: now)
            return true
        }
    }

    /// The replay guard's one conditional statement; true when it changed the row.
    ///
    /// Concurrent callers queue on the row lock; each re-checks `last_step < step` against the
    /// committed row, so exactly one of them (in any instance) changes it.
    private func advanceStep(userID: Int64, to step: Int64, on connection: PostgresConnection) async throws -> Bool {
        let updated = try await query(
            "UPDATE totp_binding SET last_step = \(step) WHERE user_id = \(userID) AND last_step < \(step) RETURNING user_id",
            on: connection
        )
        return updated.count == 1
    }

    public func advanceLastStep(
        userID: Int64,
        to step: Int64,
        startingSession session: SessionRecord,
        replacing oldIDHash: String?,
        effects: SideEffects
    ) async throws -> Bool {
        try await transaction { connection in
            guard try await advanceStep(userID: userID, to: step, on: connection) else { return false }
            try await insertSession(session, replacing: oldIDHash, on: connection)
            try await apply(effects, on: connection, at: session.createdAt)
            return true
        }
    }

    public func removeBinding(userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await transaction { connection in
            for table in ["totp_binding", "totp_enrollment", "recovery_code", "session"] {
                try await query("DELETE FROM \(unescaped: table) WHERE user_id = \(userID)", on: connection)
            }
            try await apply(effects, on: connection, at: now)
        }
    }

    public func replaceRecoveryCodes(userID: Int64, hashes: [String], at now: Date, effects: SideEffects) async throws {
        try await transaction { connection in
            try await replaceRecoveryCodes(userID: userID, hashes: hashes, on: connection, at: now)
            try await apply(effects, on: connection, at: now)
        }
    }

    public func consumeRecoveryCode(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws -> Bool {
        try await transaction { connection in
            let used = try await query(
                """
                UPDATE recovery_code SET used_at = \(now.timeIntervalSince1970)
                WHERE user_id = \(userID) AND code_hash = \(hash) AND used_at IS NULL RETURNING id
                """,
                on: connection
            )
            guard used.count == 1 else { return false }
            try await apply(effects, on: connection, at: now)
            return true
        }
    }

    public func unusedRecoveryCodeCount(userID: Int64) async throws -> Int {
        try await query("SELECT COUNT(*) AS n FROM recovery_code WHERE user_id = \(userID) AND used_at IS NULL")
            .first.required("count")("n", as: Int.self)
    }

    private func replaceRecoveryCodes(userID: Int64, hashes: [String], on connection: PostgresConnection, at now: Date) async throws {
        try await query("DELETE FROM recovery_code WHERE user_id = \(userID)", on: connection)
        guard !hashes.isEmpty else { return }
        // One statement for the whole set: `unnest` turns the array into rows.
        try await query(
            """
            INSERT INTO recovery_code (user_id, code_hash, created_at)
            SELECT \(userID), hash, \(now.timeIntervalSince1970) FROM unnest(\(hashes)::text[]) AS hash
            """,
            on: connection
        )
    }
}
