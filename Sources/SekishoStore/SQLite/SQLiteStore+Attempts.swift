import Foundation
import GRDB

extension SQLiteStore: AttemptStore {
    // Prepared once per connection: these reads come with every password and code check.
    public func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord? {
        try await readOneStatement { db in
            let statement = try db.cachedStatement(
                sql: "SELECT scope, key, failures, window_start, locked_until FROM attempt WHERE scope = ? AND key = ?"
            )
            return try Row.fetchOne(statement, arguments: [scope.rawValue, key]).map(AttemptRecord.init(row:))
        }
    }

    public func attempts(account: String, address: String) async throws -> (account: AttemptRecord?, address: AttemptRecord?) {
        try await readOneStatement { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT scope, key, failures, window_start, locked_until FROM attempt
                    WHERE (scope = 'account' AND key = ?) OR (scope = 'address' AND key = ?)
                    """
            )
            let records = try Row.fetchAll(statement, arguments: [account, address]).map(AttemptRecord.init(row:))
            return (records.first { $0.scope == .account }, records.first { $0.scope == .address })
        }
    }

    public func recordFailure(scope: AttemptRecord.Scope, key: String, at now: Date, windowLength: TimeInterval) async throws -> AttemptRecord {
        try await write { db in
            let t = now.timeIntervalSince1970
            // One statement, so that failures counted by two instances at once both count.
            let row = try Row.fetchOne(
                db,
                sql: """
                    INSERT INTO attempt (scope, key, failures, window_start) VALUES (?, ?, 1, ?)
                    ON CONFLICT (scope, key) DO UPDATE SET
                        failures = CASE WHEN attempt.window_start <= ? THEN 1 ELSE attempt.failures + 1 END,
                        window_start = CASE WHEN attempt.window_start <= ? THEN excluded.window_start ELSE attempt.window_start END
                    RETURNING scope, key, failures, window_start, locked_until
                    """,
                arguments: [scope.rawValue, key, t, t - windowLength, t - windowLength]
            )
            guard let row else { throw StoreError.notFound("attempt \(scope.rawValue) \(key)") }
            return try AttemptRecord(row: row)
        }
    }

    public func lock(scope: AttemptRecord.Scope, key: String, until: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE attempt SET locked_until = MAX(COALESCE(locked_until, 0), ?) WHERE scope = ? AND key = ?",
                arguments: [until.timeIntervalSince1970, scope.rawValue, key]
            )
        }
    }

    public func clearFailures(scope: AttemptRecord.Scope, key: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM attempt WHERE scope = ? AND key = ?", arguments: [scope.rawValue, key])
        }
    }
}
