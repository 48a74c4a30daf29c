import Foundation
import SekishoCore

/// The statements that charge an attempt before its guess is checked and take the charge back
/// when the guess was right, written once for both engines (they differ only in how a parameter
/// is written: `:name` for SQLite, `$n` for PostgreSQL).
///
/// Charging is one conditional upsert per scope: the row is counted only while it does not have
/// to wait, and the wait that the new count earns is written by the same statement. So of any
/// number of guesses arriving at once, in any number of processes, exactly as many are let
/// through as one at a time would be; the others find the wait already written and are refused
/// without being checked.
enum AttemptChargeStatement {
    /// The parameters of ``chargeSQL(_:)``, in the order PostgreSQL numbers them.
    static let parameters = ["scope", "key", "now", "opened", "first_lock", "free", "doublings", "base", "max"]

    /// `placeholder` writes a parameter named as in ``parameters``.
    static func chargeSQL(_ placeholder: (String) -> String) -> String {
        let p = placeholder
        // A series older than the window starts again at one failure: `opened` is the earliest
        // window start still in force. The wait after n failures is base · 2^(n − free), capped
        // at max; the shift stays below `doublings`, where the cap is reached.
        return """
            INSERT INTO attempt (scope, key, failures, window_start, locked_until)
            VALUES (\(p("scope")), \(p("key")), 1, \(p("now")), \(p("first_lock")))
            ON CONFLICT (scope, key) DO UPDATE SET
                failures = CASE WHEN attempt.window_start <= \(p("opened")) THEN 1 ELSE attempt.failures + 1 END,
                window_start = CASE WHEN attempt.window_start <= \(p("opened")) THEN \(p("now")) ELSE attempt.window_start END,
                locked_until = CASE
                    WHEN attempt.window_start <= \(p("opened")) THEN \(p("first_lock"))
                    WHEN attempt.failures + 1 < \(p("free")) THEN NULL
                    WHEN attempt.failures + 1 - \(p("free")) >= \(p("doublings")) THEN \(p("now")) + \(p("max"))
                    ELSE \(p("now")) + \(p("base"))
                        * CAST(CAST(1 AS BIGINT) << CAST(attempt.failures + 1 - \(p("free")) AS INTEGER) AS DOUBLE PRECISION)
                END
            WHERE attempt.locked_until IS NULL OR attempt.locked_until <= \(p("now")) OR attempt.window_start <= \(p("opened"))
            RETURNING failures, locked_until
            """
    }

    /// Takes one charge back: one failure less, and the wait it started (if any) lifted. A wait
    /// that another charge started since is a different time and stays.
    static func refundSQL(_ placeholder: (String) -> String) -> String {
        let p = placeholder
        return """
            UPDATE attempt SET failures = failures - 1,
                locked_until = CASE WHEN locked_until = \(p("lock")) THEN NULL ELSE locked_until END
            WHERE scope = \(p("scope")) AND key = \(p("key")) AND failures > 0
            """
    }

    static let refundParameters = ["lock", "scope", "key"]

    /// The values of one charge, by parameter name.
    static func chargeValues(scope: AttemptRecord.Scope, key: String, at now: Date, policy: LockoutPolicy) -> [String: SQLValue] {
        let t = now.timeIntervalSince1970
        return [
            "scope": .text(scope.rawValue),
            "key": .text(key),
            "now": .real(t),
            "opened": .real(t - policy.window),
            "first_lock": policy.delay(afterFailures: 1).map { .real(t + $0) } ?? .null,
            "free": .integer(Int64(policy.freeFailures)),
            "doublings": .integer(Int64(policy.doublingsToMaximum)),
            "base": .real(policy.baseDelay),
            "max": .real(policy.maxDelay),
        ]
    }

    static func refundValues(scope: AttemptRecord.Scope, key: String, lockedUntil: Date?) -> [String: SQLValue] {
        ["lock": lockedUntil.map { .real($0.timeIntervalSince1970) } ?? .null, "scope": .text(scope.rawValue), "key": .text(key)]
    }
}

/// A parameter value of a statement shared by both engines.
enum SQLValue: Sendable, Equatable {
    case text(String)
    case real(Double)
    case integer(Int64)
    case null
}
