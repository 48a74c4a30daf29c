import Foundation

extension SQLStore: PasskeyStore {
    public func saveWebAuthnChallenge(_ challenge: WebAuthnChallenge, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(
                """
                INSERT INTO webauthn_challenge (challenge_hash, purpose, user_id, session_id_hash, expires_at)
                VALUES (\(challenge.hash), \(challenge.purpose.rawValue), \(challenge.userID), \(challenge.sessionIDHash), \(challenge.expiresAt))
                """
            )
            try Self.apply(effects, in: db, at: challenge.expiresAt)
        }
    }

    public func spendWebAuthnChallenge(
        hash: String,
        purpose: WebAuthnChallenge.Purpose,
        userID: Int64?,
        sessionIDHash: String,
        at now: Date
    )
        async throws -> Bool
    {
        try await write { db in
            // Expired challenges of the same session go with it; the maintenance task removes the rest.
            try db.execute("DELETE FROM webauthn_challenge WHERE session_id_hash = \(sessionIDHash) AND expires_at <= \(now)")
            return try db.execute(
                """
                DELETE FROM webauthn_challenge
                WHERE challenge_hash = \(hash) AND purpose = \(purpose.rawValue) AND user_id IS NOT DISTINCT FROM \(userID)
                  AND session_id_hash = \(sessionIDHash) AND expires_at > \(now)
                """
            ) == 1
        }
    }

    public func addPasskey(_ passkey: Passkey, effects: SideEffects) async throws -> Passkey {
        do {
            return try await write { db in
                guard
                    let row = try db.row(
                        """
                        INSERT INTO passkey (user_id, credential_id, public_key, algorithm, sign_count, name, created_at)
                        VALUES (\(passkey.userID), \(passkey.credentialID), \(passkey.publicKey), \(passkey.algorithm), \(passkey.signCount),
                                \(passkey.name), \(passkey.createdAt))
                        RETURNING *
                        """
                    )
                else { throw StoreError.notFound("passkey") }
                try Self.apply(effects, in: db, at: passkey.createdAt)
                return try Passkey(row: row)
            }
        } catch let error as StoreError where error.isDuplicate {
            throw StoreError.duplicate("passkey credential")
        }
    }

    public func passkeys(userID: Int64) async throws -> [Passkey] {
        try await read("SELECT * FROM passkey WHERE user_id = \(userID) ORDER BY id", Passkey.init(row:))
    }

    public func passkey(credentialID: Data) async throws -> Passkey? {
        try await readOne("SELECT * FROM passkey WHERE credential_id = \(credentialID)", Passkey.init(row:))
    }

    public func usePasskey(
        id: Int64,
        from storedCount: Int64,
        to newCount: Int64,
        at now: Date,
        startingSession: SessionStart?,
        effects: SideEffects
    )
        async throws -> Bool
    {
        try await write { db in
            guard
                try db.execute(
                    "UPDATE passkey SET sign_count = \(newCount), last_used_at = \(now) WHERE id = \(id) AND sign_count = \(storedCount)"
                ) == 1
            else { return false }
            try Self.begin(startingSession, in: db)
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func recordPasskeyCounterRegression(id: Int64, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            try db.execute("UPDATE passkey SET counter_regressions = counter_regressions + 1 WHERE id = \(id)")
            try Self.apply(effects, in: db, at: now)
        }
    }
}
