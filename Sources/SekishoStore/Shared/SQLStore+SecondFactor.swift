import Foundation

extension SQLStore: SecondFactorStore {
    public func bindings(userID: Int64) async throws -> [TOTPBinding] {
        try await read("SELECT * FROM totp_binding WHERE user_id = \(userID) ORDER BY confirmed_at, id", TOTPBinding.init(row:))
    }

    public func hasAuthenticator(userID: Int64) async throws -> Bool {
        try await count(
            """
            SELECT (SELECT COUNT(*) FROM totp_binding WHERE user_id = \(userID)) + (SELECT COUNT(*) FROM passkey WHERE user_id = \(userID)) AS n
            """
        ) > 0
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
            // Replacing the user's apps makes the old ones unusable at this moment (S13).
            try db.execute("DELETE FROM totp_binding WHERE user_id = \(binding.userID)")
            try Self.insert(binding, in: db)
            try Self.replaceRecoveryCodes(userID: binding.userID, hashes: recoveryCodeHashes, in: db, at: binding.confirmedAt)
            try Self.begin(startingSession, in: db)
            try Self.apply(effects, in: db, at: binding.confirmedAt)
            return true
        }
    }

    public func addBinding(enrollmentID: String, binding: TOTPBinding, maximumApps: Int, effects: SideEffects) async throws -> BindingAddition {
        try await write { db in
            // A user has one pending enrollment at most (its user_id is unique), and each
            // confirmation deletes it: two confirmations cannot both be under way, so the count
            // read here is not outrun by another insert.
            let apps = try db.row("SELECT COUNT(*) AS n FROM totp_binding WHERE user_id = \(binding.userID)")?.int64("n") ?? 0
            guard apps < maximumApps else { return .full }
            guard try db.execute("DELETE FROM totp_enrollment WHERE id = \(enrollmentID) AND user_id = \(binding.userID)") == 1 else {
                return .expired
            }
            try Self.insert(binding, in: db)
            try Self.apply(effects, in: db, at: binding.confirmedAt)
            return .added
        }
    }

    private static func insert(_ binding: TOTPBinding, in db: any SQLConnection) throws {
        try db.execute(
            """
            INSERT INTO totp_binding (id, user_id, name, sealed_secret, algorithm, digits, period, last_step, drift_steps, confirmed_at, last_used_at)
            VALUES (\(binding.id), \(binding.userID), \(binding.name), \(binding.sealedSecret), \(binding.algorithm), \(binding.digits),
                    \(binding.period), \(binding.lastStep), \(binding.driftSteps), \(binding.confirmedAt), \(binding.lastUsedAt))
            """
        )
    }

    public func renameAuthenticator(
        _ authenticator: AuthenticatorID,
        userID: Int64,
        name: String,
        at now: Date,
        effects: SideEffects
    ) async throws -> Bool {
        try await write { db in
            let renamed =
                switch authenticator {
                case .app(let id): try db.execute("UPDATE totp_binding SET name = \(name) WHERE id = \(id) AND user_id = \(userID)")
                case .passkey(let id): try db.execute("UPDATE passkey SET name = \(name) WHERE id = \(id) AND user_id = \(userID)")
                }
            guard renamed == 1 else { return false }
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func removeAuthenticator(
        _ authenticator: AuthenticatorID,
        userID: Int64,
        at now: Date,
        effects: SideEffects,
        lastOneEffects: SideEffects
    ) async throws -> AuthenticatorRemoval {
        try await write { db in
            // The user's row, locked first, orders every removal of the user's authenticators:
            // the second of two removals at the same moment counts what the first left.
            guard
                let user = try db.row(
                    #"SELECT two_factor_enabled FROM "user" WHERE id = \#(userID) \#(raw: db.dialect.lockingRows)"#
                )
            else { return .notFound }
            let removed =
                switch authenticator {
                case .app(let id): try db.execute("DELETE FROM totp_binding WHERE id = \(id) AND user_id = \(userID)")
                case .passkey(let id): try db.execute("DELETE FROM passkey WHERE id = \(id) AND user_id = \(userID)")
                }
            guard removed == 1 else { return .notFound }
            let remaining = try db.row(
                """
                SELECT (SELECT COUNT(*) FROM totp_binding WHERE user_id = \(userID)) + (SELECT COUNT(*) FROM passkey WHERE user_id = \(userID)) AS n
                """
            )
            guard try remaining?.int("n") == 0, try user.bool("two_factor_enabled") else {
                try Self.apply(effects, in: db, at: now)
                return .removed
            }
            try Self.removeSecondFactor(userID: userID, in: db)
            try Self.apply(lastOneEffects, in: db, at: now)
            return .removedLast
        }
    }

    public func spendCode(
        userID: Int64,
        bindingID: String,
        step: Int64,
        drift: Int,
        at now: Date,
        gate: AttemptGate?,
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> CodeSpend {
        // A gate ends the account's series; a settlement would change the same row in the same
        // statement on PostgreSQL, which it does not allow. Callers use one or the other.
        precondition(gate == nil || effects.attempt == nil, "a gated code has no charge to settle")
        var followers = gate.map { [Self.endSeriesStatement(of: $0)] } ?? []
        followers += Self.sessionStatements(startingSession)
        followers += effects.attempt.map(Self.settlementStatements) ?? []
        followers += effects.audit.map { Self.auditStatement($0, at: now) }
        // The replay guard: concurrent callers queue on the binding's row (PostgreSQL's row lock,
        // SQLite's single writer) and each re-checks `last_step < step` against the committed row,
        // so exactly one of them, in any process, changes it.
        let change = GuardedChange(
            gates: gate.map { Self.gateStatements($0, at: now, dialect: Engine.dialect) } ?? [],
            guarding: { when in
                """
                UPDATE totp_binding SET last_step = \(step), drift_steps = \(drift), last_used_at = \(now)
                WHERE id = \(bindingID) AND user_id = \(userID) AND last_step < \(step) AND \(when)
                """
            },
            followers: followers
        )
        let outcome: GuardedChange.Outcome
        if effects.mails.isEmpty {
            outcome = try await run(change)
        } else {
            // A mail's sealed body is bound to the id of its row: two statements, so not a part of
            // the single statement; still one transaction.
            outcome = try await write { db in
                let outcome = try change.runStepByStep(in: db)
                if outcome == .changed {
                    for mail in effects.mails { try Self.insertMail(mail, in: db, at: now) }
                }
                return outcome
            }
        }
        switch outcome {
        case .gateClosed: return .mustWait
        case .guardUnchanged: return .alreadyUsed
        case .changed: return .spent
        }
    }

    public func removeBinding(userID: Int64, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try Self.removeSecondFactor(userID: userID, in: db)
            try Self.apply(effects, in: db, at: now)
        }
    }

    /// The apps, passkeys, pending enrollments and challenges, recovery codes, sessions and
    /// remembered browsers of the user: what a reset removes (S9), by the administrator, by the
    /// link, or by removing the last authenticator. A reset means the user lost their
    /// authenticators, so their passkeys go too.
    static func removeSecondFactor(userID: Int64, in db: any SQLConnection) throws {
        let tables = ["totp_binding", "passkey", "totp_enrollment", "webauthn_challenge", "recovery_code", "session", "remembered_browser"]
        for table in tables {
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
