import Foundation
import GRDB

extension SQLiteStore: AttemptStore {
    public func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord? {
        try await read { db in
            try AttemptRecord.filter(Column("scope") == scope.rawValue && Column("key") == key).fetchOne(db)
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
