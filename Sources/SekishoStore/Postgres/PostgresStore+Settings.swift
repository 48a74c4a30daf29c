import Foundation
import PostgresNIO

extension PostgresStore: SettingStore {
    public func setting(_ key: String) async throws -> String? {
        try await query("SELECT value FROM setting WHERE key = \(key)").first.map { try $0("value", as: String.self) }
    }

    public func setSetting(_ key: String, value: String?, at now: Date, effects: SideEffects) async throws {
        try await transaction { connection in
            if let value {
                try await query(
                    """
                    INSERT INTO setting (key, value, updated_at) VALUES (\(key), \(value), \(now.timeIntervalSince1970))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                    on: connection
                )
            } else {
                try await query("DELETE FROM setting WHERE key = \(key)", on: connection)
            }
            try await apply(effects, on: connection, at: now)
        }
    }
}
