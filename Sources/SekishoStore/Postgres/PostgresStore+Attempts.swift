import Foundation
import PostgresNIO

extension PostgresStore: AttemptStore {
    public func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord? {
        try await query("SELECT * FROM attempt WHERE scope = \(scope.rawValue) AND key = \(key)").first.map(AttemptRecord.init)
    }

    public func attempts(account: String, address: String) async throws -> (account: AttemptRecord?, address: AttemptRecord?) {
        let records = try await query(
            "SELECT * FROM attempt WHERE (scope = 'account' AND key = \(account)) OR (scope = 'address' AND key = \(address))"
        ).map(AttemptRecord.init)
        return (records.first { $0.scope == .account }, records.first { $0.scope == .address })
    }

    public func recordFailure(scope: AttemptRecord.Scope, key: String, at now: Date, windowLength: TimeInterval) async throws -> AttemptRecord {
        let t = now.timeIntervalSince1970
        let windowOpenedBefore = t - windowLength
        // One statement, so that failures counted by several instances at once all count: the
        // upsert takes the row lock and adds to the committed value.
        let rows = try await query(
            """
            INSERT INTO attempt (scope, key, failures, window_start) VALUES (\(scope.rawValue), \(key), 1, \(t))
            ON CONFLICT (scope, key) DO UPDATE SET
                failures = CASE WHEN attempt.window_start <= \(windowOpenedBefore) THEN 1 ELSE attempt.failures + 1 END,
                window_start = CASE WHEN attempt.window_start <= \(windowOpenedBefore) THEN excluded.window_start ELSE attempt.window_start END
            RETURNING scope, key, failures, window_start, locked_until
            """
        )
        return try AttemptRecord(rows.first.required("attempt \(scope.rawValue) \(key)"))
    }

    public func lock(scope: AttemptRecord.Scope, key: String, until: Date) async throws {
        try await query(
            """
            UPDATE attempt SET locked_until = GREATEST(COALESCE(locked_until, 0), \(until.timeIntervalSince1970))
            WHERE scope = \(scope.rawValue) AND key = \(key)
            """
        )
    }

    public func clearFailures(scope: AttemptRecord.Scope, key: String) async throws {
        try await query("DELETE FROM attempt WHERE scope = \(scope.rawValue) AND key = \(key)")
    }
}
