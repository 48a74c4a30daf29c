import Foundation
import SekishoCore

extension SQLStore: AttemptStore {
    public func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord? {
        try await readOne("SELECT * FROM attempt WHERE scope = \(scope.rawValue) AND key = \(key)", AttemptRecord.init(row:))
    }

    public func chargeAttempt(
        account: String,
        address: String,
        at now: Date,
        accountPolicy: LockoutPolicy,
        addressPolicy: LockoutPolicy
    ) async throws -> AttemptCharge? {
        do {
            // One transaction for both scopes: a refused address rolls back the account's charge.
            // Each upsert holds its row until the commit (PostgreSQL's row lock, SQLite's single
            // writer), so a concurrent charge waits and then sees this count. The account's row is
            // always taken first, so two charges never wait for each other in a circle.
            return try await write { db in
                guard let account = try Self.charge(.account, key: account, at: now, policy: accountPolicy, in: db) else { return nil }
                guard let address = try Self.charge(.address, key: address, at: now, policy: addressPolicy, in: db) else {
                    throw AttemptChargeRefused()
                }
                return AttemptCharge(
                    account: account.key,
                    address: address.key,
                    accountFailures: account.failures,
                    accountLockedUntil: account.lockedUntil,
                    addressLockedUntil: address.lockedUntil
                )
            }
        } catch is AttemptChargeRefused {
            return nil
        }
    }

    /// Charges one scope by one conditional upsert: the row is counted only while it does not
    /// have to wait, and the wait that the new count earns is written by the same statement. So
    /// of any number of guesses arriving at once, in any number of processes, exactly as many get
    /// through as one at a time would; the others find the wait written and change nothing.
    ///
    /// A series older than the window starts again at one failure (`opened` is the earliest
    /// window start still in force). The wait after n failures is base · 2^(n − free), capped at
    /// the maximum; the shift stays below `doublingsToMaximum`, where the cap is reached.
    private static func charge(
        _ scope: AttemptRecord.Scope,
        key: String,
        at now: Date,
        policy: LockoutPolicy,
        in db: any SQLConnection
    ) throws -> AttemptRecord? {
        let opened = now.addingTimeInterval(-policy.window)
        let firstLock = policy.delay(afterFailures: 1).map { now.addingTimeInterval($0) }
        let free = policy.freeFailures
        let row = try db.row(
            """
            INSERT INTO attempt (scope, key, failures, window_start, locked_until)
            VALUES (\(scope.rawValue), \(key), 1, \(now), \(firstLock))
            ON CONFLICT (scope, key) DO UPDATE SET
                failures = CASE WHEN attempt.window_start <= \(opened) THEN 1 ELSE attempt.failures + 1 END,
                window_start = CASE WHEN attempt.window_start <= \(opened) THEN \(now) ELSE attempt.window_start END,
                locked_until = CASE
                    WHEN attempt.window_start <= \(opened) THEN \(firstLock)
                    WHEN attempt.failures + 1 < \(free) THEN NULL
                    WHEN attempt.failures + 1 - \(free) >= \(policy.doublingsToMaximum) THEN \(now) + \(policy.maxDelay)
                    ELSE \(now) + \(policy.baseDelay)
                        * CAST(CAST(1 AS BIGINT) << CAST(attempt.failures + 1 - \(free) AS INTEGER) AS DOUBLE PRECISION)
                END
            WHERE NOT \(waiting(at: now, policy: policy))
            RETURNING *
            """
        )
        return try row.map(AttemptRecord.init(row:))
    }

    /// The gate's two checks for ``GuardedChange``: whether the account or the address has to
    /// wait now. The account's row is taken for writing and the address's for reading until the
    /// transaction ends, so that no charge can start a wait between this check and the commit
    /// (see ``AttemptGate``).
    static func gateStatements(_ gate: AttemptGate, at now: Date, dialect: SQLDialect) -> [SQL] {
        [
            """
            SELECT CASE WHEN \(waiting(at: now, policy: gate.accountPolicy)) THEN 1 ELSE 0 END AS waiting
            FROM attempt WHERE scope = 'account' AND key = \(gate.account) \(raw: dialect.lockingRows)
            """,
            """
            SELECT CASE WHEN \(waiting(at: now, policy: gate.addressPolicy)) THEN 1 ELSE 0 END AS waiting
            FROM attempt WHERE scope = 'address' AND key = \(gate.address) \(raw: dialect.sharingRows)
            """,
        ]
    }

    /// The one definition of "has to wait" for a row of `attempt`: a wait is set, not over, and
    /// its series still inside the window (an older series starts again).
    private static func waiting(at now: Date, policy: LockoutPolicy) -> SQL {
        let opened = now.addingTimeInterval(-policy.window)
        return """
            (attempt.locked_until IS NOT NULL AND attempt.locked_until > \(now) AND attempt.window_start > \(opened))
            """
    }

    /// A right code that passed its gate ends the account's series of failures; the address keeps
    /// its count (the code was never charged to it).
    static func endSeriesStatement(of gate: AttemptGate) -> @Sendable (SQL) -> SQL {
        { when in "DELETE FROM attempt WHERE scope = 'account' AND key = \(gate.account) AND \(when)" }
    }

    static func settle(_ settlement: AttemptSettlement, in db: any SQLConnection) throws {
        for statement in settlementStatements(settlement) { try db.execute(statement("TRUE")) }
    }

    /// How a right guess settles its charge, each statement run only `when` holds.
    static func settlementStatements(_ settlement: AttemptSettlement) -> [@Sendable (SQL) -> SQL] {
        switch settlement {
        case .refund(let charge):
            [
                refund(.account, key: charge.account, lockedUntil: charge.accountLockedUntil),
                refund(.address, key: charge.address, lockedUntil: charge.addressLockedUntil),
            ]
        case .signedIn(let charge):
            [
                { when in "DELETE FROM attempt WHERE scope = 'account' AND key = \(charge.account) AND \(when)" },
                refund(.address, key: charge.address, lockedUntil: charge.addressLockedUntil),
            ]
        }
    }

    /// Takes one charge back: one failure less, and the wait it started (if any) lifted. A wait
    /// that another charge started since is a different time and stays.
    private static func refund(_ scope: AttemptRecord.Scope, key: String, lockedUntil: Date?) -> @Sendable (SQL) -> SQL {
        { when in
            """
            UPDATE attempt SET failures = failures - 1,
                locked_until = CASE WHEN locked_until = \(lockedUntil) THEN NULL ELSE locked_until END
            WHERE scope = \(scope.rawValue) AND key = \(key) AND failures > 0 AND \(when)
            """
        }
    }

    public func clearFailures(scope: AttemptRecord.Scope, key: String) async throws {
        try await write { db in try db.execute("DELETE FROM attempt WHERE scope = \(scope.rawValue) AND key = \(key)") }
    }
}

/// Thrown inside the charging transaction to roll back the account's charge when the address
/// must wait; never leaves the store.
struct AttemptChargeRefused: Error {}
